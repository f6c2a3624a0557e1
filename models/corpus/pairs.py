"""One synthetic pair: its plan (all randomness from a generator seeded by (seed, index)) and its rendering.

Festival speaks and sings the lyrics in a base voice; WORLD then re-synthesizes both sides as the
pair's speaker (formant warp, F0 shift). The sung side takes its F0 from the known notes with
overshoot, preparation, vibrato and drift (Festival's own sung F0 was only 89.8 % within 50 cents of
the notes), voiced where Festival's singing is voiced or inside a vowel.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import soundfile as sf

from models.corpus import growl, phones
from models.corpus.festival_render import Segment
from models.corpus.lyrics import by_split
from models.corpus.manifest import Pair, sha256_file
from models.corpus.speakers import SPEAKERS, UNSEEN, WARP_JITTER, Speaker, warp_envelope
from models.dsp.sing_f0 import F0Style, singing_f0
from models.features import Audio, load_audio
from models.melody import Melody, Note
from models.world import FRAME_MS, WorldParams, analyse, match_level, synthesize

SAMPLE_RATE = 16000  # Festival's diphone voices; 16 kHz content ends at 8 kHz, HiFi-GAN's fmax
UNSEEN_SHARE_OF_TEST = 0.3
ENVELOPE_STRIDE = 2  # envelope every 10 ms: halves D4C, the slowest stage (see models.world.analyse)
STYLE_EVERY = 3  # a growl style pair for every third pair: enough for the VAE, a third of the cost


def split_of_index(index: int) -> str:
    """80 / 10 / 10 %; every run of ten pairs holds one valid and one test pair."""
    bucket = index % 10
    return "test" if bucket == 9 else "valid" if bucket == 8 else "train"


def pair_id(index: int) -> str:
    return f"sb{index:06d}"


@dataclass
class PairPlan:
    index: int
    split: str
    speaker: Speaker
    warp: float
    text: str
    f0_style: F0Style
    growl_style: growl.GrowlStyle
    rng: np.random.Generator  # continues into the melody, drawn once the syllable counts are known

    @property
    def id(self) -> str:
        return pair_id(self.index)


def plan_pair(seed: int, index: int) -> PairPlan:
    rng = np.random.default_rng([seed, index])
    split = split_of_index(index)
    if split == "test" and rng.random() < UNSEEN_SHARE_OF_TEST:
        speaker = UNSEEN
    else:
        speaker = SPEAKERS[rng.integers(len(SPEAKERS))]
    lines = by_split()[split]
    return PairPlan(
        index=index,
        split=split,
        speaker=speaker,
        warp=speaker.formant_warp + float(rng.uniform(-WARP_JITTER, WARP_JITTER)),
        text=lines[rng.integers(len(lines))],
        f0_style=F0Style(
            overshoot=float(rng.uniform(0.5, 1.2)),
            preparation=float(rng.uniform(0.5, 1.2)),
            vibrato_rate_hz=float(rng.uniform(4.8, 6.2)),
            vibrato_extent_cents=float(rng.uniform(15, 50)),
            vibrato_delay_s=float(rng.uniform(0.15, 0.4)),
            fluctuation_cents=float(rng.uniform(3, 9)),
        ),
        growl_style=growl.random_style(rng),
        rng=rng,
    )


def cmu_spans(segments: list[Segment]) -> list[tuple[float, float, str]]:
    """Festival segments → CMU-39 + SIL, zero-length entries dropped, neighbouring silences merged."""
    spans = [(round(a, 4), round(b, 4), phones.from_festival(p)) for a, b, p in segments if b - a > 1e-6]
    return phones.merge_silences(spans)


def _write(audio: Audio, path: str) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    sf.write(path, audio.samples, audio.sr, subtype="PCM_16")


def _as_speaker(
    festival: Audio, params: WorldParams, plan: PairPlan, f0: np.ndarray | None
) -> tuple[WorldParams, Audio]:
    new_f0 = params.f0 * 2 ** (plan.speaker.f0_shift / 12) if f0 is None else f0
    params = WorldParams(new_f0, warp_envelope(params.sp, plan.warp), params.ap, params.sr)
    out = synthesize(params)
    return params, Audio(match_level(out.samples, festival.samples), out.sr)


def _sung_f0(
    festival_f0: np.ndarray, notes: list, sung: list[tuple[float, float, str]], plan: PairPlan
) -> np.ndarray:
    melody = Melody(tuple(Note(m, o, d) for m, o, d in notes))
    target = singing_f0(melody, len(festival_f0), FRAME_MS / 1000, plan.f0_style, seed=plan.index)
    times = np.arange(len(festival_f0)) * FRAME_MS / 1000
    in_vowel = np.zeros(len(times), dtype=bool)
    for start, end, phone in sung:
        if phone in phones.VOWELS:
            in_vowel |= (times >= start) & (times < end)
    return np.where(((festival_f0 > 0) | in_vowel) & (target > 0), target, 0.0)


def render_pair(
    plan: PairPlan,
    *,
    out: str,
    notes: list,
    melody_source: str,
    speech_segments: list[Segment],
    sung_segments: list[Segment],
    festival_speech: str,
    festival_singing: str,
) -> Pair:
    """Write the pair's speech, singing and style files under ``out``; return its manifest line."""
    speech_phones, singing_phones = cmu_spans(speech_segments), cmu_spans(sung_segments)
    shift = plan.speaker.f0_shift
    sung_notes = [(None if m is None else m + shift, o, d) for m, o, d in notes]

    spoken = load_audio(festival_speech, sr=SAMPLE_RATE)
    _, speech = _as_speaker(spoken, analyse(spoken, envelope_stride=ENVELOPE_STRIDE), plan, None)
    sung_source = load_audio(festival_singing, sr=SAMPLE_RATE)
    festival = analyse(sung_source, envelope_stride=ENVELOPE_STRIDE)
    sung_f0 = _sung_f0(festival.f0, sung_notes, singing_phones, plan)
    sung_params, singing = _as_speaker(sung_source, festival, plan, sung_f0)
    files = {"speech_wav": f"speech/{plan.id}.wav", "singing_wav": f"singing/{plan.id}.wav"}
    _write(speech, os.path.join(out, files["speech_wav"]))
    _write(singing, os.path.join(out, files["singing_wav"]))
    if plan.index % STYLE_EVERY == 0:
        files |= {"style_clean": f"style/{plan.id}/clean.wav", "style_target": f"style/{plan.id}/target.wav"}
        _write(singing, os.path.join(out, files["style_clean"]))
        _write(growl.render_growl(sung_params, plan.growl_style), os.path.join(out, files["style_target"]))
    return Pair(
        id=plan.id,
        split=plan.split,
        speaker=plan.speaker.name,
        base_voice=plan.speaker.base_voice,
        text=plan.text,
        speech_wav=files["speech_wav"],
        singing_wav=files["singing_wav"],
        speech_phones=speech_phones,
        singing_phones=singing_phones,
        notes=sung_notes,
        sample_rate=SAMPLE_RATE,
        sha256={key: sha256_file(os.path.join(out, rel)) for key, rel in files.items()},
        extra={
            "speaker_kind": plan.speaker.kind,
            "formant_warp": round(plan.warp, 4),
            "f0_shift_semitones": shift,
            "melody_source": melody_source,
            "speech_seconds": round(speech.duration, 4),
            "singing_seconds": round(singing.duration, 4),
        },
    )
