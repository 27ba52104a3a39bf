"""The plan: every fan of the audience gets a send slot (or is held back), written as
``CampaignRecipient`` rows and ``SendSlot``s. Runs in the worker. (Owner: planning helper.)"""

from __future__ import annotations

from datetime import datetime


def campaign_plan(*, campaign_id: int, now: datetime | None = None) -> int:
    """Plan a campaign in PLANNING state; returns how many fans were planned. Running it again
    (a worker died half-way) plans only the fans not planned yet."""
    raise NotImplementedError
