"""Who may queue another conversion: one visitor must not fill the queue every visitor shares.

Gradio checks an event's ``validator`` when the event asks to join the queue, before it waits; this one
refuses a conversion when the same browser session already has :data:`PER_SESSION` conversions waiting
or running, or its network address :data:`PER_ADDRESS` (a lab or a family behind one address keeps some
room). Measured before: one script queued 64 conversions in 0.2 s, which filled the queue (Gradio's
``max_size`` counts every event) and locked everyone else out until they had run.

Validators of joins that arrive together run side by side, and each used to see the others not yet
queued (CI's flood once let 4 of 8 in). So admissions are decided one at a time, and each admitted join
holds a reservation until Gradio records its event — the queue's log of queued events says which event
that is (same session, queued after the admission), so a reservation never counts beside its own event,
and a conversion that ran and finished between two joins does not keep its reservation alive.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass, field

import gradio as gr

from evaluation.listening.ratelimit import client_address

PER_SESSION, PER_ADDRESS = 2, 4
# an admitted join whose event never reached the queue (its push failed after validation) stops counting
RESERVATION_TTL_S = 20.0


@dataclass
class _Reservation:
    session: str
    address: str | None
    at: float


@dataclass
class _Ledger:
    """The admissions of one queue's concurrency id whose events the queue has not recorded yet."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    reservations: list[_Reservation] = field(default_factory=list)
    claimed: set[str] = field(default_factory=set)  # event ids already matched to a reservation

    def oldest(self, now: float) -> float:
        """When the oldest outstanding admission was made (``now`` when there is none)."""
        return min((r.at for r in self.reservations), default=now)

    def settle(self, queued: list[tuple[str, str, float]], now: float) -> None:
        """Drop each reservation whose event ``queued`` shows ((event id, session, queued at) of the
        concurrency id's events) and those past :data:`RESERVATION_TTL_S`."""
        self.reservations = [r for r in self.reservations if now - r.at < RESERVATION_TTL_S]
        for event_id, session, queued_at in queued:
            if event_id in self.claimed:
                continue
            # the event of the session's latest admission made before it was queued: an admission whose
            # event never came (its push failed) is then the one left to expire, not passed down the line
            mine = [r for r in self.reservations if r.session == session and r.at <= queued_at]
            if mine:
                self.reservations.remove(max(mine, key=lambda r: r.at))
                self.claimed.add(event_id)
        # an event queued before every outstanding admission can match none of them: forget it
        oldest = self.oldest(now)
        self.claimed &= {event_id for event_id, _, queued_at in queued if queued_at >= oldest}


_ledgers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # Gradio queue -> {concurrency id: ledger}
_ledgers_lock = threading.Lock()


def _queue(request: gr.Request):
    return request.request.app.get_blocks()._queue  # Gradio 6.31 internals; tests/test_admission.py


def _ledger(request: gr.Request, concurrency_id: str) -> _Ledger:
    with _ledgers_lock:
        per_id = _ledgers.setdefault(_queue(request), {})
        return per_id.setdefault(concurrency_id, _Ledger())


def _pending(request: gr.Request, concurrency_id: str) -> list:
    """The events of ``concurrency_id`` waiting in Gradio's queue or running now."""
    queue = _queue(request)
    waiting = queue.event_queue_per_concurrency_id.get(concurrency_id)
    events = list(waiting.queue) if waiting is not None else []
    for job in list(queue.active_jobs):
        events += [e for e in job or [] if e.concurrency_id == concurrency_id]
    return list({e._id: e for e in events}.values())  # an event can sit in both lists for a moment


def _queued(request: gr.Request, concurrency_id: str, since: float) -> list[tuple[str, str, float]]:
    """(event id, session, queued at) of every event of ``concurrency_id`` queued since ``since``, from
    the queue's log of queued events, whether it is still waiting, running or done."""
    queue = _queue(request)
    names = {fn.api_name for fn in queue.blocks.fns.values() if fn.concurrency_id == concurrency_id}
    # a copy in one C call: no Python code runs while the event loop appends
    log = queue.event_analytics.copy().items()
    return [
        (event_id, entry["session_hash"], entry["time"])
        for event_id, entry in log
        if entry["time"] >= since and entry["function"] in names
    ]


def admission(concurrency_id: str):
    """A validator for a conversion event (takes the event's inputs, returns ``gr.validate``)."""

    # The conversion's own inputs (audio, variant, last output, then the named controls) come first; Gradio
    # fills ``request`` by its annotation.
    def admit(audio, variant, last, request: gr.Request, **named):
        ledger = _ledger(request, concurrency_id)
        address = client_address(request.request)
        with ledger.lock:
            now = time.time()
            ledger.settle(_queued(request, concurrency_id, ledger.oldest(now)), now)
            events = _pending(request, concurrency_id)
            mine = sum(e.session_hash == request.session_hash for e in events)
            mine += sum(r.session == request.session_hash for r in ledger.reservations)
            ours = sum(e.request is not None and client_address(e.request) == address for e in events)
            ours += sum(r.address == address for r in ledger.reservations)
            refusal = None
            if mine >= PER_SESSION:
                refusal = f"You already have {mine} conversions waiting or running; wait for one to finish."
            elif address is not None and ours >= PER_ADDRESS:
                refusal = (
                    f"{ours} conversions from your network are waiting or running; wait for one to finish."
                )
            else:
                ledger.reservations.append(_Reservation(request.session_hash, address, now))
        # one verdict per input, shown on it: the refusal on the recording, every other input fine
        return [gr.validate(refusal is None, refusal or "")] + [gr.validate(True, "")] * (2 + len(named))

    return admit
