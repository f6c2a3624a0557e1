"""AlignSTS training examples (one per corpus pair, cached) and random phrase crops of them.

A pair's speech and singing are not time-aligned, so a crop takes the same run of phones from both:
the manifest's phone spans give the crop's bounds in each signal, and the diagonal attention window
stays valid inside it. A crop starts and ends on phones found on both sides: all of them in the synthetic
corpus, where both sides have one phone sequence; in PJS, whose speech labels differ from the sung ones
here and there (long vowels written once, a dropped vowel), the phones the two sequences share in order.
"""

from __future__ import annotations

import difflib
import multiprocessing

import numpy as np

from models import features
from models.alignsts.features import (
    CONTENT_SPEC,
    MEL_SPEC,
    content_features,
    fit_frames,
    pitch_frames,
    speaker_vector,
    speech_rhythm,
    sung_f0,
)
from models.corpus.manifest import Pair, audio_path, read_manifest
from models.corpus.phones import SILENCE
from models.melody import Melody, Note
from models.rhythm import rhythm_of_mel
from models.training.cache import Example, cache_path, cached_examples

CACHE_VERSION = "v3"  # v2: the sung F0 per frame; v3: bounds of the phones both sides share


def shared_bounds(sung_spans, spoken_spans) -> tuple[np.ndarray, np.ndarray]:
    """(2, P) start and end seconds, on each side, of the P non-silent phones both sequences share in
    order (their longest common runs; every phone when the sequences are equal)."""
    sung = [(a, b, p) for a, b, p in sung_spans if p != SILENCE]
    spoken = [(a, b, p) for a, b, p in spoken_spans if p != SILENCE]
    matcher = difflib.SequenceMatcher(None, [p for *_, p in sung], [p for *_, p in spoken], autojunk=False)
    pairs = [(i + k, j + k) for i, j, n in matcher.get_matching_blocks() for k in range(n)]

    def bounds(spans, indices) -> np.ndarray:
        return np.array([spans[i][:2] for i in indices], dtype=np.float32).T.reshape(2, -1)

    return bounds(sung, [i for i, _ in pairs]), bounds(spoken, [j for _, j in pairs])


def prepare(args: tuple[str, Pair]) -> Example:
    """Every feature of one pair; see models.alignsts.features for each."""
    root, pair = args
    speech = features.load_audio(audio_path(root, pair.speech_wav))
    singing = features.load_audio(audio_path(root, pair.singing_wav), sr=MEL_SPEC.sample_rate)
    mel = features.log_mel(singing, MEL_SPEC)
    melody = Melody(tuple(Note(m, o, d) for m, o, d in pair.notes))
    notes, onsets = pitch_frames(melody, mel.shape[1])
    content = content_features(speech)
    sung_bounds, spoken_bounds = shared_bounds(pair.singing_phones, pair.speech_phones)
    return {
        "content": content.astype(np.float16),
        "speech_rhythm": fit_frames(speech_rhythm(speech), content.shape[1], pad="edge"),
        "speaker": speaker_vector(speech),
        "mel": mel.astype(np.float16),
        "rhythm": rhythm_of_mel(mel),
        "notes": notes.astype(np.int16),
        "onsets": onsets.astype(np.int8),
        "f0": sung_f0(singing, mel.shape[1]).astype(np.float32),
        "sung_bounds": sung_bounds,
        "spoken_bounds": spoken_bounds,
    }


def load_split(root: str, split: str, *, cache_dir: str | None = None, workers: int = 1) -> list[Example]:
    """Every pair of ``split`` as an example, cached per (split, manifest) in ``cache_dir``."""
    from models.corpus.manifest import manifest_hash

    path = cache_path(cache_dir, "alignsts", split, manifest_hash(root), CACHE_VERSION) if cache_dir else None

    def build() -> list[Example]:
        jobs = [(root, pair) for pair in read_manifest(root, split=split)]
        if workers <= 1:
            return [prepare(job) for job in jobs]
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            return pool.map(prepare, jobs, chunksize=4)

    return cached_examples(path, build)


def crop(example: Example, rng: np.random.Generator, seconds: float) -> Example:
    """A run of whole phones lasting about ``seconds`` of singing, cut from both sides of the pair.

    The first and last crops of an utterance keep its leading and trailing silence.
    """
    sung, spoken = example["sung_bounds"], example["spoken_bounds"]
    n_phones = sung.shape[1]
    total_sung = example["mel"].shape[1] * MEL_SPEC.frame_seconds
    if n_phones == 0 or total_sung <= seconds:
        return example
    first = int(rng.integers(n_phones))
    last = first
    while last + 1 < n_phones and sung[1, last] - sung[0, first] < seconds:
        last += 1
    if sung[1, last] - sung[0, first] < seconds and first > 0:  # ran out at the end: reach back
        while first > 0 and sung[1, last] - sung[0, first] < seconds:
            first -= 1
    sing_from = 0.0 if first == 0 else float(sung[0, first])
    sing_to = total_sung if last == n_phones - 1 else float(sung[1, last])
    speak_total = example["content"].shape[1] * CONTENT_SPEC.frame_seconds
    speak_from = 0.0 if first == 0 else float(spoken[0, first])
    speak_to = speak_total if last == n_phones - 1 else float(spoken[1, last])
    a, b = int(sing_from / MEL_SPEC.frame_seconds), int(np.ceil(sing_to / MEL_SPEC.frame_seconds))
    c, d = int(speak_from / CONTENT_SPEC.frame_seconds), int(np.ceil(speak_to / CONTENT_SPEC.frame_seconds))
    b, d = max(b, a + 4), max(d, c + 2)
    out = dict(example)
    for key in ("mel", "rhythm", "notes", "onsets", "f0"):
        out[key] = example[key][..., a:b]
    for key in ("content", "speech_rhythm"):
        out[key] = example[key][..., c:d]
    if out["onsets"].shape[-1] and out["notes"][0] > 0:  # a crop starting inside a note starts that note
        out["onsets"] = out["onsets"].copy()
        out["onsets"][0] = 1
    return out
