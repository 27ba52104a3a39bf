"""Email and webhook sends of delivered campaign messages, from the outbox
(``OutgoingMessage``): claimed, sent, marked; a failure is retried with doubling backoff, then
recorded as failed. (Owner: channels helper.)"""

from __future__ import annotations

from datetime import datetime


def outgoing_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send due outbox rows (email over one SMTP connection, webhook one signed POST per shop
    batch); returns how many were sent."""
    raise NotImplementedError


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-VShop-Signature`` header value: ``t=<timestamp>,v1=<hex HMAC-SHA256 of
    "<timestamp>." + body>``."""
    raise NotImplementedError
