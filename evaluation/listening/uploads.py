"""An arena visitor's own recording (``arena: {uploads: true}``): after a round of votes the visitor may
upload or record up to MAX_PER_SESSION clips; each is converted by two of the arena's systems drawn at
random (sung to a built-in tune drawn at random when they need a melody), imported like any item
(loudness-matched, padded to one size, dithered, random names) and appended to the visitor's trials as
one more blind pair, with the recording and the tune as context. The vote on it is stored as kind
``upload``: exported with every answer, but not on the leaderboard, whose inputs are the curated ones
(an uploaded input is chosen by the voter, who may choose one that favours a system).

A conversion takes seconds of CPU, so one runs at a time per process; the next visitor is asked to
retry in a few seconds (429) instead of queueing behind it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import secrets
import threading
from collections.abc import Callable

import numpy as np

from evaluation.listening.catalog import StudyCatalog
from evaluation.listening.common import ListeningError, participant
from evaluation.listening.stimuli import write_item
from evaluation.listening.study import StudyError
from models.errors import SongbridgeError
from models.features import AudioLimits, load_audio, to_rate

logger = logging.getLogger(__name__)
MAX_BYTES = 4_000_000  # 15 s of 44.1 kHz stereo WAV is 2.6 MB
LIMITS = AudioLimits(min_seconds=1.0, max_seconds=15.0)
MAX_PER_SESSION = 3
_converting = threading.Semaphore(1)


def check(catalog: StudyCatalog, token: str) -> tuple[dict, dict]:
    """The participant and their study's settings, if they may add a recording now (asked again, under
    the participant's lock, before the pair is stored)."""
    p = participant(catalog.store, token)
    cfg = catalog.config(p["study_id"])
    if cfg["type"] != "arena" or not cfg.get("arena", {}).get("uploads"):
        raise ListeningError("This study does not take recordings.", 404)
    if p["consent_at"] is None:
        raise ListeningError("Please give your consent first.", 409)
    _room(catalog.store.query(TRIALS_SQL, (token,)))
    return p, cfg


TRIALS_SQL = (
    "SELECT t.kind, CASE WHEN EXISTS(SELECT 1 FROM answers a WHERE a.trial_id = t.id) THEN 1 ELSE 0 END AS done "
    "FROM trials t WHERE t.participant = ?"
)


def _room(trials: list[dict]) -> None:
    """Refuse while a pair waits for its vote, or when the round's recordings are used up."""
    if any(not r["done"] for r in trials):
        raise ListeningError("Vote on the pairs you have first, then add your own recording.", 409)
    if sum(r["kind"] == "upload" for r in trials) >= MAX_PER_SESSION:
        raise ListeningError(f"{MAX_PER_SESSION} recordings per round; start another round for more.", 429)


def _decode(data: bytes):
    """The upload as audio, or a 422 that says what is wrong."""
    if not data:
        raise ListeningError("The recording is empty.", 422)
    try:
        return load_audio(data, limits=LIMITS)
    except SongbridgeError as error:
        raise ListeningError(f"This recording cannot be used: {error}", 422) from None


def add(catalog: StudyCatalog, *, token: str, data: bytes, registry: Callable) -> dict:
    """Convert the visitor's recording with two systems and append the pair to their trials; returns
    ``{"trial_id": …}`` (the page then shows it like any pair). ``registry()`` gives the converters."""
    p, cfg = check(catalog, token)
    if len(data) > MAX_BYTES:
        raise ListeningError(f"The recording is over {MAX_BYTES // 1_000_000} MB; keep it under 15 s.", 413)
    audio = _decode(data)
    if not _converting.acquire(blocking=False):
        raise ListeningError(
            "Another recording is being converted; try again in a few seconds.", 429, retry_after=5
        )
    try:
        clips, (system_a, system_b) = _convert(audio, cfg, registry())
    finally:
        _converting.release()
    study_id, item = p["study_id"], "upload-" + secrets.token_hex(6)
    out_dir = catalog.store.stimuli_dir(study_id)
    try:
        rows = write_item(
            clips, sr=int(cfg["sample_rate"]), out_dir=out_dir, study_id=study_id, item=item,
            loudness_lufs=float(cfg.get("loudness_lufs", -23.0)),
        )  # fmt: skip
    except StudyError as error:  # a silent recording: nothing to match
        raise ListeningError(f"This recording cannot be used: {error}", 422) from None
    name = {(r["kind"], r["system"]): r["name"] for r in rows}
    try:
        return {"trial_id": _append(catalog, token, study_id, item, name, (system_a, system_b), rows)}
    except BaseException:  # refused or failed: the clips written for it go too
        for row in rows:
            with contextlib.suppress(OSError):
                os.remove(os.path.join(out_dir, row["name"]))
        raise


def _append(catalog, token: str, study_id: str, item: str, name: dict, systems: tuple, rows: list) -> int:
    """Store the clips and the pair as the participant's next trial; its id."""
    system_a, system_b = systems
    with catalog.store.transaction() as db:
        if (
            db.execute(db.for_update("SELECT token FROM participants WHERE token = ?"), [token]).fetchone()
            is None
        ):
            raise ListeningError("Unknown participant link. Start again from the study link.", 403)
        _room(db.query(TRIALS_SQL, [token]))  # again, under the lock: two requests at once add one pair
        position = db.execute(
            "SELECT COALESCE(MAX(position), -1) + 1 FROM trials WHERE participant = ?", [token]
        )
        position = position.fetchone()[0]
        db.insert_all("stimuli", rows)
        trial = db.execute(
            "INSERT INTO trials (participant, study_id, position, kind, item, system_a, system_b, stimulus_a, "
            "stimulus_b, context_source, context_melody) VALUES (?, ?, ?, 'upload', ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            [
                token, study_id, position, item, system_a, system_b, name[("output", system_a)],
                name[("output", system_b)], name[("source", None)], name.get(("melody", None)),
            ],
        ).fetchone()[0]  # fmt: skip
    return int(trial)


def _convert(audio, cfg: dict, registry) -> tuple[dict, tuple[str, str]]:
    """The recording, each system's output and the tune's tone, at the study's rate."""
    from models.base import make_options
    from models.melody import TUNES, melody_tone, tune

    rng = random.SystemRandom()
    systems = rng.sample(list(cfg["systems"]), 2)
    sr = int(cfg["sample_rate"])
    try:
        needs = {s: registry.needs_melody(s) for s in systems}
    except SongbridgeError as error:  # a system that is no converter here (init checks this)
        raise ListeningError(f"This arena cannot convert recordings: {error}", 409) from None
    melody = tune(rng.choice(sorted(TUNES))) if any(needs.values()) else None
    clips = {("source", None): to_rate(audio, sr).samples}
    for system in systems:
        try:
            result = registry.get(system).convert(
                audio, melody=melody if needs[system] else None,
                options=make_options(registry.options_class(system), {}),
            )  # fmt: skip
        except SongbridgeError as error:
            raise ListeningError(f"This recording cannot be converted: {error}", 422) from None
        except Exception:  # a converter's own failure: logged, and the visitor told, never a bare 500
            logger.exception("arena upload: %s failed", system)
            raise ListeningError(
                f"{system} could not convert this recording; try another one.", 422
            ) from None
        clips[("output", system)] = to_rate(result.audio, sr).samples.astype(np.float32)
    if melody is not None:
        clips[("melody", None)] = melody_tone(melody, sr).samples
    return clips, (systems[0], systems[1])
