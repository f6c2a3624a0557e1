"""``python -m evaluation.tables.vocoders [--bench]``: every vocoder's speed and quality, in one run.

1. **HiFi-GAN's runtimes side by side** — the same generator weights and mel on PyTorch (fp32, bf16),
   OpenVINO (fp32, bf16) and ONNX Runtime (fp32): real-time factor on 10 s of speech (median of 5 after a
   warm-up, at the current torch thread count), the output's difference from PyTorch fp32 (max |Δ|,
   ``lsd_icassp``), and copy synthesis of that speech scored against the recording (``lsd_icassp``): a
   runtime qualifies as the default when that score stays within 0.05 of fp32's.
2. **The vocoders on copy synthesis** of the real-voice set (13 voices, speech) and the PJS test split's
   singing (needs ``corpora/pjs``): ``lsd_icassp`` against the recording, median F0 error in cents over
   co-voiced frames, DNSMOS P.835 overall (when ``speechmos`` is installed), and RTF; HiFi-GAN as it runs
   by default, the Vocos-style vocoder (the bundled checkpoint or ``--vocos PATH``), Griffin-Lim, and a
   control (HiFi-GAN on shuffled frames).
3. **Streaming**: for a 10 s input through converters that vocode with HiFi-GAN, the time to the first
   audio piece beside the whole conversion's time and RTF, the streamed audio against the one-shot output
   (``lsd_icassp``), and the streamed pieces' level against the final output's (dB).
"""

from __future__ import annotations

import argparse
import glob
import os
import statistics
import time

import numpy as np

from models import features, vocoders
from models.features import HIFIGAN_MEL, Audio, load_audio

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIMES = [
    ("torch", "fp32"),
    ("torch", "bf16"),
    ("openvino", "fp32"),
    ("openvino", "bf16"),
    ("onnxruntime", "fp32"),
]
VOCOS_CHECKPOINT = os.path.join(ROOT, "models", "checkpoints", "vocos.pt")


def speech_examples() -> list[str]:
    return sorted(glob.glob(os.path.join(ROOT, "examples", "speech_*.wav")))


def ten_seconds_of_speech() -> Audio:
    clips = [load_audio(path, sr=HIFIGAN_MEL.sample_rate).samples for path in speech_examples()]
    joined = np.concatenate(clips)
    samples = np.tile(joined, int(np.ceil(10 * HIFIGAN_MEL.sample_rate / len(joined))))
    return Audio(samples[: 10 * HIFIGAN_MEL.sample_rate], HIFIGAN_MEL.sample_rate)


def median_seconds(fn, runs: int = 5) -> float:
    fn()  # warm-up: numba JIT, kernels, caches
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def table(header: list[str], rows: list[list]) -> str:
    def cell(value) -> str:
        if isinstance(value, (float, np.floating)):
            if np.isnan(value):
                return "—"
            if value != 0 and abs(value) < 0.01:
                return f"{value:.1e}"
            return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows])


# ---------------------------------------------------------------------------------------------------------
# 1. HiFi-GAN's runtimes


def runtime_rows() -> list[list]:
    from evaluation.metrics import lsd_icassp

    audio = ten_seconds_of_speech()
    mel = features.log_mel(audio)
    rows, reference, reference_copy = [], None, None
    for runtime, precision in RUNTIMES:
        start = time.perf_counter()
        vocoder = vocoders.HiFiGAN.from_package(runtime=runtime, precision=precision)
        load_s = time.perf_counter() - start
        if (vocoder.runtime, vocoder.precision) != (
            runtime,
            "fp32" if runtime == "onnxruntime" else precision,
        ):
            rows.append([f"{runtime} {precision}", "did not load", *[float("nan")] * 6])
            continue
        rtf = median_seconds(lambda v=vocoder: v.synthesize(mel)) / audio.duration
        # the same runtime in one generator call: what the pieces (1 s, then ×4, 16 frames of context each
        # side, so that a streamed output is the one-shot output) cost on top
        whole = vocoders.HiFiGAN(vocoder.generator, runner=vocoder.runner, whole_up_to=mel.shape[1])
        rtf_one_call = median_seconds(lambda v=whole: v.synthesize(mel)) / audio.duration
        out = vocoder.synthesize(mel)
        copy_lsd = lsd_icassp(audio, out)
        if reference is None:  # torch fp32 comes first
            reference, reference_copy = out, copy_lsd
        rows.append(
            [
                f"{runtime} {precision}",
                f"{load_s:.1f} s",
                rtf_one_call,
                rtf,
                float(np.max(np.abs(out.samples - reference.samples))),
                lsd_icassp(reference, out),
                copy_lsd,
                copy_lsd - reference_copy,
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------------------------
# 2. The vocoders on copy synthesis


def real_voice_speech() -> list[Audio]:
    from models.corpus.manifest import audio_path, read_manifest

    root = os.path.join(ROOT, "evaluation", "real_voice")
    return [
        load_audio(audio_path(root, p.speech_wav), sr=HIFIGAN_MEL.sample_rate) for p in read_manifest(root)
    ]


def pjs_test_singing(root: str) -> list[Audio]:
    from models.corpus.manifest import audio_path, read_manifest

    if not os.path.exists(os.path.join(root, "manifest.jsonl")):
        return []
    return [
        load_audio(audio_path(root, p.singing_wav), sr=HIFIGAN_MEL.sample_rate)
        for p in read_manifest(root, split="test")
    ]


def candidate_vocoders(vocos_path: str | None) -> dict[str, vocoders.Vocoder]:
    shared = vocoders.hifigan()
    found = {f"HiFi-GAN ({shared.runtime} {shared.precision}, the default)": shared}
    path = vocos_path or (VOCOS_CHECKPOINT if os.path.exists(VOCOS_CHECKPOINT) else None)
    if path:
        found[f"Vocos-style ({os.path.relpath(path, ROOT)})"] = vocoders.VocosVocoder.from_checkpoint(path)
    found["Griffin-Lim (mel, 32 it.)"] = vocoders.GriffinLim(n_iter=32)
    return found


def copy_synthesis_rows(sets: dict[str, list[Audio]], candidates: dict) -> list[list]:
    from evaluation.metrics import f0_error_cents, lsd_icassp

    try:
        from evaluation.dnsmos import dnsmos
    except ImportError:  # speechmos is a dev dependency
        dnsmos = None
    rows = []
    for set_name, recordings in sets.items():
        if not recordings:
            rows.append([set_name, "(not built: see --pjs)", *[float("nan")] * 4])
            continue
        mels = [features.log_mel(r) for r in recordings]
        seconds = sum(r.duration for r in recordings)
        named = dict(candidates)
        named["control: HiFi-GAN, shuffled frames"] = None
        for name, vocoder in named.items():
            if vocoder is None:
                rng = np.random.default_rng(0)
                outs = [vocoders.hifigan().synthesize(m[:, rng.permutation(m.shape[1])]) for m in mels]
                rtf = float("nan")
            else:
                start = time.perf_counter()
                outs = [vocoder.synthesize(m) for m in mels]
                rtf = (time.perf_counter() - start) / seconds
            lsd = float(np.mean([lsd_icassp(r, o) for r, o in zip(recordings, outs, strict=True)]))
            cents = float(np.nanmedian([f0_error_cents(r, o) for r, o in zip(recordings, outs, strict=True)]))
            quality = float(np.mean([dnsmos(o).ovrl for o in outs])) if dnsmos else float("nan")
            rows.append([set_name, name, lsd, cents, quality, rtf])
        if dnsmos:
            rows.append(
                [
                    set_name,
                    "the recordings themselves",
                    0.0,
                    0.0,
                    float(np.mean([dnsmos(r).ovrl for r in recordings])),
                    float("nan"),
                ]
            )
    return rows


# ---------------------------------------------------------------------------------------------------------
# 3. Streaming


def streaming_rows() -> list[list]:
    from evaluation.metrics import lsd_icassp
    from models import melody
    from models.registry import default_registry
    from models.streaming import streaming_to

    registry = default_registry()
    speech = ten_seconds_of_speech()
    tune = melody.tune("Ode to Joy (Beethoven)")
    rows = []
    for name, tune_or_none in (("vocoder-check", None), ("alignsts", tune), ("vae-growl", None)):
        converter = registry.get(name)
        converter.convert(Audio(speech.samples[:22050], speech.sr), melody=tune_or_none)  # warm-up
        pieces: list[Audio] = []
        arrivals: list[float] = []  # seconds from the start at which each piece came
        start = time.perf_counter()

        def listen(piece: Audio, start=start, arrivals=arrivals, pieces=pieces) -> None:
            arrivals.append(time.perf_counter() - start)
            pieces.append(piece)

        with streaming_to(listen):
            result = converter.convert(speech, melody=tune_or_none)
        total = time.perf_counter() - start
        one_shot = converter.convert(speech, melody=tune_or_none).audio
        streamed = Audio(np.concatenate([p.samples for p in pieces]), pieces[0].sr)
        final = features.to_rate(result.audio, streamed.sr).samples
        n = min(len(final), len(streamed.samples))
        level = 20 * np.log10(np.std(streamed.samples[:n]) / max(np.std(final[:n]), 1e-12))
        out_s = result.audio.duration
        rows.append(
            [
                name,
                len(pieces),
                arrivals[0],
                total,
                total / max(out_s, speech.duration),
                lsd_icassp(one_shot, streamed),
                level,
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------------------------


def main() -> None:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--bench", action="store_true", help="accepted for old command lines; it is the only mode"
    )
    parser.add_argument(
        "--vocos", default=None, help="a Vocos-style checkpoint to score (default: the bundled one)"
    )
    parser.add_argument("--pjs", default=os.path.join(ROOT, "corpora", "pjs"), help="the PJS corpus folder")
    parser.add_argument("--skip", default="", help="sections to leave out, e.g. 'copy,streaming'")
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))

    threads = torch.get_num_threads()
    print(f"# Vocoders on this machine ({os.cpu_count()} cores, torch at {threads} threads)\n")
    if "runtimes" not in skip:
        print("## 1. HiFi-GAN's runtimes: 10 s of speech, median of 5\n")
        header = [
            "runtime",
            "load",
            "RTF, one call",
            "RTF in pieces (as the app)",
            "max |Δ| vs torch fp32",
            "LSD vs torch fp32",
            "copy-synthesis LSD",
            "Δ vs fp32's",
        ]
        print(table(header, runtime_rows()) + "\n")
    if "copy" not in skip:
        print("## 2. Copy synthesis: real-voice speech (13) and PJS test singing\n")
        sets = {"real-voice speech": real_voice_speech(), "PJS test singing": pjs_test_singing(args.pjs)}
        header = ["set", "vocoder", "lsd_icassp", "median F0 error (cents)", "DNSMOS OVRL", "RTF"]
        print(table(header, copy_synthesis_rows(sets, candidate_vocoders(args.vocos))) + "\n")
    if "streaming" not in skip:
        print("## 3. Streaming a 10 s input (HiFi-GAN as by default)\n")
        header = [
            "converter",
            "pieces",
            "first audio (s)",
            "whole conversion (s)",
            "RTF",
            "LSD streamed vs one-shot",
            "streamed level vs final (dB)",
        ]
        print(table(header, streaming_rows()))


if __name__ == "__main__":
    main()
