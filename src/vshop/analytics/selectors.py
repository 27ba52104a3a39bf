"""Reading traffic: the shop owner's report of visits, unique visitors, orders and sales per day,
per channel and per promoter. The caller has checked that she owns the shop.

Days are calendar days in the platform's time zone (settings.TIME_ZONE). An order counts on
the day it was paid (paid orders only: an order cancelled before payment never counts); its
sales are its total less what was refunded. Orders placed before attribution existed have no
attribution row and count as direct. Whatever the period, the report costs nine queries.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, F, Sum, Value
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.analytics.models import VISIT_CHANNELS, Visit
from vshop.analytics.services import report_day
from vshop.distribution.models import DIRECT, Channel, Promoter
from vshop.errors import ValidationFailed
from vshop.orders.models import Order
from vshop.shops.models import Shop

MAX_DAYS = 366


@dataclass
class Figures:
    visits: int = 0
    visitors: int = 0  # distinct visitor ids: not the sum of the days' (or channels') figures
    orders: int = 0
    sales: int = 0  # minor units


@dataclass
class DayFigures(Figures):
    day: date = date.min


@dataclass
class ChannelRow(Figures):
    channel: str = DIRECT
    label: str = ""
    daily: list[DayFigures] = field(default_factory=list)  # days with any figure, in order


@dataclass
class PromoterRow(Figures):
    promoter_id: int = 0
    user_id: int = 0
    name: str = ""
    daily: list[DayFigures] = field(default_factory=list)


@dataclass
class TrafficReport:
    since: date
    until: date
    currency: str
    totals: Figures
    daily: list[DayFigures]  # every day of the period, oldest first
    by_channel: list[ChannelRow]  # every channel, direct first
    by_promoter: list[PromoterRow]  # promoters with any figure, best sellers first

    @property
    def days(self) -> int:
        return (self.until - self.since).days + 1


def traffic_period(*, days: int, today: date | None = None) -> tuple[date, date]:
    """The last ``days`` days, today included."""
    if not 1 <= days <= MAX_DAYS:
        raise ValidationFailed(
            _("Choose a period of 1 to %(max)s days.") % {"max": MAX_DAYS}, field="days"
        )
    until = today or report_day(timezone.now())
    return until - timedelta(days=days - 1), until


def channel_label(channel: str) -> str:
    if channel == DIRECT:
        return _("Direct")
    return str(Channel(channel).label) if channel in Channel.values else channel


def _promoter_name(promoter: Promoter) -> str:
    # Her chosen name only: her e-mail address or mobile number is not the shop's to see.
    return promoter.user.display_name or _("Promoter #%(id)s") % {"id": promoter.pk}


def traffic_report(*, shop: Shop, since: date, until: date) -> TrafficReport:
    if since > until or (until - since).days >= MAX_DAYS:
        raise ValidationFailed(
            _("Choose a period of 1 to %(max)s days.") % {"max": MAX_DAYS}, field="days"
        )
    zone = timezone.get_default_timezone()
    visits = Visit.objects.filter(shop=shop, day__gte=since, day__lte=until).order_by()
    promoter_users = Promoter.objects.filter(shop=shop).values("user_id")
    by_promoter_visits = visits.filter(sharer_id__in=promoter_users)
    counted = {"visits": Count("pk"), "visitors": Count("visitor_id", distinct=True)}
    paid = Order.objects.filter(
        shop=shop,
        paid_at__gte=datetime.combine(since, time.min, tzinfo=zone),
        paid_at__lt=datetime.combine(until + timedelta(days=1), time.min, tzinfo=zone),
    ).order_by()
    summed = {"orders": Count("pk"), "sales": Sum(F("total") - F("refunded_total"))}
    paid_day = TruncDate("paid_at", tzinfo=zone)

    # Visits: per day and channel, per channel, per day, overall; then per day and promoter,
    # per promoter. Distinct visitors cannot be added up, hence the separate totals.
    day_channel = list(visits.values("day", "channel").annotate(**counted))
    per_channel = {r["channel"]: r for r in visits.values("channel").annotate(**counted)}
    per_day = {r["day"]: r for r in visits.values("day").annotate(**counted)}
    overall = visits.aggregate(**counted)
    day_sharer = list(by_promoter_visits.values("day", "sharer_id").annotate(**counted))
    per_sharer = {
        r["sharer_id"]: r for r in by_promoter_visits.values("sharer_id").annotate(**counted)
    }
    # Orders: per paid day and channel; per paid day and the promoter whose link won (her own
    # purchases are not sales she brought).
    order_channel = list(
        paid.annotate(d=paid_day, ch=Coalesce("attribution__channel", Value(DIRECT)))
        .values("d", "ch")
        .annotate(**summed)
    )
    order_sharer = list(
        paid.filter(attribution__sharer_id__in=promoter_users, attribution__self_referral=False)
        .annotate(d=paid_day, sharer=F("attribution__sharer_id"))
        .values("d", "sharer")
        .annotate(**summed)
    )
    promoters = {p.user_id: p for p in Promoter.objects.filter(shop=shop).select_related("user")}

    # Channels: every one, direct first.
    channel_days: dict[str, dict[date, DayFigures]] = defaultdict(dict)
    for r in day_channel:
        channel_days[r["channel"]][r["day"]] = DayFigures(
            day=r["day"], visits=r["visits"], visitors=r["visitors"]
        )
    for r in order_channel:
        figures = channel_days[r["ch"]].setdefault(r["d"], DayFigures(day=r["d"]))
        figures.orders, figures.sales = r["orders"], r["sales"] or 0
    channels = VISIT_CHANNELS + sorted(set(channel_days) - set(VISIT_CHANNELS))
    by_channel = []
    for channel in channels:
        daily = [channel_days[channel][d] for d in sorted(channel_days[channel])]
        totals = per_channel.get(channel, {})
        by_channel.append(
            ChannelRow(
                channel=channel,
                label=channel_label(channel),
                visits=totals.get("visits", 0),
                visitors=totals.get("visitors", 0),
                orders=sum(d.orders for d in daily),
                sales=sum(d.sales for d in daily),
                daily=daily,
            )
        )

    # Promoters: those with a visit or an order in the period.
    sharer_days: dict[int, dict[date, DayFigures]] = defaultdict(dict)
    for r in day_sharer:
        sharer_days[r["sharer_id"]][r["day"]] = DayFigures(
            day=r["day"], visits=r["visits"], visitors=r["visitors"]
        )
    for r in order_sharer:
        figures = sharer_days[r["sharer"]].setdefault(r["d"], DayFigures(day=r["d"]))
        figures.orders, figures.sales = r["orders"], r["sales"] or 0
    by_promoter = []
    for user_id, days in sharer_days.items():
        promoter = promoters.get(user_id)
        if promoter is None:  # stopped being one between two queries
            continue
        daily = [days[d] for d in sorted(days)]
        totals = per_sharer.get(user_id, {})
        by_promoter.append(
            PromoterRow(
                promoter_id=promoter.pk,
                user_id=user_id,
                name=_promoter_name(promoter),
                visits=totals.get("visits", 0),
                visitors=totals.get("visitors", 0),
                orders=sum(d.orders for d in daily),
                sales=sum(d.sales for d in daily),
                daily=daily,
            )
        )
    by_promoter.sort(key=lambda p: (-p.sales, -p.orders, -p.visits, p.name))

    # Every day of the period, for the chart.
    orders_per_day: dict[date, tuple[int, int]] = defaultdict(lambda: (0, 0))
    for r in order_channel:
        n, s = orders_per_day[r["d"]]
        orders_per_day[r["d"]] = (n + r["orders"], s + (r["sales"] or 0))
    daily_totals = []
    for offset in range((until - since).days + 1):
        day = since + timedelta(days=offset)
        seen = per_day.get(day, {})
        n, s = orders_per_day.get(day, (0, 0))
        daily_totals.append(
            DayFigures(
                day=day,
                visits=seen.get("visits", 0),
                visitors=seen.get("visitors", 0),
                orders=n,
                sales=s,
            )
        )
    return TrafficReport(
        since=since,
        until=until,
        currency=settings.VSHOP_CURRENCY,
        totals=Figures(
            visits=overall["visits"] or 0,
            visitors=overall["visitors"] or 0,
            orders=sum(c.orders for c in by_channel),
            sales=sum(c.sales for c in by_channel),
        ),
        daily=daily_totals,
        by_channel=by_channel,
        by_promoter=by_promoter,
    )
