"""Delivery of due send slots: inbox messages written, caps counted, recipients marked and
email/webhook sends queued in the outbox, one transaction per batch, so a worker that dies in
the middle of a slot leaves every fan with the message exactly once. (Owner: planning helper.)"""

from __future__ import annotations

from datetime import datetime


def slot_deliver(*, slot_id: int, batch_size: int = 500, deadline: float | None = None) -> int:
    """Deliver the planned recipients of one slot in batches; returns how many got it.
    ``deadline`` (a ``time.monotonic()`` value) stops between batches."""
    raise NotImplementedError


def due_slots_deliver(*, now: datetime | None = None, deadline_seconds: float = 50) -> int:
    """Deliver every slot that is due; returns how many messages went out."""
    raise NotImplementedError
