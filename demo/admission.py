"""Who may queue another conversion: one visitor must not fill the queue every visitor shares.

Gradio checks an event's ``validator`` when the event asks to join the queue, before it waits; this one
refuses a conversion when the same browser session already has :data:`PER_SESSION` conversions waiting
or running, or its network address :data:`PER_ADDRESS` (a lab or a family behind one address keeps some
room). Measured before: one script queued 64 conversions in 0.2 s, which filled the queue (Gradio's
``max_size`` counts every event) and locked everyone else out until they had run.
"""

from __future__ import annotations

import gradio as gr

from evaluation.listening.ratelimit import client_address

PER_SESSION, PER_ADDRESS = 2, 4


def _pending(request: gr.Request, concurrency_id: str) -> list:
    """The events of ``concurrency_id`` waiting in Gradio's queue or running now."""
    queue = request.request.app.get_blocks()._queue  # Gradio 6.31 internals; tests/test_admission.py
    waiting = queue.event_queue_per_concurrency_id.get(concurrency_id)
    events = list(waiting.queue) if waiting is not None else []
    for job in queue.active_jobs:
        events += [e for e in job or [] if e.concurrency_id == concurrency_id]
    return list({e._id: e for e in events}.values())  # an event can sit in both lists for a moment


def admission(concurrency_id: str):
    """A validator for a conversion event (takes the event's inputs, returns ``gr.validate``)."""

    # The conversion's own inputs (audio, variant, last output, then the named controls) come first; Gradio
    # fills ``request`` by its annotation.
    def admit(audio, variant, last, request: gr.Request, **named):
        events = _pending(request, concurrency_id)
        address = client_address(request.request)
        mine = sum(e.session_hash == request.session_hash for e in events)
        ours = sum(e.request is not None and client_address(e.request) == address for e in events)
        refusal = None
        if mine >= PER_SESSION:
            refusal = f"You already have {mine} conversions waiting or running; wait for one to finish."
        elif address is not None and ours >= PER_ADDRESS:
            refusal = f"{ours} conversions from your network are waiting or running; wait for one to finish."
        # one verdict per input, shown on it: the refusal on the recording, every other input fine
        return [gr.validate(refusal is None, refusal or "")] + [gr.validate(True, "")] * (2 + len(named))

    return admit
