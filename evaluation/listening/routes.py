"""The light HTTP path for participants and the admin: a FastAPI router mounted beside Gradio.

Plays, ends and answers never enter Gradio's conversion queue. Every route checks its caller itself:
participant routes take the participant token (query or JSON body); admin routes take the
``X-Admin-Token`` header and do not exist (404) unless SONGBRIDGE_ADMIN_TOKEN is set. Answers and
play reports are rate-limited per participant (ratelimit.py): a script's flood gets 429, not rows.

The handlers are plain functions run in Starlette's thread pool (only reading the body is async), so
SQLite work never blocks the event loop Gradio shares. That is safe: the store's one connection is
opened with ``check_same_thread=False`` and every use of it holds the store's lock.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import time
from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from evaluation.listening import uploads
from evaluation.listening.database import STORAGE_ERRORS
from evaluation.listening.ratelimit import ANSWER_RATE, EVENT_RATE, Rate, RateLimiter, client_address
from evaluation.listening.service import API, ListeningError, ListeningService
from evaluation.listening.stimuli import redithered


class BlindFileResponse(FileResponse):
    """A clip without ``ETag`` or ``Last-Modified``: Starlette derives both from the file's modification
    time, and a script that recovers those times learns the order the clips were written (blinding)."""

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        self.headers.setdefault("content-length", str(stat_result.st_size))


logger = logging.getLogger(__name__)
#: what a participant reads when the study's storage fails: nothing of theirs is lost, and what to do
STORAGE_DOWN = ListeningError(
    "The study cannot save anything right now (a problem on the server's side, not yours). Nothing you "
    "already answered is lost; please wait a minute, then press the button again.", 503, retry_after=60,
)  # fmt: skip


def _refusal(error: ListeningError) -> JSONResponse:
    headers = {"Retry-After": str(error.retry_after)} if error.retry_after else None
    return JSONResponse({"error": str(error)}, status_code=error.status, headers=headers)


def _limited(limiter: RateLimiter, token: str, what: str) -> None:
    """Refuse with 429 when this participant sends ``what`` faster than any listener can."""
    if not limiter.allow(token):
        raise ListeningError(
            f"Too many {what} from this link at once; wait a moment and try again.", 429,
            retry_after=max(1, round(limiter.retry_after(token))),
        )  # fmt: skip


#: the largest request body the listening API reads: a consent with its profile or an answer is well under
#: a kilobyte; a larger body is refused before it is read whole
MAX_BODY_BYTES = 16_384
#: recordings (up to uploads.MAX_BYTES each) read at once per process; more are refused, not queued
MAX_UPLOADS_READ_AT_ONCE = 4
BUSY_READING = "Many recordings are arriving; try again in a few seconds."


async def _read_bytes(request: Request, limit: int) -> bytes | ListeningError:
    """The body of a POST, or the refusal when it is over ``limit`` bytes (checked before it is read whole)."""
    too_large = ListeningError(f"The request body is over {limit // 1024} KB.", 413)
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return too_large
    body = bytearray()
    async for chunk in request.stream():  # a chunked body has no length to check up front
        body += chunk
        if len(body) > limit:
            return too_large
    return bytes(body)


async def _read(request: Request) -> dict | ListeningError:
    """The JSON object of a POST, or the refusal to raise when a handler asks for it (see ``_json``)."""
    body = await _read_bytes(request, MAX_BODY_BYTES)
    if isinstance(body, ListeningError):
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return ListeningError("The request body must be JSON.", 422)
    if not isinstance(data, dict):
        return ListeningError("The request body must be a JSON object.", 422)
    return data


def _json(body: dict | ListeningError | None) -> dict:
    if isinstance(body, ListeningError):
        raise body
    return body or {}


def build_router(
    *, service: ListeningService, answer_rate: Rate = ANSWER_RATE, event_rate: Rate = EVENT_RATE
) -> APIRouter:
    router = APIRouter(prefix=API)
    # The service's clock: the same time in which clips must have played (tests move it by hand).
    clock = getattr(service, "clock", time.monotonic)
    answers, events = RateLimiter(answer_rate, clock=clock), RateLimiter(event_rate, clock=clock)

    reading_uploads = asyncio.Semaphore(MAX_UPLOADS_READ_AT_ONCE)

    def guarded(
        handler: Callable, *, raw_limit: int | None = None, precheck: Callable | None = None
    ) -> Callable:
        """``handler(request, body)`` in the thread pool with refusals and storage failures as JSON; the
        body is the POST's JSON object, or its bytes up to ``raw_limit`` (an upload: read only after
        ``precheck(request)`` let it through, and only a few at once)."""

        async def run(request: Request):
            try:
                if raw_limit is not None:
                    await run_in_threadpool(precheck, request)
                    if reading_uploads.locked():
                        raise ListeningError(BUSY_READING, 429, retry_after=5)
                    async with reading_uploads:
                        body = await _read_bytes(request, raw_limit)
                else:
                    body = await _read(request) if request.method == "POST" else None
                result = await run_in_threadpool(handler, request, body)
            except ListeningError as error:
                return _refusal(error)
            except (*STORAGE_ERRORS, OSError) as error:  # a full or read-only data folder, a locked database
                logger.error("listening storage failed in %s: %s", handler.__name__, error)
                return _refusal(STORAGE_DOWN)
            # A plain JSON response skips FastAPI's generic encoder: this is the hot path.
            return result if isinstance(result, Response) else JSONResponse(result)

        run.__name__ = handler.__name__
        return run

    def session(request: Request, body):
        body = _json(body)
        params = body.get("params") if isinstance(body.get("params"), dict) else {}
        return {
            "token": service.start(
                study_id=str(body.get("study", "")), address=client_address(request), params=params
            )
        }

    def state(request: Request, body):
        return service.state(token=request.query_params.get("token", ""))

    def consent(request: Request, body):
        body = _json(body)
        profile = body.get("profile") if isinstance(body.get("profile"), dict) else {}
        service.consent(token=str(body.get("token", "")), profile=profile)
        return {"ok": True}

    def event(request: Request, body):
        body = _json(body)
        _limited(events, str(body.get("token", "")), "play reports")
        service.event(
            token=str(body.get("token", "")), trial_id=body.get("trial_id"), slot=body.get("slot"),
            event=body.get("event"),
        )  # fmt: skip
        return {"ok": True}

    def answer(request: Request, body):
        body = _json(body)
        values = body.get("values") if isinstance(body.get("values"), dict) else {}
        _limited(answers, str(body.get("token", "")), "answers")
        return service.answer(token=str(body.get("token", "")), trial_id=body.get("trial_id"), values=values)

    def stimulus(request: Request, body):
        path, kind = service.stimulus_path(
            token=request.query_params.get("token", ""), trial_id=request.path_params["trial_id"],
            slot=request.path_params["slot"],
        )  # fmt: skip
        if kind == "arena":
            # An arena names the systems after each vote: the same file served again would let a voter
            # (or a script hashing what it fetched) recognise a clip in a later pair. New dither each fetch.
            return Response(redithered(path), media_type="audio/wav", headers={"Cache-Control": "no-store"})
        return BlindFileResponse(
            path, media_type="audio/wav", headers={"Cache-Control": "private, max-age=3600"}
        )

    def headphone_clip(request: Request, body):
        wav = service.headphone_clip(
            token=request.query_params.get("token", ""), trial=request.path_params["trial"]
        )
        return Response(wav, media_type="audio/wav", headers={"Cache-Control": "no-store"})

    def headphone_answers(request: Request, body):
        body = _json(body)
        _limited(answers, str(body.get("token", "")), "answers")
        return service.headphone_answers(token=str(body.get("token", "")), given=body.get("answers"))

    def leaderboard(request: Request, body):
        return service.leaderboard(study_id=request.path_params["study"])

    def may_upload(request: Request) -> None:
        """Before the body is read: a known participant of an arena that takes recordings, who may add one
        now, within the rate limit."""
        token = request.query_params.get("token", "")
        _limited(answers, token, "recordings")
        service.check_upload(token=token)

    def upload(request: Request, body):
        if isinstance(body, ListeningError):
            raise body
        return service.upload(token=request.query_params.get("token", ""), data=body)

    def admin_studies(request: Request, body):
        service.check_admin(given=request.headers.get("x-admin-token"))
        return service.studies().to_dict(orient="records")

    def admin_progress(request: Request, body):
        service.check_admin(given=request.headers.get("x-admin-token"))
        conditions, listeners = service.progress(study_id=request.path_params["study"])
        return {
            "conditions": conditions.to_dict(orient="records"),
            "listeners": listeners.to_dict(orient="records"),
        }

    def admin_export(request: Request, body):
        service.check_admin(given=request.headers.get("x-admin-token"))
        frame = service.answers(study_id=request.path_params["study"])
        if request.query_params.get("format", "csv") == "parquet":
            buffer = io.BytesIO()
            frame.to_parquet(buffer, index=False)
            return Response(buffer.getvalue(), media_type="application/vnd.apache.parquet")
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return Response(buffer.getvalue(), media_type="text/csv")

    def admin_status(request: Request, body):
        service.check_admin(given=request.headers.get("x-admin-token"))
        body = _json(body)
        service.set_status(study_id=request.path_params["study"], status=str(body.get("status")))
        return {"ok": True}

    for path, handler, methods in (
        ("/session", session, ["POST"]),
        ("/state", state, ["GET"]),
        ("/consent", consent, ["POST"]),
        ("/event", event, ["POST"]),
        ("/answer", answer, ["POST"]),
        ("/stimulus/{trial_id}/{slot}", stimulus, ["GET"]),
        ("/headphones/{trial}", headphone_clip, ["GET"]),
        ("/headphones", headphone_answers, ["POST"]),
        ("/arena/{study}/leaderboard", leaderboard, ["GET"]),
        ("/admin/studies", admin_studies, ["GET"]),
        ("/admin/{study}/progress", admin_progress, ["GET"]),
        ("/admin/{study}/export", admin_export, ["GET"]),
        ("/admin/{study}/status", admin_status, ["POST"]),
    ):
        router.add_api_route(path, guarded(handler), methods=methods, include_in_schema=False)
    # an arena visitor's recording: raw audio bytes, up to the upload limit (not JSON)
    router.add_api_route(
        "/arena/upload",
        guarded(upload, raw_limit=uploads.MAX_BYTES, precheck=may_upload),
        methods=["POST"],
        include_in_schema=False,
    )
    return router
