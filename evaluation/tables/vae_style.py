"""Measure the voice-style VAE on held-out style pairs: ``python -m evaluation.tables.vae_style``.

Rows: the unprocessed input, the DSP growl effect itself (models/corpus/growl.py with its default
style, on a WORLD analysis of the input), and the VAE through Griffin-Lim and through HiFi-GAN (and the
VAE's own reconstruction mode, strength 0, through HiFi-GAN). Each row's lsd_db and MCD to the target
with 95 % t-intervals over the pairs, every output brought to the pairs' 16 kHz first (``SCORE_SR``),
and each row's real-time factor (median of 5 runs on a 10 s input, as ARCHITECTURE.md defines it).

python -m evaluation.tables.vae_style --corpus DIR [--split test] [--checkpoint models/checkpoints/vae-growl.pt]
python -m evaluation.tables.vae_style --pairs DIR   # any folder of <name>/clean.wav + target.wav
python -m evaluation.tables.vae_style --real FILE.wav ...   # reference-free check on real recordings

``--real`` has no true growl to compare with: it reports each output's length and level, that it is
finite, and lsd_db to the DSP growl of the same recording (a pseudo-target: how far the VAE moves a real
voice toward what the effect it learned would do), beside the input's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

from evaluation.metrics import lsd_db, mcd
from models.features import Audio, load_audio, to_rate
from models.vae_style.data import PAIR_LIMITS, corpus_pair_names, pair_names

#: the pairs' rate, at which inputs are read and outputs scored (both metrics read only 0–8 kHz anyway)
SCORE_SR = 16000
ROWS = ("input", "dsp-growl", "vae-gl", "vae-hifigan", "vae-recon-hifigan")


def dsp_growl(audio: Audio) -> Audio:
    """The corpus's growl effect applied to a recording (WORLD analysis, default GrowlStyle)."""
    from models.corpus.growl import GrowlStyle, render_growl
    from models.world import analyse

    out = render_growl(analyse(audio), GrowlStyle())
    samples = np.pad(out.samples, (0, max(0, len(audio.samples) - len(out.samples))))[: len(audio.samples)]
    return Audio(samples, out.sr)


def interval(values: list[float]) -> tuple[float, float]:
    """Mean and the half-width of its 95 % t-interval."""
    from scipy import stats

    x = np.asarray(values, dtype=np.float64)
    if len(x) < 2:
        return float(x.mean()), float("nan")
    return float(x.mean()), float(stats.t.ppf(0.975, len(x) - 1) * x.std(ddof=1) / np.sqrt(len(x)))


def evaluate(folder: str, names: list[str], converter, *, gl_iterations: int = 32) -> dict:
    per_row: dict[str, dict[str, list[float]]] = {r: {"lsd_db": [], "mcd": []} for r in ROWS}
    for name in names:
        clean = load_audio(os.path.join(folder, name, "clean.wav"), sr=SCORE_SR, limits=PAIR_LIMITS)
        target = load_audio(os.path.join(folder, name, "target.wav"), sr=SCORE_SR, limits=PAIR_LIMITS)
        Options = converter.Options
        outputs = {
            "input": clean,
            "dsp-growl": dsp_growl(clean),
            "vae-gl": converter.convert(
                clean, options=Options(vocoder="griffinlim", griffinlim_iterations=gl_iterations)
            ).audio,
            "vae-hifigan": converter.convert(clean, options=Options(vocoder="hifigan")).audio,
            "vae-recon-hifigan": converter.convert(
                clean, options=Options(vocoder="hifigan", strength=0.0)
            ).audio,
        }
        for row, audio in outputs.items():
            audio = to_rate(audio, SCORE_SR)
            per_row[row]["lsd_db"].append(lsd_db(target, audio))
            per_row[row]["mcd"].append(mcd(target, audio))
        print(name, {r: round(per_row[r]["lsd_db"][-1], 2) for r in ROWS}, file=sys.stderr)
    return summarise(per_row)


def summarise(per_row: dict[str, dict[str, list[float]]]) -> dict:
    """Per row and metric: (mean, 95 % half-width), n, and the per-pair values."""
    return {
        row: {metric: interval(values) for metric, values in metrics.items()}
        | {"n": len(metrics["lsd_db"]), "values": metrics}
        for row, metrics in per_row.items()
    }


def _test_input(seconds: float = 10.0) -> Audio:
    sr = 22050
    t = np.arange(int(seconds * sr)) / sr
    f0 = 150 * 2 ** (0.2 * np.sin(2 * np.pi * 0.3 * t))
    phase = 2 * np.pi * np.cumsum(f0) / sr
    return Audio((sum(np.sin(k * phase) / k for k in range(1, 30)) * 0.1).astype(np.float32), sr)


def rtf(convert, *, runs: int = 5) -> float:
    """Median wall-clock ÷ output seconds of ``convert(audio) -> Audio`` on a 10 s harmonic input, after a
    warm-up run (model loaded)."""
    audio = _test_input()
    convert(audio)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = convert(audio)
        times.append((time.perf_counter() - start) / out.duration)
    return statistics.median(times)


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def real_voice_check(converter, paths: list[str]) -> list[dict]:
    rows = []
    for path in paths:
        voice = load_audio(path, sr=SCORE_SR)
        pseudo = dsp_growl(voice)
        row = {"file": os.path.basename(path), "seconds": round(voice.duration, 2)}
        row["lsd_db_input"] = round(lsd_db(pseudo, voice), 2)
        for vocoder in ("griffinlim", "hifigan"):
            out = to_rate(_vae(converter, voice, vocoder), SCORE_SR)
            x = out.samples
            row[vocoder] = {
                "finite": bool(np.isfinite(x).all()),
                "length_ratio": round(len(x) / len(voice.samples), 4),
                "rms_db_change": round(float(20 * np.log10(_rms(x) / _rms(voice.samples))), 2),
                "lsd_db_to_dsp_growl": round(lsd_db(pseudo, out), 2),
            }
        print(json.dumps(row), file=sys.stderr)
        rows.append(row)
    return rows


def _vae(converter, audio: Audio, vocoder: str) -> Audio:
    return converter.convert(audio, options=converter.Options(vocoder=vocoder)).audio


def markdown(results: dict, rtfs: dict) -> str:
    lines = ["| row | lsd_db to target (dB) | MCD to target (dB) | n | RTF |", "|---|---|---|---|---|"]
    for row in ROWS:
        r = results[row]
        (lsd, lsd_h), (m, mh) = r["lsd_db"], r["mcd"]
        lines.append(
            f"| {row} | {lsd:.2f} ± {lsd_h:.2f} | {m:.2f} ± {mh:.2f} | {r['n']} | {rtfs.get(row, '')} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from models.registry import CHECKPOINT_DIR
    from models.vae_style.converter import VAEStyleConverter

    parser = argparse.ArgumentParser(
        prog="python -m evaluation.tables.vae_style", description=__doc__.split("\n")[0]
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--corpus")
    source.add_argument("--pairs")
    source.add_argument("--real", nargs="+", help="real recordings: a reference-free check")
    parser.add_argument("--split", default="test")
    parser.add_argument("--checkpoint", default=os.path.join(CHECKPOINT_DIR, "vae-growl.pt"))
    parser.add_argument("--rtf-runs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--out", default=None, help="write results JSON here")
    args = parser.parse_args(argv)
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.real:
        rows = real_voice_check(VAEStyleConverter(args.checkpoint), args.real)
        if args.out:
            with open(args.out, "w", encoding="utf-8") as f:
                json.dump(rows, f, indent=1)
        return 0
    if args.corpus:
        folder, names = os.path.join(args.corpus, "style"), corpus_pair_names(args.corpus, args.split)
    else:
        folder, names = args.pairs, pair_names(args.pairs)
    converter = VAEStyleConverter(args.checkpoint)
    results = evaluate(folder, names, converter)
    rtfs = {}
    if args.rtf_runs:
        rtfs = {
            "dsp-growl": round(rtf(dsp_growl, runs=args.rtf_runs), 3),
            **{
                row: round(rtf(lambda a, v=vocoder: _vae(converter, a, v), runs=args.rtf_runs), 3)
                for row, vocoder in (("vae-gl", "griffinlim"), ("vae-hifigan", "hifigan"))
            },
        }
    print(markdown(results, rtfs))
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump({"results": results, "rtf": rtfs, "pairs": names}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
