"""The shop owner's traffic page (``/me/shop/traffic/``): where visitors came from, per channel
and per promoter, with the orders and sales they brought. Thin over ``analytics.selectors``."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from vshop.analytics import selectors
from vshop.errors import ValidationFailed
from vshop.shops.models import Shop
from vshop.shops.views import shop_owner_required

PERIODS = (7, 30, 90)
CHART_WIDTH, CHART_HEIGHT = 600, 160


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str


def _days(request: HttpRequest) -> int:
    raw = request.GET.get("days", "7")
    if not raw.isdigit() or len(raw) > 4:
        raise ValidationFailed(_("Choose a period of 1 to 366 days."), field="days")
    return int(raw)


def _bars(report: selectors.TrafficReport) -> list[Bar]:
    """Visits per day as bars of an SVG chart (drawn by the template, no script)."""
    days = report.daily
    top = max((d.visits for d in days), default=0) or 1
    slot = CHART_WIDTH / max(len(days), 1)
    bars = []
    for i, d in enumerate(days):
        height = round(d.visits / top * (CHART_HEIGHT - 4), 1)
        bars.append(
            Bar(
                x=round(i * slot + slot * 0.1, 2),
                y=round(CHART_HEIGHT - height, 1),
                width=round(max(slot * 0.8, 1), 2),
                height=height,
                label=_("%(day)s: %(n)s visits") % {"day": d.day.isoformat(), "n": d.visits},
            )
        )
    return bars


@shop_owner_required
@require_GET
def traffic(request: HttpRequest, shop: Shop) -> HttpResponse:
    days = _days(request)
    since, until = selectors.traffic_period(days=days)
    report = selectors.traffic_report(shop=shop, since=since, until=until)
    return render(
        request,
        "analytics/traffic.html",
        {
            "shop": shop,
            "report": report,
            "periods": PERIODS,
            "days": days,
            "bars": _bars(report),
            "chart_width": CHART_WIDTH,
            "chart_height": CHART_HEIGHT,
            "peak": max((d.visits for d in report.daily), default=0),
        },
    )
