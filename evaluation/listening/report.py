"""The analysis as a markdown report with PNG figures (matplotlib, Agg): what `analyze` writes and
the admin tab shows."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from evaluation.listening.analysis import BT_MIN_LISTENERS, Analysis


def markdown_table(*, frame: pd.DataFrame, digits: int = 3) -> str:
    """A pipe table; floats rounded, booleans as yes/no."""
    if frame is None or not len(frame):
        return "_no data_\n"

    def cell(v) -> str:
        if v is pd.NA:
            return "–"
        if isinstance(v, bool | np.bool_):
            return "yes" if v else "no"
        if isinstance(v, float | np.floating):
            return "–" if np.isnan(v) else (f"{v:.2e}" if 0 < abs(v) < 10**-digits else f"{v:.{digits}f}")
        return str(v)

    lines = ["| " + " | ".join(map(str, frame.columns)) + " |", "|" + "---|" * len(frame.columns)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def _figure(path: str, draw) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = draw(plt)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def preference_bars(*, table: pd.DataFrame, path: str) -> str:
    """Stacked x / tie / y shares, one bar per pair and attribute."""

    def draw(plt):
        labels = [f"{r.attribute}\n{r.system_x} vs {r.system_y}" for r in table.itertuples()]
        fig, ax = plt.subplots(figsize=(7, 0.55 * len(table) + 1.2))
        y = np.arange(len(table))
        ax.barh(y, table["share_x"], color="#3b75af", label="first system (x)")
        ax.barh(y, table["share_tie"], left=table["share_x"], color="#bbbbbb", label="tie")
        ax.barh(y, table["share_y"], left=table["share_x"] + table["share_tie"], color="#ef8636", label="y")
        ax.set_yticks(y, labels, fontsize=7)
        ax.axvline(0.5, color="k", lw=0.6, ls=":")
        ax.set_xlim(0, 1)
        ax.set_xlabel("share of votes")
        ax.legend(fontsize=7, loc="lower right")
        return fig

    return _figure(path, draw)


def bt_plot(*, table: pd.DataFrame, path: str) -> str:
    """Bradley–Terry log-strengths with their listener-bootstrap 95 % intervals (points only where an
    attribute has no interval), per attribute."""

    def draw(plt):
        attributes = list(dict.fromkeys(table["attribute"]))
        fig, axes = plt.subplots(1, len(attributes), figsize=(3.2 * len(attributes), 3), squeeze=False)
        for ax, attribute in zip(axes[0], attributes, strict=True):
            part = table[table["attribute"] == attribute].sort_values("score")
            y = np.arange(len(part))
            err = np.nan_to_num([part["score"] - part["ci_low"], part["ci_high"] - part["score"]])
            ax.errorbar(part["score"], y, xerr=err, fmt="o", capsize=3)
            ax.set_yticks(y, part["system"], fontsize=8)
            ax.set_title(attribute, fontsize=9)
            ax.set_xlabel("log strength")
        return fig

    return _figure(path, draw)


def mos_bars(*, table: pd.DataFrame, path: str) -> str:
    def draw(plt):
        labels = [f"{r.system}\n{r.attribute}" for r in table.itertuples()]
        fig, ax = plt.subplots(figsize=(max(4, 0.9 * len(table)), 3.2))
        x = np.arange(len(table))
        err = np.nan_to_num([table["mean"] - table["ci_low"], table["ci_high"] - table["mean"]])
        ax.bar(x, table["mean"], yerr=err, capsize=3, color="#3b75af")
        ax.set_xticks(x, labels, fontsize=7)
        ax.set_ylim(1, 5)
        ax.set_ylabel("MOS (listener-clustered 95 %)")
        return fig

    return _figure(path, draw)


def write_report(*, analysis: Analysis, out_dir: str, title: str, study_hash: str) -> str:
    """Write ``report.md`` and its figures into ``out_dir``; returns the report's path."""
    os.makedirs(out_dir, exist_ok=True)
    parts = [f"# {title}\n", f"Study hash `{study_hash}`; {len(analysis.screening)} listeners.\n"]
    parts += ["## Screening gates\n", markdown_table(frame=analysis.gates)]
    parts += ["## Listener screening\n", markdown_table(frame=analysis.screening)]
    for label, tables in (("All listeners", analysis.all), ("Screened listeners removed", analysis.kept)):
        parts.append(f"## {label}\n")
        suffix = "all" if label.startswith("All") else "kept"
        if "preference" in tables and len(tables["preference"]):
            preference_bars(
                table=tables["preference"], path=os.path.join(out_dir, f"preference_{suffix}.png")
            )
            parts += [
                "### Preference (share of decisive votes, ties left out; listener-clustered 95 % interval; "
                "listener sign-flip test, Holm across rows)\n",
                markdown_table(frame=tables["preference"]),
                f"![preference](preference_{suffix}.png)\n",
            ]
        if "bradley_terry" in tables and len(tables["bradley_terry"]):
            bt_plot(table=tables["bradley_terry"], path=os.path.join(out_dir, f"bradley_terry_{suffix}.png"))
            parts += [
                "### Bradley–Terry (decisive votes, ties left out; 95 % = t × listener-bootstrap SD; "
                f"no interval below {BT_MIN_LISTENERS} listeners)\n",
                markdown_table(frame=tables["bradley_terry"]),
                f"![bradley-terry](bradley_terry_{suffix}.png)\n",
            ]
        if "position_bias" in tables:
            parts += [
                "### Position bias (share of decisive votes for the clip played first; listener-clustered "
                "95 % interval and sign-flip test)\n"
            ]
            parts.append(markdown_table(frame=tables["position_bias"]))
        if "mos" in tables and len(tables["mos"]):
            mos_bars(table=tables["mos"], path=os.path.join(out_dir, f"mos_{suffix}.png"))
            parts += [
                "### MOS (listener-clustered 95 % t-interval; ci95_p808 = 1.96σ/√n over votes, not clustered)\n",
                markdown_table(frame=tables["mos"]),
                f"![mos](mos_{suffix}.png)\n",
            ]
        if "mos_differences" in tables and len(tables["mos_differences"]):
            parts += [
                "### MOS differences (listener-clustered 95 % t-interval and t-test, Holm across rows)\n",
                markdown_table(frame=tables["mos_differences"]),
            ]
        if not tables:
            parts.append("_no answers yet_\n")
    path = os.path.join(out_dir, "report.md")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))
    return path
