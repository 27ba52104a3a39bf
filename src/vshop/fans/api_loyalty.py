"""Loyalty API: the owner's points rules and member levels (another owner's shop is not found),
her hand adjustment of a fan's points, and the fan's own membership and daily check-in in a shop.
Thin over ``fans.loyalty`` and ``fans.points``."""

from datetime import datetime
from typing import Annotated, Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, NinjaAPI, Router, Schema
from pydantic import Strict

from vshop.api import ErrorOut, InputSchema, acting_user
from vshop.fans import loyalty, points
from vshop.fans.models import LoyaltyRules, ShopFan
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop

owner_router = Router(tags=["loyalty"])
fan_router = Router(tags=["storefront"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

Whole = Annotated[int, Strict()]


class RulesIn(InputSchema):
    points_enabled: bool | None = None
    points_per_yuan: Whole | None = Field(None, description="points earned per ¥1 paid")
    checkin_points: Whole | None = None
    review_points: Whole | None = None
    points_per_yuan_off: Whole | None = Field(None, description="points that take ¥1 off")
    max_points_percent: Whole | None = Field(
        None, description="points may pay at most this % of an order's goods"
    )
    points_expire_days: Whole | None = Field(None, description="0: points never expire")
    level_basis: str | None = Field(None, description="'spend' (fen) or 'points' (earned)")


class RulesOut(Schema):
    configured: bool = Field(..., description="false until the owner saves rules or levels")
    points_enabled: bool
    points_per_yuan: int
    checkin_points: int
    review_points: int
    points_per_yuan_off: int
    max_points_percent: int
    points_expire_days: int
    level_basis: str


class LevelIn(InputSchema):
    id: int | None = Field(None, description="an existing level (keeps its members)")
    name: str = Field(max_length=60)
    threshold: Whole = Field(..., description="spend in fen, or points earned")
    discount_percent: Whole = 0


class LevelsIn(InputSchema):
    levels: list[LevelIn] = Field(..., max_length=50)


class LevelOut(Schema):
    id: int
    name: str
    threshold: int
    discount_percent: int
    fan_count: int = 0


class AdjustIn(InputSchema):
    delta: Whole = Field(..., description="points to give (positive) or take (negative)")
    memo: str = Field(max_length=200)


class EntryOut(Schema):
    kind: str
    kind_label: str
    delta: int
    balance_after: int
    memo: str
    order_number: str | None = None
    expires_at: datetime | None
    created_at: datetime


class LevelBriefOut(Schema):
    id: int
    name: str
    threshold: int
    discount_percent: int


class MembershipOut(Schema):
    shop_slug: str
    is_member: bool = Field(..., description="she has a record in this shop")
    points_enabled: bool
    points: int
    points_earned: int
    level: LevelBriefOut | None
    next_level: LevelBriefOut | None
    basis: str
    value: int = Field(..., description="her figure on the basis: spend (fen) or points earned")
    remaining: int = Field(..., description="what is left to reach the next level")
    percent: int
    checked_in_today: bool
    checkin_points: int
    points_per_yuan_off: int
    entries: list[EntryOut]


class CheckInOut(Schema):
    points: int = Field(..., description="points just earned")
    balance: int


def _rules_out(shop: Shop) -> dict[str, Any]:
    rules = loyalty.rules_of(shop=shop)
    shown = rules or LoyaltyRules(shop=shop, points_enabled=False)
    return {
        "configured": rules is not None,
        **{f: getattr(shown, f) for f in loyalty.RULE_FIELDS},
    }


def _levels_out(shop: Shop) -> list[dict[str, Any]]:
    counts = dict(
        ShopFan.objects.filter(shop=shop, level__isnull=False)
        .values_list("level_id")
        .annotate(n=Count("pk"))
        .values_list("level_id", "n")
    )
    return [
        {
            "id": x.pk,
            "name": x.name,
            "threshold": x.threshold,
            "discount_percent": x.discount_percent,
            "fan_count": counts.get(x.pk, 0),
        }
        for x in loyalty.levels_of(shop_id=shop.pk)
    ]


# --- the owner -------------------------------------------------------------------------------


@owner_router.get(
    "/{slug}/loyalty", response={200: RulesOut, **ERRORS}, summary="My shop's points rules"
)
def rules_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    shop = shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)
    return _rules_out(shop)


@owner_router.put(
    "/{slug}/loyalty",
    response={200: RulesOut, **ERRORS},
    summary="Set my shop's points rules (fields left out keep their value)",
)
def rules_put(request: HttpRequest, slug: str, payload: RulesIn) -> dict[str, Any]:
    owner = acting_user(request)
    shop = shop_selectors.shop_of_owner(owner=owner, slug=slug)
    loyalty.rules_update(owner=owner, shop=shop, data=payload.model_dump(exclude_none=True))
    return _rules_out(shop)


@owner_router.get(
    "/{slug}/levels",
    response={200: list[LevelOut], **ERRORS},
    summary="My shop's member levels, lowest first, with their fans",
)
def levels_get(request: HttpRequest, slug: str) -> list[dict[str, Any]]:
    shop = shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)
    return _levels_out(shop)


@owner_router.put(
    "/{slug}/levels",
    response={200: list[LevelOut], **ERRORS},
    summary="Replace my shop's member levels (checked as a whole)",
    description="At most 10 levels; names and thresholds unique (two levels at one threshold "
    "overlap); a higher level never gives a smaller discount; at most 90%. Anything wrong: 400 "
    "and nothing changes. Send a level's id to keep it (and its fans); levels left out go.",
)
def levels_put(request: HttpRequest, slug: str, payload: LevelsIn) -> list[dict[str, Any]]:
    owner = acting_user(request)
    shop = shop_selectors.shop_of_owner(owner=owner, slug=slug)
    loyalty.levels_replace(
        owner=owner,
        shop=shop,
        levels=[
            loyalty.LevelInput(
                name=x.name, threshold=x.threshold, discount_percent=x.discount_percent, id=x.id
            )
            for x in payload.levels
        ],
    )
    return _levels_out(shop)


@owner_router.post(
    "/{slug}/fans/{int:fan_id}/points",
    response={200: EntryOut, **ERRORS},
    summary="Give or take a fan's points by hand (never below 0)",
)
def points_adjust(request: HttpRequest, slug: str, fan_id: int, payload: AdjustIn) -> Any:
    owner = acting_user(request)
    shop = shop_selectors.shop_of_owner(owner=owner, slug=slug)
    entry = points.points_adjust(
        owner=owner, shop=shop, fan_id=fan_id, delta=payload.delta, memo=payload.memo
    )
    return loyalty.entry_out(entry)


# --- the fan ---------------------------------------------------------------------------------


@fan_router.get(
    "/shops/{slug}/membership",
    response={200: MembershipOut, **ERRORS},
    summary="My level, progress and points in a shop, with my latest points entries",
)
def membership(request: HttpRequest, slug: str) -> dict[str, Any]:
    user = acting_user(request)
    return loyalty.membership_of(user=user, shop=shop_selectors.shop_public_get(slug=slug))


@fan_router.post(
    "/shops/{slug}/check-in",
    response={200: CheckInOut, **ERRORS},
    summary="Check in for today's points (once a day, by my own calendar; again: 409)",
)
def check_in(request: HttpRequest, slug: str) -> dict[str, int]:
    user = acting_user(request)
    entry = points.points_check_in(user=user, shop=shop_selectors.shop_public_get(slug=slug))
    return {"points": entry.delta, "balance": entry.balance_after}


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/shops", owner_router)
    api.add_router("/storefront", fan_router)
