"""Join benchmark runs of one item set into one table: `python results/retrain_pjs/merge.py OUT RUN [RUN …]`.

Every row of the first run stays; each later run adds the rows of systems not yet present (the floors and
ceilings every run repeats are kept once). ``RUN:OLD=NEW`` renames a run's system OLD (the part before
" ←") to NEW, e.g. to tell a table's earlier checkpoints from the bundled ones of the same name.
"""

import sys

import pandas as pd

from evaluation.benchmark import table


def split_outside_brackets(text: str, separator: str, *, at_most: int = -1) -> list[str]:
    """``text`` split at each ``separator`` outside brackets (names may carry options: ``name[k=v;k=v]``)."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"[": 1, "]": -1}.get(char, 0)
        if char == separator and depth == 0 and at_most != len(parts):
            parts.append(text[start:i])
            start = i + 1
    return [*parts, text[start:]]


def rename_pair(pair: str) -> tuple[str, str]:
    """``OLD=NEW``, split at the first "=" outside brackets."""
    parts = split_outside_brackets(pair, "=", at_most=1)
    if len(parts) != 2:
        raise ValueError(f"rename {pair!r}: write OLD=NEW")
    return parts[0], parts[1]


def renamed(system: str, names: dict[str, str]) -> str:
    """``system`` with the part before " ←" (the converter) looked up in ``names``."""
    converter, arrow, rest = system.partition(" ←")
    return names.get(converter, converter) + arrow + rest


if __name__ == "__main__":
    out, runs = sys.argv[1], sys.argv[2:]
    frames = []
    for spec in runs:
        run, _, rename = spec.rpartition(":") if ":" in spec else (spec, "", "")
        frame = pd.read_csv(f"{run}/results.csv")
        names = dict(rename_pair(pair) for pair in filter(None, split_outside_brackets(rename, ",")))
        frame["system"] = frame["system"].map(lambda system, names=names: renamed(system, names))
        seen = set().union(*(set(f["system"]) for f in frames)) if frames else set()
        frames.append(frame[~frame["system"].isin(seen)])
    rows = pd.concat(frames, ignore_index=True)
    rows = rows.astype(object).where(rows.notna(), None)
    _, _, text = table.write(rows.to_dict("records"), {}, out, rtf_runs=0)
    print(text)
