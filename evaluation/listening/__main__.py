"""``python -m evaluation.listening init|status|export|analyze|backup`` — the study's command line.

Settings come from the environment: SONGBRIDGE_DATA_DIR (default ./data, /data on a Space) and
SONGBRIDGE_JOURNAL_MODE (WAL, or DELETE on network storage; unset, the database keeps its mode).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time

from evaluation import engine
from evaluation.listening.database import STORAGE_ERRORS
from models.errors import SongbridgeError


def _store(args):
    from evaluation.listening.store import Store

    return Store(root=args.data_dir, url=args.database_url)


def cmd_init(args) -> None:
    from evaluation.listening.service import ListeningService
    from evaluation.listening.stimuli import import_stimuli
    from evaluation.listening.study import StudyError, load_study

    study = load_study(path=args.study)
    if study.arena.get("uploads"):  # a visitor's recording is converted by the systems themselves
        from models.registry import default_registry

        unknown = [s for s in study.systems if s not in default_registry().names()]
        if unknown:
            raise StudyError(
                f"arena.uploads: the system(s) {', '.join(unknown)} are not converters of this app; a visitor's "
                "recording is converted by the arena's systems (turn uploads off, or name converters)"
            )
    if study.generate is not None:
        from evaluation.listening.generate import generate
        from models.registry import default_registry

        generate(
            study=study, registry=default_registry(), engine=args.engine, workers=args.workers,
            scheduler=args.scheduler,
        )  # fmt: skip
        study = dataclasses.replace(study, folder=study.generate.output)
    store = _store(args)
    # Clips are made in a staging folder and moved in only for a study that registers: a refused
    # import (bad file, a study that already has answers) leaves the data directory as it was.
    staging = tempfile.mkdtemp(prefix=".import-", dir=store.root)
    final, moved = store.stimuli_dir(study.id), []
    existed = os.path.isdir(final)
    try:
        stimuli = import_stimuli(study=study, out_dir=staging)
        os.makedirs(final, exist_ok=True)
        for row in stimuli:
            moved.append(os.path.join(final, row["name"]))
            os.replace(os.path.join(staging, row["name"]), moved[-1])
        ListeningService(store=store).register(study=study, stimuli=stimuli, replace=args.replace)
    except BaseException:
        for path in moved:
            if os.path.exists(path):
                os.remove(path)
        if not existed and os.path.isdir(final) and not os.listdir(final):
            shutil.rmtree(os.path.dirname(final))
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    print(
        f"Study '{study.id}' ready (hash {study.hash}): {len(stimuli)} clips at {study.sample_rate} Hz, "
        f"{study.loudness_lufs:g} LUFS. Participant link: /?study={study.id}"
    )


def cmd_status(args) -> None:
    from evaluation.listening.export import progress_by_condition, studies

    store = _store(args)
    table = studies(store=store)
    print(table.to_string(index=False) if len(table) else "No studies yet; run init STUDY.yaml.")
    if args.study:
        print(progress_by_condition(store=store, study_id=args.study).to_string(index=False))


def cmd_export(args) -> None:
    from evaluation.listening.export import export

    out = args.out or f"{args.study}-answers.{args.format}"
    print(export(store=_store(args), study_id=args.study, fmt=args.format, out=out))


def cmd_analyze(args) -> None:
    from evaluation.listening.analysis import analyze
    from evaluation.listening.export import answers_frame, participants_frame
    from evaluation.listening.report import write_report
    from evaluation.listening.service import ListeningService

    store = _store(args)
    cfg = ListeningService(store=store).config(study_id=args.study)
    frame = answers_frame(store=store, study_id=args.study)
    result = analyze(
        answers=frame, study_type=cfg["type"], rules=cfg["screening"], resamples=args.resamples,
        participants=participants_frame(store=store, study_id=args.study),
    )  # fmt: skip
    print(write_report(analysis=result, out_dir=args.out, title=cfg["title"], study_hash=cfg["hash"]))


def cmd_backup(args) -> None:
    store = _store(args)
    suffix = (
        ".sqlite" if store.dialect == "sqlite" else ".dump"
    )  # pg_dump's custom format: pg_restore reads it
    dest = args.out or os.path.join(store.root, "backups", time.strftime("listening-%Y%m%d-%H%M%S") + suffix)
    print(store.backup(dest=dest))


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evaluation.listening", description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", default=None, help="data directory (default: SONGBRIDGE_DATA_DIR or ./data)")
    p.add_argument(
        "--database-url",
        default=None,
        help="postgresql://… for a study on PostgreSQL (default: SONGBRIDGE_DATABASE_URL, else SQLite in "
        "the data directory)",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("init", help="validate a study file, import and loudness-match its stimuli")
    s.add_argument("study", help="the study YAML file")
    s.add_argument("--replace", action="store_true", help="import again a study that has no answers yet")
    engine.add_arguments(s)  # where a generate: block's conversions run
    s.set_defaults(func=cmd_init)
    s = sub.add_parser("status", help="studies and their progress")
    s.add_argument("study", nargs="?", help="also show progress per condition of this study")
    s.set_defaults(func=cmd_status)
    s = sub.add_parser("export", help="answers as CSV or Parquet")
    s.add_argument("study")
    s.add_argument("--format", choices=["csv", "parquet"], default="csv")
    s.add_argument("--out", default=None)
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("analyze", help="statistics, figures and a markdown report")
    s.add_argument("study")
    s.add_argument("--out", required=True, help="folder for report.md and the PNG figures")
    s.add_argument("--resamples", type=int, default=1000, help="bootstrap resamples (default 1000)")
    s.set_defaults(func=cmd_analyze)
    s = sub.add_parser("backup", help="a consistent copy of the database (SQLite online backup, or pg_dump)")
    s.add_argument("--out", default=None)
    s.set_defaults(func=cmd_backup)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        args.func(args)
    except (SongbridgeError, ValueError, OSError, *STORAGE_ERRORS) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
