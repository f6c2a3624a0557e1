"""Item-paired LSD differences against the paper's exponent, per model, from explore.py's CSVs.

PYTHONPATH=. python results/retrain_pjs/sharpen/paired.py results/retrain_pjs/sharpen/*.csv
"""

import sys

import pandas as pd

BASE = "gl32 p1.2"


def main(paths: list[str]) -> None:
    rows = pd.concat([pd.read_csv(p) for p in paths]).drop_duplicates(["model", "variant", "item"])
    print("| model | variant | LSD ↓ | − paper's p1.2 (95 % CI) | RCA | n |\n|---|---|---|---|---|---|")
    for model, d in rows.groupby("model", sort=False):
        lsd = d.pivot(index="item", columns="variant", values="lsd")
        rca = d.pivot(index="item", columns="variant", values="rca")
        for variant in d["variant"].unique():
            diff = (lsd[variant] - lsd[BASE]).dropna()
            half = 1.96 * diff.std(ddof=1) / len(diff) ** 0.5 if len(diff) > 1 else float("nan")
            r = rca[variant].mean()
            print(
                f"| {model} | {variant} | {lsd[variant].mean():.2f} | {diff.mean():+.2f} ± {half:.2f} | "
                f"{'—' if pd.isna(r) else f'{r:.3f}'} | {len(diff)} |"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
