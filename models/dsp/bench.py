"""``python -m models.dsp.bench``: does WORLD speech→singing follow the melody, keep its length, run fast?

Inputs: the bundled speech examples and seeded synthetic vowel chains, each sung to every built-in
tune (transposed an octave down for the low voices). Pitch accuracy is measured on the re-tracked
output (ARCHITECTURE.md); RTF = wall seconds ÷ output seconds, median of 5 on a 10 s melody.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from evaluation.metrics import note_pitch_accuracy
from evaluation.synthetic import vowel_chain
from models.dsp.world_sts import WorldSpeechToSinging
from models.features import load_audio
from models.melody import TUNES, parse_note_text, tune
from models.vocoder_bench import speech_examples


def inputs():
    for path in speech_examples():
        low = "awb" in path
        yield path.rsplit("/", 1)[-1], load_audio(path), -12 if low else 0
    for seed in range(3):
        yield f"vowel chain seed {seed}", vowel_chain(12, seed=seed), -12


def main() -> None:
    argparse.ArgumentParser(description=__doc__).parse_args()
    converter = WorldSpeechToSinging()
    rows = []
    print("| input | tune | RPA@50c | RCA | output / melody length |\n|---|---|---|---|---|")
    for name, audio, transpose in inputs():
        for title in TUNES:
            melody = tune(title).transposed(transpose)
            output = converter.convert(audio, melody=melody).audio
            rpa, rca = note_pitch_accuracy(output, melody.notes)
            ratio = output.duration / melody.duration
            rows.append((rpa, rca, ratio))
            print(f"| {name} | {title} | {rpa:.3f} | {rca:.3f} | {ratio:.4f} |")
    rpa, rca, ratio = (np.array(c) for c in zip(*rows, strict=True))
    print(
        f"\nmean RPA {rpa.mean():.3f} (min {rpa.min():.3f}), mean RCA {rca.mean():.3f}, "
        f"length ratio {ratio.min():.4f}–{ratio.max():.4f} over {len(rows)} conversions"
    )

    scale = " ".join(f"{m}:0.5" for m in [60, 62, 64, 65, 67, 65, 64, 62] * 2)
    ten_seconds = parse_note_text(scale + " 60:1.5 r:0.5")
    speech = load_audio(speech_examples()[0])
    times = []
    for _ in range(6):
        start = time.perf_counter()
        out = converter.convert(speech, melody=ten_seconds).audio
        times.append(time.perf_counter() - start)
    print(
        f"RTF on a {ten_seconds.duration:.1f} s melody with {speech.duration:.1f} s of speech: "
        f"{statistics.median(times[1:]) / out.duration:.3f} (median of 5 after a warm-up)"
    )


if __name__ == "__main__":
    main()
