"""Does the benchmark rank systems as a listener would, from files alone? A known-answer layout.

``python -m evaluation.published_check --corpus corpora/pjs --items pjs041,pjs025 --out DIR`` lays out
real pairs in the outside-systems layout of ARCHITECTURE.md (``DIR/<system>/<item>.wav``,
``DIR/_reference``, ``DIR/_context``) with four "systems" whose right order is known without a test:

- ``faithful-copy``: the true singing through WORLD analysis and synthesis, nothing changed;
- ``flattened-to-notes``: the same, with every voiced frame sung at its note's exact pitch (the singer's
  vibrato, glides and tuning removed): what a converter that sings the score flat produces;
- ``late-150ms``: the faithful copy 150 ms late (the same sound, off the singer's timing);
- ``stretched-speech``: the spoken sentence stretched to the song's length (the floor).

A listener asked how close each is to the true singing puts the faithful copy first, the late and the
flattened copies behind it, and the speech last. Then ``python -m evaluation.benchmark --external DIR
--out OUT`` scores them. The pre-issue-20 yardstick (pitch against notes transcribed from the reference)
put the flattened copy *above* the faithful one; the columns against the true singing do not.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from models import features, world
from models.corpus.manifest import audio_path, read_manifest
from models.features import Audio, AudioLimits, load_audio
from models.melody import midi_to_hz

LATE_S = 0.15
LONG = AudioLimits(min_seconds=0.05, max_seconds=120.0)
SYSTEMS = ("faithful-copy", "flattened-to-notes", "late-150ms", "stretched-speech")


def flattened(params: world.WorldParams, notes) -> world.WorldParams:
    """WORLD parameters with each voiced frame inside a note at that note's pitch; voiced frames outside
    every note keep their pitch rounded to the nearest semitone."""
    f0 = params.f0.copy()
    voiced = f0 > 0
    f0[voiced] = midi_to_hz(np.round(69 + 12 * np.log2(f0[voiced] / 440.0)))
    for midi, onset, duration in notes:
        if midi is None:
            continue
        inside = voiced & (params.times >= onset) & (params.times < onset + duration)
        f0[inside] = midi_to_hz(midi)
    return world.WorldParams(f0, params.sp, params.ap, params.sr)


def systems_for(singing: Audio, speech: Audio, notes) -> dict[str, Audio]:
    """The four known-answer outputs for one pair (see the module docstring)."""
    params = world.analyse(singing)
    copy = world.synthesize(params)
    late = np.concatenate([np.zeros(round(LATE_S * copy.sr), np.float32), copy.samples])[: len(copy.samples)]
    return {
        "faithful-copy": copy,
        "flattened-to-notes": world.synthesize(flattened(params, notes)),
        "late-150ms": Audio(late, copy.sr),
        "stretched-speech": features.stretch_to_length(speech, round(singing.duration * speech.sr)),
    }


def lay_out(corpus: str, item_ids: list[str], out: str) -> None:
    """Write the layout for ``item_ids`` of the corpus at ``corpus`` under ``out``."""
    import soundfile

    pairs = {pair.id: pair for pair in read_manifest(corpus)}
    missing = [item for item in item_ids if item not in pairs]
    if missing:
        raise ValueError(f"not in {corpus}: {', '.join(missing)}")
    for item in item_ids:
        pair = pairs[item]
        singing = load_audio(audio_path(corpus, pair.singing_wav), sr=pair.sample_rate, limits=LONG)
        speech = load_audio(audio_path(corpus, pair.speech_wav), sr=pair.sample_rate, limits=LONG)
        context = os.path.join(out, "_context", item)
        os.makedirs(context, exist_ok=True)
        os.makedirs(os.path.join(out, "_reference"), exist_ok=True)
        soundfile.write(os.path.join(out, "_reference", f"{item}.wav"), singing.samples, singing.sr)
        soundfile.write(os.path.join(context, "source.wav"), speech.samples, speech.sr)
        with open(os.path.join(context, "melody.txt"), "w", encoding="utf-8") as handle:
            handle.write(" ".join(f"{m}:{d}" if m is not None else f"r:{d}" for m, _, d in pair.notes))
        for system, audio in systems_for(singing, speech, pair.notes).items():
            os.makedirs(os.path.join(out, system), exist_ok=True)
            soundfile.write(os.path.join(out, system, f"{item}.wav"), audio.samples, audio.sr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evaluation.published_check", description=__doc__)
    parser.add_argument(
        "--corpus", required=True, help="a corpus folder with true singing (e.g. corpora/pjs)"
    )
    parser.add_argument("--items", required=True, help="pair ids, comma-separated")
    parser.add_argument("--out", required=True, help="folder for the layout")
    args = parser.parse_args(argv)
    try:
        lay_out(args.corpus, [i.strip() for i in args.items.split(",") if i.strip()], args.out)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"laid out {', '.join(SYSTEMS)} under {args.out}; score with: python -m evaluation.benchmark "
        f"--external {args.out} --out OUT"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
