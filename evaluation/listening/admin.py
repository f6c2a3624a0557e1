"""The admin: the token check (SONGBRIDGE_ADMIN_TOKEN) and the readers behind it. Every admin reader is
called only after ``check_admin``; the tables come from export.py, imported when first read."""

from __future__ import annotations

import hmac

from evaluation.listening import settings
from evaluation.listening.catalog import StudyCatalog
from evaluation.listening.common import ListeningError


def check_admin(given: str | None) -> None:
    """Raise unless ``given`` equals SONGBRIDGE_ADMIN_TOKEN (compared in constant time); 404 when no
    token is configured (then there is no admin at all)."""
    expected = settings.admin_token()
    if expected is None:
        raise ListeningError("Not found.", 404)
    if not given or not hmac.compare_digest(str(given).encode(), expected.encode()):
        raise ListeningError("The admin token is missing or wrong.", 403)


def studies(catalog: StudyCatalog):
    from evaluation.listening.export import studies

    return studies(store=catalog.store)


def progress(catalog: StudyCatalog, study_id: str):
    """(per condition, per listener) progress tables of a study."""
    from evaluation.listening.export import progress_by_condition, progress_by_listener

    catalog.config(study_id)
    return (
        progress_by_condition(store=catalog.store, study_id=study_id),
        progress_by_listener(store=catalog.store, study_id=study_id),
    )


def answers(catalog: StudyCatalog, study_id: str):
    """The tidy answer table (export.answers_frame) of a study."""
    from evaluation.listening.export import answers_frame

    catalog.config(study_id)
    return answers_frame(store=catalog.store, study_id=study_id)


def participants(catalog: StudyCatalog, study_id: str):
    from evaluation.listening.export import participants_frame

    catalog.config(study_id)
    return participants_frame(store=catalog.store, study_id=study_id)
