"""Campaign reads for the owner: her campaigns, one campaign's report.

Scoped by the shop the caller found with ``shop_of_owner``: another shop's campaign is
``NotFound``. The report's figures are a few GROUP BY queries over the campaign's recipients,
whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncHour
from django.utils.translation import gettext as _

from vshop.campaigns import stats
from vshop.campaigns.models import (
    Campaign,
    CampaignRecipient,
    Channel,
    MessagingPolicy,
    OutgoingMessage,
    OutgoingState,
    RecipientState,
    ShopMessagingSettings,
)
from vshop.errors import NotFound
from vshop.shops.models import Shop

HOLDOUT = 0  # CampaignRecipient.variant of the control group


@dataclass(frozen=True)
class PlatformCaps:
    per_shop: int  # marketing messages one shop may send a fan per day
    per_fan: int  # marketing messages a fan gets per day from all shops together


def platform_caps() -> PlatformCaps:
    """The operator's caps: the policy row when there is one, else the settings' defaults."""
    policy = MessagingPolicy.objects.order_by("pk").first()
    if policy is None:
        return PlatformCaps(
            per_shop=settings.VSHOP_CAP_PER_SHOP_DAY, per_fan=settings.VSHOP_CAP_PER_FAN_DAY
        )
    return PlatformCaps(per_shop=policy.per_shop_per_day, per_fan=policy.per_fan_per_day)


def messaging_settings_of(*, shop: Shop) -> ShopMessagingSettings:
    """Her settings, unsaved defaults when she never saved any."""
    return ShopMessagingSettings.objects.filter(shop=shop).first() or ShopMessagingSettings(
        shop=shop
    )


def campaigns_of_shop(*, shop: Shop) -> QuerySet[Campaign]:
    """Her campaigns, newest first (the ``campaign_shop_new`` index)."""
    return Campaign.objects.filter(shop=shop).order_by("-created_at", "-pk")


def campaign_of_shop(*, shop: Shop, campaign_id: int) -> Campaign:
    """One of her campaigns with its variants; another shop's is ``NotFound``."""
    campaign = (
        Campaign.objects.filter(shop=shop, pk=campaign_id)
        .select_related("listing__product", "segment", "tag")
        .prefetch_related("variants")
        .first()
    )
    if campaign is None:
        raise NotFound()
    return campaign


# --- figures ---------------------------------------------------------------------------------


@dataclass
class Figures:
    """What happened to a group of recipients (a variant, the holdout, a whole campaign)."""

    recipients: int = 0
    delivered: int = 0
    opened: int = 0
    clicked: int = 0
    ordered: int = 0
    order_value: int = 0  # fen

    @property
    def open_rate(self) -> float:
        return stats.rate(self.opened, self.delivered)

    @property
    def click_rate(self) -> float:
        return stats.rate(self.clicked, self.delivered)

    @property
    def order_rate(self) -> float:
        """Of everyone in the group, delivered or not: the holdout gets nothing at all."""
        return stats.rate(self.ordered, self.recipients)

    def add(self, other: Figures) -> None:
        self.recipients += other.recipients
        self.delivered += other.delivered
        self.opened += other.opened
        self.clicked += other.clicked
        self.ordered += other.ordered
        self.order_value += other.order_value


_FIGURES = {
    "recipients": Count("pk"),
    "delivered": Count("pk", filter=Q(delivered_at__isnull=False)),
    "opened": Count("pk", filter=Q(opened_at__isnull=False)),
    "clicked": Count("pk", filter=Q(clicked_at__isnull=False)),
    "ordered": Count("pk", filter=Q(ordered_at__isnull=False)),
    "order_value": Sum("order_value"),
}


def _figures(row: dict[str, int | None]) -> Figures:
    return Figures(
        recipients=row["recipients"] or 0,
        delivered=row["delivered"] or 0,
        opened=row["opened"] or 0,
        clicked=row["clicked"] or 0,
        ordered=row["ordered"] or 0,
        order_value=row["order_value"] or 0,
    )


def campaign_figures(*, campaign_ids: Iterable[int]) -> dict[int, Figures]:
    """The figures of each of these campaigns (for a page of the list): one GROUP BY."""
    ids = list(campaign_ids)
    rows = (
        CampaignRecipient.objects.filter(campaign_id__in=ids)
        .exclude(variant=HOLDOUT)
        .values("campaign_id")
        .annotate(**_FIGURES)
        .order_by()
    )
    found = {row["campaign_id"]: _figures(row) for row in rows}
    return {pk: found.get(pk, Figures()) for pk in ids}


# --- the report --------------------------------------------------------------------------------


@dataclass
class VariantReport:
    label: str  # "A", "B", ... or "Holdout"
    number: int  # 0 for the holdout
    title: str
    figures: Figures


@dataclass(frozen=True)
class HourPoint:
    hour: datetime  # the start of the hour, in the owner's zone
    delivered: int
    opened: int
    clicked: int


@dataclass(frozen=True)
class Outbox:
    channel: str
    sent: int
    failed: int
    pending: int  # waiting or being sent
    skipped: int


@dataclass
class CampaignReport:
    campaign: Campaign
    states: dict[str, int]  # RecipientState name ("planned", "delivered", ...) → fans
    total: Figures  # everyone who was to get it (the holdout excluded)
    variants: list[VariantReport]  # A, B, ...
    holdout: VariantReport | None  # None without a holdout
    winner: stats.Comparison | None  # best vs runner-up variant by click rate
    holdout_comparison: stats.Comparison | None  # got it vs held out, by order rate
    incremental_order_rate: float | None  # got it minus holdout (signed), None without one
    hourly: list[HourPoint]
    outbox: list[Outbox] = field(default_factory=list)


def _zone(name: str | None) -> tzinfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _hourly(campaign: Campaign, zone: tzinfo) -> list[HourPoint]:
    # Truncated in UTC (the same on SQLite and PostgreSQL), then shown in her zone: an hour in
    # UTC is an hour in every zone with a whole-hour offset.
    mine = CampaignRecipient.objects.filter(campaign=campaign)
    counts: dict[datetime, list[int]] = {}
    for index, column in enumerate(("delivered_at", "opened_at", "clicked_at")):
        rows = (
            mine.filter(**{f"{column}__isnull": False})
            .annotate(hour=TruncHour(column, tzinfo=UTC))
            .values("hour")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for row in rows:
            hour = row["hour"]
            if hour.tzinfo is None:  # SQLite without zone support in the driver
                hour = hour.replace(tzinfo=UTC)
            counts.setdefault(hour, [0, 0, 0])[index] += row["n"]
    return [
        HourPoint(hour=hour.astimezone(zone), delivered=d, opened=o, clicked=c)
        for hour, (d, o, c) in sorted(counts.items())
    ]


def _outbox(campaign: Campaign) -> list[Outbox]:
    rows = (
        OutgoingMessage.objects.filter(recipient__campaign=campaign)
        .values("channel", "state")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by: dict[tuple[str, str], int] = {(r["channel"], r["state"]): r["n"] for r in rows}
    result = []
    for channel in (Channel.EMAIL, Channel.WEBHOOK):
        if not (channel == Channel.EMAIL and campaign.send_email) and not (
            channel == Channel.WEBHOOK and campaign.send_webhook
        ):
            continue
        result.append(
            Outbox(
                channel=channel.value,
                sent=by.get((channel, OutgoingState.SENT), 0),
                failed=by.get((channel, OutgoingState.FAILED), 0),
                pending=by.get((channel, OutgoingState.PENDING), 0)
                + by.get((channel, OutgoingState.SENDING), 0),
                skipped=by.get((channel, OutgoingState.SKIPPED), 0),
            )
        )
    return result


def campaign_report(*, campaign: Campaign, time_zone: str | None = None) -> CampaignReport:
    """Everything the report page and the API show about one campaign (already scoped: pass a
    campaign from ``campaign_of_shop``). Open and click rates are of the delivered fans; the
    order rate is of every fan in the group, so that a group that got the message compares
    fairly with the holdout, which got nothing. ``time_zone`` is the viewer's, for the hours."""
    mine = CampaignRecipient.objects.filter(campaign=campaign)
    states = {state.name.lower(): 0 for state in RecipientState}
    for state, n in mine.values_list("state").annotate(n=Count("pk")).order_by():
        states[RecipientState(state).name.lower()] = n

    by_variant = {
        row["variant"]: _figures(row)
        for row in mine.values("variant").annotate(**_FIGURES).order_by()
    }
    variants = [
        VariantReport(
            label=v.label,
            number=v.number,
            title=v.title,
            figures=by_variant.get(v.number, Figures()),
        )
        for v in campaign.variants.all()
    ]
    total = Figures()
    for v in variants:
        total.add(v.figures)
    holdout = None
    if campaign.holdout_percent or HOLDOUT in by_variant:
        holdout = VariantReport(
            label=_("Holdout"),
            number=HOLDOUT,
            title=_("Got nothing (the comparison group)"),
            figures=by_variant.get(HOLDOUT, Figures()),
        )

    winner = None
    if len(variants) > 1:
        best, second = sorted(variants, key=lambda v: (-v.figures.click_rate, v.number))[:2]
        winner = stats.compare(
            what=_("click rate"),
            label_a=best.label,
            successes_a=best.figures.clicked,
            n_a=best.figures.delivered,
            label_b=second.label,
            successes_b=second.figures.clicked,
            n_b=second.figures.delivered,
        )
    holdout_comparison = None
    incremental = None
    if holdout is not None:
        holdout_comparison = stats.compare(
            what=_("order rate"),
            label_a=_("Fans who got it"),
            successes_a=total.ordered,
            n_a=total.recipients,
            label_b=holdout.label,
            successes_b=holdout.figures.ordered,
            n_b=holdout.figures.recipients,
        )
        incremental = total.order_rate - holdout.figures.order_rate

    return CampaignReport(
        campaign=campaign,
        states=states,
        total=total,
        variants=variants,
        holdout=holdout,
        winner=winner,
        holdout_comparison=holdout_comparison,
        incremental_order_rate=incremental,
        hourly=_hourly(campaign, _zone(time_zone)),
        outbox=_outbox(campaign),
    )
