"""Paired differences between systems of one benchmark table, item by item, with 95 % Student-t intervals:
`python results/retrain_pjs/ordering.py results/retrain_pjs/pjs_test/results.csv "A>B" "B>C" …`
("A>B": A is expected better: lower LSD, higher RCA). Prints a markdown table.
"""

import sys

import pandas as pd

from evaluation.benchmark.table import mean_ci

METRICS = (("lsd_icassp", "LSD (icassp)", -1), ("rca", "RCA", 1))


def verdict(low: float, high: float, better: int) -> str:
    """'yes' when the interval of A − B lies on A's better side, 'no' on the other side, else 'tie'."""
    if better < 0:
        low, high = -high, -low
    return "yes" if low > 0 else "no" if high < 0 else "tie"


def main(path: str, claims: list[str]) -> str:
    rows = pd.read_csv(path)
    rows = rows[rows["error"].isna()]
    values = [m for m, _, _ in METRICS]
    lines = [
        "| claim | " + " | ".join(f"{label}: A − B (95 % CI)" for _, label, _ in METRICS) + " | holds? | n |",
        "|---|" + "---|" * (len(METRICS) + 2),
    ]
    for claim in claims:
        a, b = claim.split(">")
        wide = rows[rows["system"].isin([a, b])].pivot_table(index="item", columns="system", values=values)
        cells, verdicts, n = [], [], 0
        for metric, _, better in METRICS:
            mean, half, n = mean_ci((wide[metric][a] - wide[metric][b]).dropna())
            cells.append(f"{mean:+.3f} ± {half:.3f}")
            verdicts.append(verdict(mean - half, mean + half, better))
        holds = f"LSD {verdicts[0]}, RCA {verdicts[1]}"
        lines.append(f"| {a} better than {b} | " + " | ".join(cells) + f" | {holds} | {n} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(main(sys.argv[1], sys.argv[2:]))
