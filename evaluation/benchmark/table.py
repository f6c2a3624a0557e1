"""Write the per-item CSV and the markdown tables of means with 95 % confidence intervals.

The tables follow Table 1 of the ICASSP 2020 paper (System | LSD ↓ | RCA ↑), widened with the other
measures, one table per set and task: converters first, then the ceiling and floor reference rows.
"""

from __future__ import annotations

import math
import os

import numpy as np

from evaluation.dnsmos import PACKAGE_VERSION as DNSMOS_VERSION

COLUMNS = {
    # column: (header, direction)
    "lsd_icassp": ("LSD (icassp)", "↓"),
    "rca": ("RCA", "↑"),
    "rpa": ("RPA", "↑"),
    "rpa_notes": ("RPA vs notes", "↑"),
    "rca_notes": ("RCA vs notes", "↑"),
    "rpa_contour": ("RPA vs given contour", "↑"),
    "lsd_db": ("LSD (dB)", "↓"),
    "mcd": ("MCD (dB)", "↓"),
    "f0_rmse_cents": ("F0 RMSE (cents)", "↓"),
    "vde": ("VDE", "↓"),
    "aligned": ("align success", "↑"),
    "phone_score": ("phone score", "↑"),
    "wer": ("WER", "↓"),
    "per": ("PER (ppg)", "↓"),
    "speaker_sim": ("speaker sim", "↑"),
    "dnsmos": ("DNSMOS", "↑"),
    "dnsmos_sig": ("DNSMOS SIG", "↑"),
    "f0_range_st": ("F0 range (st)", "≈ speech"),
    "f0_slope_st_s": ("F0 slope (st/s)", "≈ speech"),
}
#: singing→speech puts its primary measures first (MCD, then WER: ARCHITECTURE.md)
ORDER = {
    "speech → singing": list(COLUMNS),
    "singing → speech": [
        "mcd",
        "wer",
        "aligned",
        "phone_score",
        "per",
        "lsd_icassp",
        "lsd_db",
        "speaker_sim",
        "dnsmos",
        "dnsmos_sig",
        "f0_range_st",
        "f0_slope_st_s",
    ],
}
KIND_ORDER = {"converter": 0, "external": 0, "ceiling": 1, "floor": 2}


def mean_ci(values) -> tuple[float, float, int]:
    """(mean, half-width of the 95 % Student-t interval, n) over the finite values; half-width NaN for n < 2."""
    from scipy import stats

    x = np.asarray([v for v in values if v == v and v is not None], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, 0
    if n == 1:
        return float(x[0]), math.nan, 1
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return float(x.mean()), half, n


def _cell(mean: float, half: float) -> str:
    if mean != mean:
        return "—"
    digits = 1 if abs(mean) >= 100 else 2 if abs(mean) >= 10 else 3
    return f"{mean:.{digits}f}" if half != half else f"{mean:.{digits}f} ± {half:.{digits}f}"


def markdown(frame, rtf: dict[str, float]) -> str:
    """One markdown table per (set, task) of the rows in ``frame`` (a pandas DataFrame)."""
    parts = []
    for (set_name, task), group in frame.groupby(["set", "task"], sort=False):
        columns = [c for c in ORDER[task] if group[c].notna().any()]
        items = group["item"].nunique()
        noun = "item" if items == 1 else "items"
        parts.append(f"### {set_name}: {task} ({items} {noun}; mean ± 95 % CI)\n")
        header = ["System", *(f"{COLUMNS[c][0]} {COLUMNS[c][1]}" for c in columns), "RTF ↓", "n"]
        parts.append("| " + " | ".join(header) + " |")
        parts.append("|" + "---|" * len(header))
        systems = sorted(group.groupby("system", sort=False), key=lambda g: KIND_ORDER[g[1]["kind"].iloc[0]])
        for system, rows in systems:
            ok = rows[rows["error"].fillna("") == ""]
            cells = [_cell(*mean_ci(ok[c])[:2]) for c in columns]
            speed = rtf.get(system, math.nan)
            failed = len(rows) - len(ok)
            n = f"{len(ok)}" + (f" ({failed} failed)" if failed else "")
            parts.append("| " + " | ".join([system, *cells, _cell(speed, math.nan), n]) + " |")
        parts.append("")
    return "\n".join(parts)


def write(
    rows: list[dict], rtf: dict[str, float], out: str, *, rtf_runs: int = 5, problems: list[str] = ()
) -> tuple[str, str, str]:
    """Write ``results.csv`` and ``table.md`` under ``out``; return their paths and the markdown.
    ``problems`` (items that could not be scored in full, and why) are listed under the tables."""
    import pandas as pd

    os.makedirs(out, exist_ok=True)
    frame = pd.DataFrame(rows)
    csv_path, md_path = os.path.join(out, "results.csv"), os.path.join(out, "table.md")
    frame.to_csv(csv_path, index=False)
    timing = (
        f"RTF: wall seconds ÷ output seconds, median of {rtf_runs} after a warm-up, on a 10 s melody with "
        "5 s of speech (speech→singing) or a 10 s input; ceiling rows time the vocoder's copy synthesis; "
        "— where not timed. "
        if rtf_runs > 0
        else "RTF not measured (--rtf-runs 0). "
    )
    notes = timing + (
        "LSD (both forms) has the output RMS-matched to the true target first and runs over the target's "
        "length (a missing tail counts as silence). RCA/RPA: the re-tracked output (pYIN) against the true "
        "singing's re-tracked F0, frame by frame over its voiced frames, output frames missing or unvoiced "
        "counted as misses (the ICASSP 2020 and AlignSTS definition); — where no true singing exists. "
        "RPA/RCA vs notes: against the target notes over the middle 15–85 % of each note. RPA vs given "
        "contour (--melody reference): against the reference recording's contour the converter was given, "
        "over the middle 15–85 % of each note read from it. F0 RMSE and VDE: "
        "against the true singing where there is one, else the notes. MCD: standard scale (SPTK mel-cepstra, "
        "10/ln10·sqrt(2Σ), DTW, 16 kHz, α 0.42). LSD and MCD need a true target; the real-voice set has none "
        "(there the singing floor is the input as it is: no target length to stretch to). DNSMOS "
        f"(P.835 OVRL and SIG, speechmos {DNSMOS_VERSION}) is reference-free and was trained on noisy and "
        "enhanced speech, not singing: read it as how clean a clip sounds, not how well it sings. "
        "Intelligibility: align success, phone score and WER are "
        "pocketsphinx's (independent of every Songbridge model; English only, so empty for Japanese items); "
        "PER (ppg) is the phone error rate of "
        "Songbridge's own phoneme recognizer (models/ppg, trained on the synthetic corpus, so not independent) "
        "against the item's known phones. F0 range (5th–95th percentile span, semitones) and slope "
        "(declination, semitones per second) of a singing→speech output are speech-like when close to the "
        "true speech's row. Definitions: ARCHITECTURE.md, evaluation/metrics.py.\n"
    )
    trouble = "\n#### Problems\n\n" + "".join(f"- {problem}\n" for problem in problems) if problems else ""
    text = (markdown(frame, rtf) + "\n" + notes if len(frame) else "No outputs were scored.\n") + trouble
    with open(md_path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return csv_path, md_path, text
