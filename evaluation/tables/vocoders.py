"""``python -m evaluation.tables.vocoders``: speed and copy-synthesis quality of every vocoder.

Speed: real-time factor (wall seconds ÷ seconds of audio) on 10 s of speech, median of 5 runs after a
warm-up, at the current torch thread count. Quality: each bundled speech example analysed and
resynthesized, scored against the original with ``lsd_icassp``, ``lsd_db`` and the median F0 error in
cents over co-voiced frames; a control (HiFi-GAN on the mel with its frames shuffled) shows the scale.
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import time

import numpy as np

from models import features, vocoders
from models.features import HIFIGAN_MEL, ICASSP2020_LINEAR, Audio, load_audio

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def speech_examples() -> list[str]:
    return sorted(glob.glob(os.path.join(EXAMPLES, "speech_*.wav")))


def ten_seconds_of_speech() -> Audio:
    clips = [load_audio(path, sr=HIFIGAN_MEL.sample_rate).samples for path in speech_examples()]
    joined = np.concatenate(clips)
    samples = np.tile(joined, int(np.ceil(10 * HIFIGAN_MEL.sample_rate / len(joined))))
    return Audio(samples[: 10 * HIFIGAN_MEL.sample_rate], HIFIGAN_MEL.sample_rate)


def median_seconds(fn, runs: int = 5) -> float:
    fn()  # warm-up: numba JIT, torch kernels, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def speed_rows() -> list[tuple[str, float]]:
    import torch

    audio = ten_seconds_of_speech()
    mel = features.log_mel(audio)
    linear = features.spectrogram(audio, ICASSP2020_LINEAR)
    fp32 = vocoders.HiFiGAN.from_package(precision="fp32")
    bf16 = vocoders.HiFiGAN.from_package(precision="bf16")
    default = vocoders.resolve_precision()
    candidates = [
        (
            f"HiFi-GAN fp32, {torch.get_num_threads()} threads, chunks of {fp32.chunk_frames} frames"
            + (" (the default on this CPU)" if default == "fp32" else ""),
            lambda: fp32.synthesize(mel),
        ),
        (
            "HiFi-GAN bf16" + (" (the default on this CPU: hardware bf16)" if default == "bf16" else ""),
            lambda: bf16.synthesize(mel),
        ),
        ("Griffin-Lim from mel, 32 iterations", lambda: vocoders.GriffinLim(n_iter=32).synthesize(mel)),
        (
            "Griffin-Lim from linear |S|^1.2 (ICASSP 2020), 32 iterations",
            lambda: vocoders.GriffinLim(spec=ICASSP2020_LINEAR, power=1.2, n_iter=32).synthesize(linear),
        ),
    ]
    return [(name, median_seconds(fn) / audio.duration) for name, fn in candidates]


def quality_rows(path: str) -> list[tuple[str, float, float, float]]:
    from evaluation.metrics import f0_error_cents, lsd_db, lsd_icassp

    original = load_audio(path, sr=HIFIGAN_MEL.sample_rate)
    mel = features.log_mel(original)
    shuffled = mel[:, np.random.default_rng(0).permutation(mel.shape[1])]
    outputs = {
        "HiFi-GAN fp32": vocoders.HiFiGAN.from_package(precision="fp32").synthesize(mel),
        "HiFi-GAN bf16": vocoders.HiFiGAN.from_package(precision="bf16").synthesize(mel),
        "Griffin-Lim (mel, 32 it.)": vocoders.GriffinLim(n_iter=32).synthesize(mel),
        "Griffin-Lim (linear ^1.2, 32 it.)": vocoders.copy_synthesis(
            original, vocoders.GriffinLim(spec=ICASSP2020_LINEAR, power=1.2, n_iter=32)
        ),
        "control: HiFi-GAN, shuffled frames": vocoders.hifigan().synthesize(shuffled),
    }
    return [
        (name, lsd_icassp(original, out), lsd_db(original, out), f0_error_cents(original, out))
        for name, out in outputs.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--bench", action="store_true", help="accepted for old command lines; it is the only mode"
    )
    parser.parse_args()

    print("## Real-time factor on 10 s of speech (median of 5)\n")
    print("| vocoder | RTF |\n|---|---|")
    for name, rtf in speed_rows():
        print(f"| {name} | {rtf:.3f} |")
    for path in speech_examples():
        print(f"\n## Copy synthesis of {os.path.basename(path)}\n")
        print("| vocoder | lsd_icassp | lsd_db | median F0 error (cents) |\n|---|---|---|---|")
        for name, lsd, lsd_decibel, cents in quality_rows(path):
            print(f"| {name} | {lsd:.3f} | {lsd_decibel:.3f} | {cents:.1f} |")


if __name__ == "__main__":
    main()
