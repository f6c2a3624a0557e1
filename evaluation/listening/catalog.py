"""The studies the service serves: importing one (``register``), its settings (cached per process, checked
against the stored version), open or closed, its clips' names, and its ``participants:`` rules."""

from __future__ import annotations

import json
from collections.abc import Callable

from evaluation.listening.common import ListeningError
from evaluation.listening.store import Store
from evaluation.listening.study import DEFAULT_PARTICIPANTS, PAIRWISE, Study


def rules(cfg: dict) -> dict:
    """A study's ``participants:`` rules (the defaults for a study imported before they existed)."""
    return {**DEFAULT_PARTICIPANTS, **cfg.get("participants", {})}


class StudyCatalog:
    """The studies of one store, with the settings and clip names of each cached."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._config: dict[str, tuple[float, dict]] = {}  # study -> (version, settings)
        self._names: dict[str, dict[tuple, str]] = {}

    def register(
        self, *, study: Study, stimuli: list[dict], replace: bool, clock: Callable[[], float]
    ) -> None:
        """Store the study and its stimulus rows; a study with answers is never replaced."""
        config = {
            "title": study.title, "type": study.type, "attributes": study.attributes,
            "systems": list(study.systems), "items": sorted({r["item"] for r in stimuli}),
            "trials": study.trials_per_listener, "catch_rate": study.catch_rate, "seed": study.seed,
            "screening": study.screening, "participants": study.participants, "consent": study.consent,
            "questions": study.questions, "arena": study.arena, "sample_rate": study.sample_rate,
            "loudness_lufs": study.loudness_lufs,
            "hash": study.hash,
        }  # fmt: skip
        n_systems = len(study.systems)
        cells = len(config["items"]) * (
            n_systems * (n_systems - 1) // 2 if study.type in PAIRWISE else n_systems
        )
        if study.trials_per_listener > cells:
            raise ListeningError(
                f"trials_per_listener: {study.trials_per_listener} is more than the {cells} conditions of the "
                f"{len(config['items'])} items found; a listener would hear one twice."
            )
        with self.store.transaction() as db:
            if db.execute("SELECT 1 FROM studies WHERE id = ?", [study.id]).fetchone():
                if db.execute("SELECT 1 FROM answers WHERE study_id = ? LIMIT 1", [study.id]).fetchone():
                    raise ListeningError(
                        f"Study '{study.id}' already has answers; give the new version a new id."
                    )
                if not replace:
                    raise ListeningError(
                        f"Study '{study.id}' exists; run init with --replace to import it again."
                    )
                db.execute(
                    "DELETE FROM play_events WHERE participant IN (SELECT token FROM participants WHERE study_id = ?)",
                    [study.id],
                )
                for table in ("trials", "participants", "stimuli"):
                    db.execute(f"DELETE FROM {table} WHERE study_id = ?", [study.id])
                db.execute("DELETE FROM studies WHERE id = ?", [study.id])
            db.insert(
                "studies",
                {
                    "id": study.id,
                    "title": study.title,
                    "type": study.type,
                    "hash": study.hash,
                    "yaml": study.source_text,
                    "config": json.dumps(config),
                    "status": "open",
                    "sample_rate": study.sample_rate,
                    "listeners": 0,
                    "created_at": clock(),
                },
            )
            db.insert_all("stimuli", stimuli)
        self._config.pop(study.id, None)
        self._names.pop(study.id, None)

    def config(self, study_id: str) -> dict:
        """The study's settings. Cached, but checked against the stored version (its import time) on each
        call: ``init --replace`` in another process while the app serves the study is picked up at once
        (stale clip names made every new consent fail until a restart)."""
        rows = self.store.query("SELECT config, created_at FROM studies WHERE id = ?", (study_id,))
        if not rows:
            raise ListeningError(f"There is no study '{study_id}'. Check the link.", 404)
        cached = self._config.get(study_id)
        if cached is None or cached[0] != rows[0]["created_at"]:  # new, or imported again meanwhile
            self._names.pop(study_id, None)
            self._config[study_id] = cached = (rows[0]["created_at"], json.loads(rows[0]["config"]))
        return cached[1]

    def set_status(self, study_id: str, status: str) -> None:
        if status not in ("open", "closed"):
            raise ListeningError("A study is either open or closed.")
        self.config(study_id)
        with self.store.transaction() as db:
            db.update("studies", study_id, {"status": status})

    def stimulus_names(self, study_id: str) -> dict[tuple, str]:
        """(kind, item, system) -> the clip's file name."""
        if study_id not in self._names:
            rows = self.store.query(
                "SELECT name, item, system, kind FROM stimuli WHERE study_id = ?", (study_id,)
            )
            self._names[study_id] = {(r["kind"], r["item"], r["system"]): r["name"] for r in rows}
        return self._names[study_id]
