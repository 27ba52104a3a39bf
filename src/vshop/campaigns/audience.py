"""Who a campaign reaches: the audience's fans, and before sending, how many it will reach and
how many are held back by caps, quiet hours or opt-outs. (Owner: planning helper.)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from vshop.campaigns.models import Campaign
from vshop.fans.models import ShopFan


@dataclass(frozen=True)
class Reach:
    audience: int  # fans of the shop the audience matches
    reach: int  # will get it (holdout excluded), some of them later because of quiet hours
    holdout: int  # in the A/B test's control group: get nothing
    held_caps: int  # already at a frequency cap on the day they would get it
    held_quiet: int  # held until their quiet hours end
    held_optout: int  # muted the shop, unsubscribed from every chosen channel, or no account


def audience_fans(*, campaign: Campaign) -> QuerySet[ShopFan]:
    """The shop's fans the campaign's audience matches (all fans, a segment's, a tag's), by id.
    ``campaign`` may be unsaved (the preview)."""
    raise NotImplementedError


def campaign_reach(*, campaign: Campaign, now: datetime | None = None) -> Reach:
    """The preview of an unsaved (or saved) campaign, counted as the plan would count it."""
    raise NotImplementedError
