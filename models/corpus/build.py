"""Build the synthetic paired corpus: chunks of pairs on all cores, resumable, then one manifest.

Each finished pair leaves ``pairs/<id>.json`` (its manifest line) after its audio is written, so an
interrupted build continues where it stopped and finished pairs are not redone. Pairs whose speech
and singing phone sequences differ after the fixed mapping are dropped and recorded in
``dropped/<id>.json`` — never silently kept. Timings go to ``build_log.jsonl``, outside the manifest,
so the manifest stays byte-identical for a seed.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import tempfile
import time
from dataclasses import dataclass

from models.corpus import festival_render, phones
from models.corpus.manifest import MANIFEST_NAME, Pair, write_manifest
from models.corpus.melodies import plan_melody
from models.corpus.pairs import PairPlan, pair_id, plan_pair, render_pair

CHUNK = 8  # pairs per Festival process: its start-up (≈0.3 s) is paid once per chunk
#: measured mean seconds of paired audio (speech + singing) per pair; sizes --hours into a pair count
MEAN_PAIR_SECONDS = 11.4


@dataclass(frozen=True)
class BuildReport:
    pairs: int
    dropped: int
    hours: float
    manifest_sha256: str
    wall_s: float


def pairs_for_hours(hours: float) -> int:
    return max(1, math.ceil(hours * 3600 / MEAN_PAIR_SECONDS))


def _done(out: str, index: int) -> bool:
    name = f"{pair_id(index)}.json"
    return os.path.exists(os.path.join(out, "pairs", name)) or os.path.exists(
        os.path.join(out, "dropped", name)
    )


def _save_json(path: str, row: dict) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = f"{path}.tmp"
    with open(tmp, "w", encoding="utf-8") as handle:
        json.dump(row, handle, sort_keys=True)
    os.replace(tmp, path)  # the pair counts as done only once this exists


def _festival_side(plans: list[PairPlan], folder: str) -> tuple[dict, dict, float]:
    """Speak and sing every plan (grouped by base voice); return spoken, (notes, source, segments), seconds."""
    started = time.perf_counter()
    spoken, sung = {}, {}
    for voice in festival_render.VOICES:
        group = [plan for plan in plans if plan.speaker.base_voice == voice]
        if not group:
            continue
        paths = [os.path.join(folder, f"{plan.id}-speech.wav") for plan in group]
        for plan, said in zip(
            group,
            festival_render.speak_many(
                [plan.text for plan in group], voice=voice, wav_paths=paths, folder=folder
            ),
            strict=True,
        ):
            spoken[plan.id] = said
        songs = []
        for plan in group:
            notes, source = plan_melody([n for _, n in spoken[plan.id].words], split=plan.split, rng=plan.rng)
            sung[plan.id] = (notes, source)
            songs.append(festival_render.song_xml(spoken[plan.id].words, notes))
        paths = [os.path.join(folder, f"{plan.id}-singing.wav") for plan in group]
        for plan, segments in zip(
            group, festival_render.sing_many(songs, voice=voice, wav_paths=paths, folder=folder), strict=True
        ):
            sung[plan.id] = (*sung[plan.id], segments)
    return spoken, sung, time.perf_counter() - started


def build_chunk(args: tuple[str, int, list[int]]) -> dict:
    """Make the unfinished pairs of one chunk; return its timing line."""
    out, seed, indices = args
    started = time.perf_counter()
    plans = [plan_pair(seed, index) for index in indices if not _done(out, index)]
    if not plans:
        return {"pairs": 0, "festival_s": 0.0, "total_s": 0.0, "audio_s": 0.0}
    audio_s = 0.0
    with tempfile.TemporaryDirectory(prefix="songbridge-festival-") as folder:
        spoken, sung, festival_s = _festival_side(plans, folder)
        for plan in plans:
            notes, source, sung_segments = sung[plan.id]
            speech_cmu = phones.content_phones(
                [(0, 0, phones.from_festival(p)) for _, _, p in spoken[plan.id].segments]
            )
            sung_cmu = phones.content_phones([(0, 0, phones.from_festival(p)) for _, _, p in sung_segments])
            if speech_cmu != sung_cmu:
                _save_json(
                    os.path.join(out, "dropped", f"{plan.id}.json"),
                    {
                        "id": plan.id,
                        "text": plan.text,
                        "reason": "phone sequences differ",
                        "speech": " ".join(speech_cmu),
                        "singing": " ".join(sung_cmu),
                    },
                )
                continue
            pair = render_pair(
                plan,
                out=out,
                notes=notes,
                melody_source=source,
                speech_segments=spoken[plan.id].segments,
                sung_segments=sung_segments,
                festival_speech=os.path.join(folder, f"{plan.id}-speech.wav"),
                festival_singing=os.path.join(folder, f"{plan.id}-singing.wav"),
            )
            audio_s += pair.extra["speech_seconds"] + pair.extra["singing_seconds"]
            _save_json(os.path.join(out, "pairs", f"{plan.id}.json"), json.loads(pair.to_json()))
    return {
        "pairs": len(plans),
        "festival_s": festival_s,
        "total_s": time.perf_counter() - started,
        "audio_s": audio_s,
    }


def collect(out: str) -> tuple[list[Pair], int]:
    """Every finished pair's manifest line, and the number dropped."""
    pairs = []
    folder = os.path.join(out, "pairs")
    for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
        if name.endswith(".json"):
            with open(os.path.join(folder, name), encoding="utf-8") as handle:
                pairs.append(Pair.from_dict(json.load(handle), where=name))
    dropped = os.path.join(out, "dropped")
    n_dropped = len([n for n in os.listdir(dropped) if n.endswith(".json")]) if os.path.isdir(dropped) else 0
    return pairs, n_dropped


def build(
    *, out: str, n_pairs: int, seed: int, workers: int | None = None, progress: bool = True
) -> BuildReport:
    festival_render.require_festival()
    os.makedirs(out, exist_ok=True)
    started = time.perf_counter()
    chunks = [(out, seed, list(range(i, min(i + CHUNK, n_pairs)))) for i in range(0, n_pairs, CHUNK)]
    todo = [chunk for chunk in chunks if not all(_done(out, index) for index in chunk[2])]
    workers = workers or os.cpu_count() or 1
    bar = _progress(total=n_pairs, initial=sum(_done(out, i) for i in range(n_pairs)), enabled=progress)
    with open(os.path.join(out, "build_log.jsonl"), "a", encoding="utf-8") as log:
        log.write(json.dumps({"event": "start", "seed": seed, "pairs": n_pairs, "workers": workers}) + "\n")
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for line in pool.imap_unordered(build_chunk, todo):
                log.write(json.dumps({"event": "chunk", "workers": workers, **line}) + "\n")
                log.flush()
                bar.update(line["pairs"])
    bar.close()
    wall = time.perf_counter() - started
    with open(os.path.join(out, "build_log.jsonl"), "a", encoding="utf-8") as log:
        log.write(json.dumps({"event": "end", "workers": workers, "wall_s": wall}) + "\n")
    pairs, dropped = collect(out)
    pairs = [pair for pair in pairs if int(pair.id[2:]) < n_pairs]
    digest = write_manifest(pairs, os.path.join(out, MANIFEST_NAME))
    seconds = sum(p.extra["speech_seconds"] + p.extra["singing_seconds"] for p in pairs)
    return BuildReport(len(pairs), dropped, seconds / 3600, digest, wall)


def _progress(*, total: int, initial: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, initial=initial, unit="pair", disable=not enabled, desc="corpus")
