"""Who a campaign reaches: the audience's fans, and before sending, how many it will reach and
how many are held back by caps, quiet hours or opt-outs.

``classify`` is the plan's decision for a chunk of fans (her slot, her state, her variant);
the plan writes what it returns, the preview (``campaign_reach``) only counts it, so the two
always agree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from django.conf import settings
from django.db import connection
from django.db.models import F, Model, Q, QuerySet, Value
from django.db.models.functions import Mod
from django.utils import timezone

from vshop.campaigns import caps as caps_module
from vshop.campaigns import send_time
from vshop.campaigns.models import (
    AudienceKind,
    Campaign,
    Channel,
    RecipientState,
    ShopMessagingSettings,
    Timing,
)
from vshop.errors import NotFound
from vshop.fans.models import FanSource, ShopFan
from vshop.messaging.models import QUIET_END, QUIET_START, ChannelOptOut, MessagePreferences
from vshop.messaging.selectors import channel_opt_outs, is_quiet, quiet_hours_of

CHUNK = 5000  # fans per step of the plan (and of the preview)
HOUR = 3600


@dataclass(frozen=True)
class Reach:
    audience: int  # fans of the shop the audience matches
    reach: int  # will get it (holdout excluded), some of them later because of quiet hours
    holdout: int  # in the A/B test's control group: get nothing
    held_caps: int  # already at a frequency cap on the day they would get it
    held_quiet: int  # held until their quiet hours end
    held_optout: int  # muted the shop, unsubscribed from every chosen channel, or no account
    estimated: bool = False  # counted on a sample of a large audience and scaled up


def audience_fans(*, campaign: Campaign) -> QuerySet[ShopFan]:
    """The shop's fans the campaign's audience matches (all fans, a segment's, a tag's), by id.
    ``campaign`` may be unsaved (the preview)."""
    fans = ShopFan.objects.filter(shop_id=campaign.shop_id, user__isnull=False)
    kind = campaign.audience_kind
    if kind == AudienceKind.SEGMENT:
        segment = campaign.segment
        if segment is None:  # deleted since: nobody
            return fans.none()
        if segment.shop_id != campaign.shop_id:
            raise NotFound()
        from vshop.fans.segments import segment_fans

        fans = segment_fans(shop=campaign.shop, segment=segment).filter(user__isnull=False)
    elif kind == AudienceKind.TAG:
        tag = campaign.tag
        if tag is None:
            return fans.none()
        if tag.shop_id != campaign.shop_id:
            raise NotFound()
        fans = fans.filter(tag_links__tag_id=tag.pk)
    else:
        # Followers, buyers, and imported contacts who said yes (and have an account by now).
        fans = fans.filter(
            Q(is_follower=True)
            | Q(order_count__gt=0)
            | Q(source=FanSource.IMPORT, contactable=True)
        )
    return fans.order_by("pk")


# --- the decision for a chunk of fans ---------------------------------------------------------


@lru_cache(maxsize=512)
def zone_of(name: str) -> ZoneInfo:
    """Her zone; a name this machine does not know falls back to the site's."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _local(epoch: int, zone: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC).astimezone(zone)


def _hour_of_week(local: datetime) -> int:
    return local.weekday() * 24 + local.hour  # Monday 00:00 = 0


def _quiet_end(epoch: int, zone: ZoneInfo, quiet: tuple[int, int]) -> int:
    """The first top of the hour (her clock) after ``epoch`` outside her quiet hours."""
    local = _local(epoch, zone).replace(minute=0, second=0, microsecond=0)
    top = _epoch(local)  # an aware local time: timestamp() handles DST
    for step in range(1, 49):
        candidate = top + step * HOUR
        if not is_quiet(_local(candidate, zone).hour, quiet):
            return candidate
    return epoch  # cannot happen: quiet hours are shorter than a day


def with_rows(model: type[Model], user_ids: list[int]) -> list[int]:
    """Of these people, those with a row in ``model`` (by its ``user_id``). On PostgreSQL one
    ``= ANY(array)`` query, which costs a tenth of an ``IN`` list of thousands of ids, so the
    selectors that follow get a handful of ids; elsewhere all of them."""
    if connection.vendor != "postgresql" or not user_ids:
        return user_ids
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT user_id FROM {model._meta.db_table} WHERE user_id = ANY(%s)",
            [user_ids],
        )
        return [row[0] for row in cursor.fetchall()]


@dataclass
class Chunk:
    """The decision for a chunk of fans, as parallel arrays."""

    fan_ids: np.ndarray  # int64
    user_ids: np.ndarray  # int64
    state: np.ndarray  # int16, RecipientState
    variant: np.ndarray  # int16, 0 = holdout (and not sent)
    slot: np.ndarray  # int64 epoch seconds
    local_hour: np.ndarray  # int16 hour of the week in her zone
    explored: np.ndarray  # bool
    quiet: np.ndarray  # bool: moved to the end of her quiet hours

    def count(self, state: int) -> int:
        return int(np.count_nonzero(self.state == state))

    @property
    def held_quiet(self) -> int:
        return int(np.count_nonzero(self.quiet & (self.state == RecipientState.PLANNED)))


@dataclass
class Planner:
    """What the decision needs that is the same for every fan of the campaign. Fans with the
    same zone and quiet hours share a "group": their candidates' local hours, days, whether
    each is allowed, and where the end of their quiet hours falls, computed once."""

    shop_id: int
    channels: list[str]
    webhook_ok: bool
    caps: caps_module.Caps
    best: bool
    candidates: list[int]  # epoch seconds, W of them
    variants: int
    holdout_percent: int
    rng: np.random.Generator
    explore: float = 0.0
    prior: np.ndarray | None = None
    sends: np.ndarray | None = None
    responses: np.ndarray | None = None
    _groups: dict[tuple[str, int, int], int] = field(default_factory=dict)
    _epochs: list[list[int]] = field(default_factory=list)  # [G][W + 1]
    _hours: list[list[int]] = field(default_factory=list)  # [G][W + 1]
    _days: list[list[int]] = field(default_factory=list)  # [G][W + 1], date ordinals
    _allowed: list[list[bool]] = field(default_factory=list)  # [G][W]

    @classmethod
    def for_campaign(
        cls, campaign: Campaign, *, now: datetime | None = None, seed: int | None = None
    ) -> Planner:
        now = now or timezone.now()
        start = max(campaign.window_start or now, now)
        best = campaign.timing == Timing.BEST
        candidates = [_epoch(start)]
        if best and campaign.window_end:
            end = _epoch(campaign.window_end)
            top = (candidates[0] // HOUR + 1) * HOUR
            while top < end:
                candidates.append(top)
                top += HOUR
        webhook_url = (
            ShopMessagingSettings.objects.filter(shop_id=campaign.shop_id)
            .values_list("webhook_url", flat=True)
            .first()
        )
        variants = campaign.variants.count() if campaign.pk else 0
        planner = cls(
            shop_id=campaign.shop_id,
            channels=campaign.channels,
            webhook_ok=bool(webhook_url),
            caps=caps_module.caps_for_shop(shop_id=campaign.shop_id),
            best=best,
            candidates=candidates,
            variants=max(variants, 1),
            holdout_percent=campaign.holdout_percent or 0,
            rng=np.random.default_rng(seed if seed is not None else (campaign.pk or 0)),
        )
        if best:
            planner.explore = float(settings.VSHOP_SEND_EXPLORE)
            planner.prior = send_time.shop_prior(campaign.shop_id)
            planner.sends, planner.responses = send_time.arm_stats()
        return planner

    @property
    def needs_email(self) -> bool:
        return Channel.EMAIL in self.channels

    def _group(self, zone_name: str, quiet: tuple[int, int]) -> int:
        key = (zone_name, *quiet)
        index = self._groups.get(key)
        if index is not None:
            return index
        zone = zone_of(zone_name)
        epochs = [*self.candidates, _quiet_end(self.candidates[0], zone, quiet)]
        locals_ = [_local(e, zone) for e in epochs]
        index = len(self._epochs)
        self._groups[key] = index
        self._epochs.append(epochs)
        self._hours.append([_hour_of_week(x) for x in locals_])
        self._days.append([x.toordinal() for x in locals_])
        self._allowed.append([not is_quiet(x.hour, quiet) for x in locals_[:-1]])
        return index

    def classify(self, rows: Sequence[tuple[Any, ...]]) -> Chunk:
        """Decide for fans given as ``fan_rows`` reads them: (fan id, user id, time zone,
        contactable, muted[, email])."""
        n = len(rows)
        fan_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        user_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
        user_list = [int(u) for u in user_ids]
        # Few fans change their quiet hours or unsubscribe: ask the selectors about those only.
        quiet = quiet_hours_of(with_rows(MessagePreferences, user_list))
        opted = channel_opt_outs(user_ids=with_rows(ChannelOptOut, user_list), shop_id=self.shop_id)
        default_quiet = (QUIET_START, QUIET_END)
        groups = np.fromiter(
            (self._group(r[2], quiet.get(r[1], default_quiet)) for r in rows),
            dtype=np.int64,
            count=n,
        )
        reachable = np.fromiter(
            (not r[4] and r[3] and self._open_channels(r, opted.get(r[1])) for r in rows),
            dtype=bool,
            count=n,
        )
        epochs = np.asarray(self._epochs, dtype=np.int64).reshape(-1, len(self.candidates) + 1)
        hours = np.asarray(self._hours, dtype=np.int16).reshape(epochs.shape)
        days = np.asarray(self._days, dtype=np.int64).reshape(epochs.shape)
        allowed = np.asarray(self._allowed, dtype=bool).reshape(-1, len(self.candidates))
        w = len(self.candidates)

        # Which slot: a candidate, or (index w) the end of her quiet hours.
        pick = np.zeros(n, dtype=np.int64)
        explored = np.zeros(n, dtype=bool)
        reach_idx = np.flatnonzero(reachable)
        if reach_idx.size:
            fan_allowed = allowed[groups[reach_idx]]
            if self.best:
                assert self.prior is not None and self.sends is not None
                assert self.responses is not None
                profiles, weights = send_time.load_profiles([user_list[i] for i in reach_idx])
                chosen, chosen_explored = send_time.choose_hours(
                    profiles=profiles,
                    weights=weights,
                    prior=self.prior,
                    local_hours=hours[groups[reach_idx], :w].astype(np.int64),
                    allowed=fan_allowed,
                    explore=self.explore,
                    sends=self.sends,
                    responses=self.responses,
                    rng=self.rng,
                )
                chosen = np.asarray(chosen, dtype=np.int64)
                pick[reach_idx] = np.where(chosen < 0, w, chosen)
                explored[reach_idx] = np.asarray(chosen_explored, dtype=bool) & (chosen >= 0)
            else:
                pick[reach_idx] = np.where(fan_allowed[:, 0], 0, w)
        moved = reachable & (pick == w)
        slot = epochs[groups, pick]
        local_hour = hours[groups, pick]

        state = np.full(n, RecipientState.OPTED_OUT, dtype=np.int16)
        state[reachable] = RecipientState.PLANNED
        variant = np.ones(n, dtype=np.int16)
        # Holdout: an exact share of the reachable, drawn at random.
        k = round(reach_idx.size * self.holdout_percent / 100)
        if k:
            held = self.rng.choice(reach_idx, size=k, replace=False)
            state[held] = RecipientState.HOLDOUT
            variant[held] = 0
        # Caps: those at a cap on her local day of the slot are held back.
        candidates = np.flatnonzero(state == RecipientState.PLANNED)
        if candidates.size:
            slot_days = days[groups[candidates], pick[candidates]]
            capped = caps_module.capped_users(
                shop_id=self.shop_id,
                caps=self.caps,
                wants=[
                    (user_list[i], date.fromordinal(int(d)))
                    for i, d in zip(candidates, slot_days, strict=True)
                ],
            )
            if capped:
                is_capped = np.isin(user_ids[candidates], np.fromiter(capped, dtype=np.int64))
                state[candidates[is_capped]] = RecipientState.CAPPED
        # Variants: the planned split evenly, in random order.
        planned = np.flatnonzero(state == RecipientState.PLANNED)
        if planned.size:
            even = np.arange(planned.size, dtype=np.int16) % self.variants + 1
            variant[planned] = self.rng.permutation(even)
        return Chunk(
            fan_ids=fan_ids,
            user_ids=user_ids,
            state=state,
            variant=variant,
            slot=slot,
            local_hour=local_hour,
            explored=explored,
            quiet=moved,
        )

    def _open_channels(self, row: tuple[Any, ...], opted: set[str] | None) -> bool:
        """Whether at least one chosen channel is open for her."""
        for channel in self.channels:
            if opted and channel in opted:
                continue
            if channel == Channel.EMAIL and not (len(row) > 5 and row[5]):
                continue
            if channel == Channel.WEBHOOK and not self.webhook_ok:
                continue
            return True
        return False


def fan_rows(
    fans: QuerySet[ShopFan], *, after: int, email: bool, limit: int = CHUNK
) -> list[tuple[Any, ...]]:
    """The next chunk of fans after id ``after``: what ``Planner.classify`` reads (her
    account's email only when the campaign emails: it costs a join)."""
    fields = ["pk", "user_id", "time_zone", "contactable", "is_muted"]
    if email:
        fields.append("user__email")
    return list(fans.filter(pk__gt=after).values_list(*fields)[:limit])


#: Audiences larger than twice this are previewed on an even sample of about this many fans:
#: the preview answers while she types, the plan counts every fan.
PREVIEW_SAMPLE = 20_000
_HASH_MULTIPLIER = 2_654_435_761  # Knuth's: the golden ratio times 2^32
_HASH_RANGE = 2**32


def campaign_reach(*, campaign: Campaign, now: datetime | None = None) -> Reach:
    """The preview of an unsaved (or saved) campaign, counted as the plan would count it: every
    fan of an audience up to ``2 × PREVIEW_SAMPLE``; above, an even sample by id, scaled up
    (``estimated``; the audience size itself is exact)."""
    planner = Planner.for_campaign(campaign, now=now)
    fans = audience_fans(campaign=campaign)
    size = fans.count()
    scale = 1.0
    if size > 2 * PREVIEW_SAMPLE:
        # Multiplicative hashing of the id spreads the sample evenly without following any
        # pattern in the ids (every n-th id would alias with, say, every 4th fan imported).
        cut = _HASH_RANGE * PREVIEW_SAMPLE // size
        fans = fans.alias(sample=Mod(F("pk") * Value(_HASH_MULTIPLIER), Value(_HASH_RANGE))).filter(
            sample__lt=cut
        )
    totals = dict.fromkeys(("audience", "reach", "holdout", "caps", "quiet", "optout"), 0)
    after = 0
    while rows := fan_rows(fans, after=after, email=planner.needs_email):
        after = rows[-1][0]
        chunk = planner.classify(rows)
        totals["audience"] += len(rows)
        totals["reach"] += chunk.count(RecipientState.PLANNED)
        totals["holdout"] += chunk.count(RecipientState.HOLDOUT)
        totals["caps"] += chunk.count(RecipientState.CAPPED)
        totals["optout"] += chunk.count(RecipientState.OPTED_OUT)
        totals["quiet"] += chunk.held_quiet
    estimated = totals["audience"] != size
    if estimated and totals["audience"]:
        scale = size / totals["audience"]
    return Reach(
        audience=size,
        reach=round(totals["reach"] * scale),
        holdout=round(totals["holdout"] * scale),
        held_caps=round(totals["caps"] * scale),
        held_quiet=round(totals["quiet"] * scale),
        held_optout=round(totals["optout"] * scale),
        estimated=estimated,
    )


def local_day(moment: datetime, zone_name: str) -> date:
    """Her local date of a moment (the caps' day)."""
    return moment.astimezone(zone_of(zone_name)).date()
