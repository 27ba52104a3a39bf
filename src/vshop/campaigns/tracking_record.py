"""Recording what a fan did with a campaign message: opened (inbox read, email pixel), clicked
(the signed redirect). First time only for the time stamp; each also is fan activity in the
shop (OPEN, CLICK), which the send-time model learns from. (Owner: channels helper.)"""

from __future__ import annotations

from datetime import datetime


def recipient_opened(*, recipient_id: int, at: datetime | None = None) -> bool:
    """Mark opened (first time only); returns whether it was the first open."""
    raise NotImplementedError


def recipient_clicked(*, recipient_id: int, at: datetime | None = None) -> str:
    """Mark clicked (and opened) the first time; returns where to go (the campaign's link or
    its listing's page, or the shop's page)."""
    raise NotImplementedError
