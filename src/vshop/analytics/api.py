"""Traffic API: a shop owner's report of visits, visitors, orders and sales per day, channel and
promoter. Another owner's shop is not found. Thin over ``analytics.selectors``."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, NinjaAPI, Query, Router, Schema

from vshop.analytics import selectors
from vshop.api import ErrorOut, acting_user
from vshop.shops import selectors as shop_selectors

router = Router(tags=["traffic"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class TrafficQuery(Schema):
    days: int = Field(30, description="the last N days, today included: 1 to 366")


class FiguresOut(Schema):
    visits: int
    visitors: int = Field(..., description="distinct visitors (browsers)")
    orders: int = Field(..., description="orders paid in the period")
    sales: int = Field(..., description="their totals less refunds, in minor units (fen)")


class DayOut(FiguresOut):
    day: date


class ChannelOut(FiguresOut):
    channel: str = Field(..., description="a share channel, or 'direct'")
    label: str
    daily: list[DayOut] = Field(..., description="the days with any figure")


class PromoterOut(FiguresOut):
    promoter_id: int
    user_id: int
    name: str
    daily: list[DayOut]


class TrafficOut(Schema):
    days: int
    since: date
    until: date
    currency: str
    totals: FiguresOut
    daily: list[DayOut] = Field(..., description="every day of the period")
    by_channel: list[ChannelOut]
    by_promoter: list[PromoterOut]


@router.get(
    "/{slug}/traffic",
    response={200: TrafficOut, **ERRORS},
    summary="My shop's traffic: visits, visitors, orders and sales per day, channel and promoter",
)
def shop_traffic(
    request: HttpRequest, slug: str, query: Query[TrafficQuery]
) -> selectors.TrafficReport:
    shop = shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)
    since, until = selectors.traffic_period(days=query.days)
    return selectors.traffic_report(shop=shop, since=since, until=until)


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/shops", router)
