"""Paired differences between systems of one benchmark table, item by item, with 95 % Student-t intervals:
`python results/retrain_pjs/ordering.py results/retrain_pjs/pjs_test/results.csv "A>B" "B>C" …`
("A>B": A is expected better: lower LSD, higher RCA). Prints a markdown table.

`python results/retrain_pjs/ordering.py --minus A B RESULTS.csv …`: A − B item by item for every measure both
systems have values for (the singing → speech rows' MCD, LSD, speaker similarity, DNSMOS, output length,
intelligibility), one table row per file and measure.
"""

import sys

import pandas as pd

from evaluation.benchmark.table import mean_ci

#: every measure a table may have, with its label; --minus reports those present, in this order
MEASURES = {
    "mcd": "MCD", "lsd_icassp": "LSD (icassp)", "lsd_db": "LSD (dB)", "rca": "RCA", "speaker_sim": "speaker sim",
    "dnsmos": "DNSMOS", "output_s": "output length (s)", "aligned": "align success", "phone_score": "phone score",
    "wer": "WER", "per": "PER (ppg)",
}  # fmt: skip
#: the paper-ordering claims' measures and which way is better (−1: lower)
METRICS = (("lsd_icassp", -1), ("rca", 1))


def verdict(low: float, high: float, better: int) -> str:
    """'yes' when the interval of A − B lies on A's better side, 'no' on the other side, else 'tie'."""
    if better < 0:
        low, high = -high, -low
    return "yes" if low > 0 else "no" if high < 0 else "tie"


def paired(rows: pd.DataFrame, a: str, b: str, column: str) -> tuple[float, float, int]:
    """Mean ± 95 % half-width and n of A − B in ``column`` over the items both systems have a value for."""
    wide = rows[rows["system"].isin([a, b])].pivot_table(index="item", columns="system", values=column)
    if a not in wide or b not in wide:
        return float("nan"), float("nan"), 0
    return mean_ci((wide[a] - wide[b]).dropna())


def scored(path: str) -> pd.DataFrame:
    rows = pd.read_csv(path)
    return rows[rows["error"].isna()]


def main(path: str, claims: list[str]) -> str:
    rows = scored(path)
    lines = [
        "| claim | " + " | ".join(f"{MEASURES[m]}: A − B (95 % CI)" for m, _ in METRICS) + " | holds? | n |",
        "|---|" + "---|" * (len(METRICS) + 2),
    ]
    for claim in claims:
        a, b = claim.split(">")
        cells, verdicts, n = [], [], 0
        for metric, better in METRICS:
            mean, half, n = paired(rows, a, b, metric)
            cells.append(f"{mean:+.3f} ± {half:.3f}")
            verdicts.append(verdict(mean - half, mean + half, better))
        holds = f"LSD {verdicts[0]}, RCA {verdicts[1]}"
        lines.append(f"| {a} better than {b} | " + " | ".join(cells) + f" | {holds} | {n} |")
    return "\n".join(lines)


def minus(a: str, b: str, paths: list[str]) -> str:
    lines = ["| table | measure | A − B (95 % CI) | n |", "|---|---|---|---|"]
    for path in paths:
        rows = scored(path)
        for column, label in MEASURES.items():
            if column not in rows or rows[column].isna().all():
                continue
            mean, half, n = paired(rows, a, b, column)
            if n:
                lines.append(f"| {path} | {label} | {mean:+.3f} ± {half:.3f} | {n} |")
    return "\n".join([f"A = {a}, B = {b}", "", *lines])


if __name__ == "__main__":
    if sys.argv[1] == "--minus":
        print(minus(sys.argv[2], sys.argv[3], sys.argv[4:]))
    else:
        print(main(sys.argv[1], sys.argv[2:]))
