"""What the admin tab shows of a study's analysis: a summary in plain words first (who won what, how
sure), then the full report with readable numbers and its figures inline.

The tables come from :mod:`evaluation.listening.analysis`; every column is read defensively (a
missing one drops its part of a sentence), so the summary survives changes to the statistics.
"""

from __future__ import annotations

import base64
import math
import os
import re

import pandas as pd

ALPHA = 0.05
MIN_SIGN_FLIP_LISTENERS = 6  # below this the listener sign-flip test cannot reach p < 0.05


def p_text(p) -> str:
    """``p < 0.001``, ``p = 0.03``, ``p = 0.12``; empty when there is no p."""
    p = _number(p)
    if p is None:
        return ""
    return "p < 0.001" if p < 0.001 else f"p = {p:.3f}" if p < 0.01 else f"p = {p:.2f}"


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def _percent(value) -> str:
    value = _number(value)
    return "" if value is None else f"{100 * value:.0f} %"


def _get(row: pd.Series, column: str):
    return row[column] if column in row.index else None


def _choose(analysis) -> tuple[dict, str]:
    """The tables of the listeners kept after screening when there are any, else of all listeners."""
    screen = analysis.screening
    out = int(screen["screened_out"].sum()) if "screened_out" in getattr(screen, "columns", ()) else 0
    listeners = len(screen)
    kept = {k: v for k, v in analysis.kept.items() if v is not None and len(v)}
    if out and kept:
        return (
            kept,
            f"{listeners} listeners took part; {out} screened out by the study's rules, so this uses the "
            f"other {listeners - out}.",
        )
    line = f"{listeners} listener{'s' if listeners != 1 else ''} took part"
    line += (
        f"; {out} would be screened out, but that would leave no answers." if out else ", none screened out."
    )
    return analysis.all, line


def _preference_lines(table: pd.DataFrame) -> list[str]:
    """One line per attribute and pair, said of the winner: who, by how many votes, how sure."""
    lines = []
    if not {"attribute", "system_x", "system_y"} <= set(table.columns):
        return lines
    few = False
    for _, row in table.iterrows():
        x, y, share = row["system_x"], row["system_y"], _number(_get(row, "x_of_decisive"))
        if share is None:
            lines.append(f"- **{row['attribute']}**: {x} vs {y}, no decisive votes yet.")
            continue
        low, high = _number(_get(row, "ci_low")), _number(_get(row, "ci_high"))
        wins = {x: _number(_get(row, "x")), y: _number(_get(row, "y"))}
        if share < 0.5:  # y's share is 1 − x's, its interval the mirror of x's
            x, y, share = y, x, 1 - share
            low, high = (None if high is None else 1 - high), (None if low is None else 1 - low)
        detail = [_percent(share)]
        if wins[x] is not None and wins[y] is not None:
            detail = [f"{int(wins[x])} of {int(wins[x] + wins[y])} decisive votes, {_percent(share)}"]
        if low is not None and high is not None:
            detail.append(f"95 % interval {100 * low:.0f}–{_percent(high)}")
        ties = _number(_get(row, "tie"))
        if ties:
            detail.append(f"{int(ties)} tie{'s' if ties != 1 else ''}")
        who = f"{x} and {y} even" if math.isclose(share, 0.5) else f"{x} over {y}"
        verdict, too_few = _verdict(row)
        few |= too_few
        lines.append(f"- **{row['attribute']}**: {who} ({'; '.join(detail)}) — {verdict}")
    if few:
        lines.append(
            f"- _Pairs heard by fewer than {MIN_SIGN_FLIP_LISTENERS} listeners cannot show a clear difference yet: "
            "the test counts listeners, not votes._"
        )
    return lines


def _verdict(row: pd.Series) -> tuple[str, bool]:
    """How sure (from the Holm-adjusted p when there is one), and whether the pair had too few listeners."""
    p = _number(_get(row, "p_holm"))
    if p is None:
        p = _number(_get(row, "p"))
    if p is None:
        return "too few listeners to test.", True
    significant = _get(row, "significant")
    if bool(significant) if significant is not None else p < ALPHA:
        return f"**a clear difference** ({p_text(p)}).", False
    listeners = _number(_get(row, "listeners"))
    return f"not clear yet ({p_text(p)}).", listeners is not None and listeners < MIN_SIGN_FLIP_LISTENERS


def _ranking_lines(table: pd.DataFrame) -> list[str]:
    lines = []
    if not {"attribute", "system", "score"} <= set(table.columns):
        return lines
    for attribute, part in table.groupby("attribute", sort=True):
        part = part.sort_values("score", ascending=False)
        order = " > ".join(str(s) for s in part["system"])
        ranks = part["ci_rank"].dropna() if "ci_rank" in part.columns else pd.Series(dtype=float)
        note = next((n for n in part.get("note", pd.Series(dtype=str)) if isinstance(n, str) and n), "")
        if note:
            sure = f"order not tested: {note.removeprefix('no interval: ')}"
        elif len(ranks) == len(part) and ranks.nunique() == len(part):
            sure = "every step of this order is clear"
        elif len(ranks):
            sure = (
                "too close to call: no system is clearly ahead"
                if ranks.nunique() == 1
                else "partly clear: some neighbours in this order are too close to call"
            )
        else:
            sure = ""
        lines.append(f"- **{attribute}**: {order}" + (f" ({sure})" if sure else ""))
    return lines


def _position_lines(table: pd.DataFrame) -> list[str]:
    if "share_first" not in table.columns:
        return []
    lines = []
    for _, row in table.iterrows():
        p = _number(_get(row, "p"))
        if p is not None and p < ALPHA:
            lines.append(
                f"- Listeners favoured the clip played first on **{_get(row, 'attribute')}** "
                f"({_percent(row['share_first'])} of decisive votes, {p_text(p)}): the A/B order matters."
            )
    return lines


def _mos_lines(means: pd.DataFrame, differences: pd.DataFrame | None) -> list[str]:
    lines = []
    if not {"attribute", "system", "mean"} <= set(means.columns):
        return lines
    for attribute, part in means.groupby("attribute", sort=True):
        part = part.sort_values("mean", ascending=False)
        scores = []
        for _, row in part.iterrows():
            low, high = _number(_get(row, "ci_low")), _number(_get(row, "ci_high"))
            interval = (
                f" ({max(low, 1):.1f}–{min(high, 5):.1f})" if low is not None and high is not None else ""
            )
            scores.append(f"{row['system']} {row['mean']:.2f}{interval}")
        text = f"- **{attribute}**: mean opinion score " + ", ".join(scores) + "."
        if differences is not None and {"attribute", "system_x", "system_y", "diff"} <= set(
            differences.columns
        ):
            pairs = differences[differences["attribute"] == attribute]
            clear = (
                pairs[pairs["significant"].astype(bool)]
                if "significant" in pairs.columns
                else pairs.iloc[0:0]
            )
            for _, row in clear.iterrows():
                high, low = (
                    (row["system_x"], row["system_y"])
                    if row["diff"] > 0
                    else (row["system_y"], row["system_x"])
                )
                p = p_text(_get(row, "p_holm") if "p_holm" in row.index else _get(row, "p"))
                text += (
                    f" **{high} is clearly rated above {low}** (by {abs(row['diff']):.2f}, {p} after Holm)."
                )
            if len(pairs) and not len(clear):
                text += " No difference between systems is clear yet."
        lines.append(text)
    return lines


def summary(analysis) -> str:
    """The plain-language summary of an :class:`~evaluation.listening.analysis.Analysis`, as markdown."""
    tables, who = _choose(analysis)

    def table(name: str) -> pd.DataFrame:
        frame = tables.get(name)
        return frame if isinstance(frame, pd.DataFrame) else pd.DataFrame()

    parts = ["## Summary\n", who + "\n"]
    preference = _preference_lines(table("preference"))
    if preference:
        parts += [
            "**Which system listeners preferred** (share of decisive votes; ties left out):\n",
            *preference,
            "",
        ]
    ranking = _ranking_lines(table("bradley_terry"))
    if ranking:
        parts += ["**Overall order** (Bradley–Terry, best first):\n", *ranking, ""]
    mos = _mos_lines(table("mos"), tables.get("mos_differences"))
    if mos:
        parts += ["**Ratings** (1–5, 95 % intervals in brackets):\n", *mos, ""]
    parts += _position_lines(table("position_bias"))
    if not (preference or ranking or mos):
        parts.append("No test answers to summarise yet.")
    parts.append(
        "\n_A clear difference is one whose p-value, corrected for the number of comparisons (Holm), is below "
        f"{ALPHA:g}; every interval and test counts listeners, not votes. Details follow._\n"
    )
    return "\n".join(parts)


_SCIENTIFIC = re.compile(r"^-?\d+(?:\.\d+)?e[-+]?\d+$", re.IGNORECASE)


def _readable_cell(cell: str, column: str) -> str:
    if not _SCIENTIFIC.match(cell):
        return cell
    value = float(cell)
    if column == "p" or column.startswith("p_"):
        return "< 0.001" if value < 0.001 else f"{value:.3f}"
    return "0.000" if abs(value) < 0.0005 else f"{value:.3g}"


def readable_report(text: str, *, figures_dir: str | None = None) -> str:
    """The report markdown with numbers such as ``1.94e-10`` written as ``0.000`` (p-values as
    ``< 0.001``), and images named relative to ``figures_dir`` inlined (a relative path names nothing the
    browser can fetch)."""
    lines, header = [], None
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|-"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if header is None:
                header = cells
            else:
                # a row wider than its header (a stray "|" in a cell) keeps every cell, unrewritten past it
                cells = [_readable_cell(c, header[i] if i < len(header) else "") for i, c in enumerate(cells)]
                line = "| " + " | ".join(cells) + " |"
        elif not line.startswith("|"):
            header = None
        lines.append(line)
    text = "\n".join(lines)
    if figures_dir:
        text = re.sub(r"!\[([^\]]*)\]\(([^)/\\]+\.png)\)", lambda m: _inline(m, figures_dir), text)
    return text


def _inline(match: re.Match, folder: str) -> str:
    path = os.path.join(folder, match.group(2))
    if not os.path.isfile(path):
        return match.group(0)
    with open(path, "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return f"![{match.group(1)}](data:image/png;base64,{data})"


def without_section(text: str, heading: str) -> str:
    """``text`` without the markdown section ``heading`` (up to the next heading of any level ≤ its own)."""
    level = len(heading) - len(heading.lstrip("#"))
    pattern = re.compile(rf"^{re.escape(heading)}\s*\n.*?(?=^#{{1,{level}}} |\Z)", re.MULTILINE | re.DOTALL)
    return pattern.sub("", text, count=1)


def with_summary(report: str, summary_text: str) -> str:
    """``report`` with ``summary_text`` after its title lines, before its first section."""
    cut = report.find("\n## ")
    if cut < 0:
        return summary_text + "\n\n" + report
    return report[: cut + 1] + "\n" + summary_text + "\n" + report[cut + 1 :]
