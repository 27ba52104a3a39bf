"""Promoters API: a shop's programme and per-listing rates (its owner), her promoters and their
applications, joining a shop as a promoter, the promoter's own roles, orders and commission,
and the operator's flags. Thin: services write, selectors read, both scoped to the caller.

Rates are basis points of the owner's margin (1000 = 10%); money is integer fen.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, NinjaAPI, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import Strict

from vshop.api import (
    OPTIONAL_AUTH,
    ErrorOut,
    Id,
    InputSchema,
    Page,
    acting_user,
    buyer_of,
    require_operator,
)
from vshop.distribution import selectors, services
from vshop.distribution.models import MAX_LEVELS, Flag, Promoter
from vshop.shops import selectors as shop_selectors

shops_router = Router(tags=["promoters"])
listings_router = Router(tags=["promoters"])
storefront_router = Router(tags=["promoters"])
me_router = Router(tags=["promoters"])
operator_router = Router(tags=["operator"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}

#: A JSON integer (never a string, a float or a bool); its range is the service's to judge, so
#: that a third level or a rate above the margin gets its own clear message.
Whole = Annotated[int, Strict()]
Status_ = Literal["applied", "active", "rejected", "removed"]


def share_page(slug: str) -> str:
    return reverse("sharing:shop", args=[slug])


# --- shapes ----------------------------------------------------------------------------------


class ProgrammeIn(InputSchema):
    """Any of the programme's settings; those left out keep their value."""

    is_enabled: Annotated[bool, Strict()] | None = None
    join_policy: str | None = Field(None, description="open, application or after_purchase")
    levels: Whole | None = Field(None, description=f"1 or {MAX_LEVELS}; never more")
    level1_rate: Whole | None = Field(None, description="basis points of the margin (1000 = 10%)")
    level2_rate: Whole | None = Field(None, description="basis points; only with levels = 2")
    attribution_model: str | None = Field(None, description="last_touch or first_touch")
    attribution_days: Whole | None = Field(None, description="1 to 90")


class ProgrammeOut(Schema):
    shop_slug: str
    is_enabled: bool
    join_policy: str
    levels: int
    level1_rate: int
    level2_rate: int
    attribution_model: str
    attribution_days: int


class ProgrammeTermsOut(Schema):
    """What a fan reads before joining: no attribution details."""

    shop_slug: str
    shop_name: str
    is_enabled: bool
    join_policy: str
    levels: int
    level1_rate: int
    level2_rate: int
    attribution_days: int
    my_status: str | None = Field(None, description="my role in this shop, if I have one")


class ListingCommissionIn(InputSchema):
    level1_rate: Whole
    level2_rate: Whole = 0


class ListingCommissionOut(Schema):
    listing_id: int
    is_custom: bool = Field(description="false: the programme's rates apply")
    level1_rate: int
    level2_rate: int
    margin_from: int | None
    margin_to: int | None
    commission1_from: int | None
    commission1_to: int | None


class PromoterOut(Schema):
    id: int
    user_id: int
    name: str
    status: str
    message: str
    decision_note: str
    recruiter_id: int | None
    recruiter_name: str | None
    applied_at: datetime
    joined_at: datetime | None
    orders_count: int = Field(description="orders she brought (level 1)")
    commission_earned: int = Field(description="fen, both levels, less refunds")


class PromoterPage(Schema):
    items: list[PromoterOut]
    count: int
    page: int
    pages: int


class DecisionIn(InputSchema):
    note: str = Field("", description="the promoter reads it (300 characters at most)")


class JoinIn(InputSchema):
    message: str = Field("", description="why I want to promote this shop (300 at most)")
    recruiter_code: str | None = Field(
        None,
        max_length=40,
        description="a share link code of the promoter who invited me (or her promoter id)",
    )


class PromoterRoleOut(Schema):
    id: int
    shop_slug: str
    shop_name: str
    status: str
    message: str
    decision_note: str
    applied_at: datetime
    joined_at: datetime | None
    share_url: str


class BroughtOrderOut(Schema):
    number: str
    shop_slug: str
    shop_name: str
    created_at: datetime
    channel: str
    level: int
    currency: str
    commission: int
    refunded: int
    stage: str = Field(
        description="pending, frozen, available, or awaiting_payment, cancelled, refunded"
    )


class BroughtOrderPage(Schema):
    items: list[BroughtOrderOut]
    count: int
    page: int
    pages: int


class BalanceOut(Schema):
    currency: str
    pending: int
    frozen: int
    available: int


class FlagOut(Schema):
    id: int
    kind: str
    shop_slug: str
    promoter_id: int | None
    order_number: str | None
    detail: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by_id: int | None
    resolution: str

    @staticmethod
    def resolve_shop_slug(obj: Flag) -> str:
        return obj.shop.slug

    @staticmethod
    def resolve_order_number(obj: Flag) -> str | None:
        return obj.order.number if obj.order_id and obj.order else None


class FlagFilters(Schema):
    resolved: bool | None = None


class ResolveIn(InputSchema):
    resolution: str = Field(..., description="what I decided (300 characters at most)")


# --- helpers ---------------------------------------------------------------------------------


def _programme_out(slug: str, programme: Any) -> dict[str, Any]:
    return {
        "shop_slug": slug,
        **{
            f: getattr(programme, f)
            for f in (
                "is_enabled",
                "join_policy",
                "levels",
                "level1_rate",
                "level2_rate",
                "attribution_model",
                "attribution_days",
            )
        },
    }


def _promoter_out(promoter: Promoter, earned: int) -> dict[str, Any]:
    recruiter = promoter.recruiter
    return {
        "id": promoter.pk,
        "user_id": promoter.user_id,
        "name": promoter.user.name,
        "status": promoter.status,
        "message": promoter.message,
        "decision_note": promoter.decision_note,
        "recruiter_id": recruiter.pk if recruiter else None,
        "recruiter_name": recruiter.user.name if recruiter else None,
        "applied_at": promoter.applied_at,
        "joined_at": promoter.joined_at,
        "orders_count": getattr(promoter, "orders_count", 0),
        "commission_earned": earned,
    }


def _rates_out(rates: selectors.ListingRates) -> dict[str, Any]:
    return {
        "listing_id": rates.listing.pk,
        "is_custom": rates.is_custom,
        "level1_rate": rates.level1_rate,
        "level2_rate": rates.level2_rate,
        "margin_from": rates.margin_from,
        "margin_to": rates.margin_to,
        "commission1_from": rates.commission1_from,
        "commission1_to": rates.commission1_to,
    }


def _role_out(promoter: Promoter) -> dict[str, Any]:
    return {
        "id": promoter.pk,
        "shop_slug": promoter.shop.slug,
        "shop_name": promoter.shop.name,
        "status": promoter.status,
        "message": promoter.message,
        "decision_note": promoter.decision_note,
        "applied_at": promoter.applied_at,
        "joined_at": promoter.joined_at,
        "share_url": share_page(promoter.shop.slug),
    }


def _decided(request: HttpRequest, slug: str, promoter_id: int) -> dict[str, Any]:
    owner = acting_user(request)
    shop = selectors.shop_for_owner(owner=owner, slug=slug)
    promoter = selectors.promoter_of_shop(owner=owner, shop=shop, promoter_id=promoter_id)
    earned = selectors.commission_earned(shop=shop, promoters=[promoter])
    return _promoter_out(promoter, earned[promoter.pk])


# --- the owner: programme, rates, promoters --------------------------------------------------


@shops_router.get(
    "/{slug}/programme",
    response={200: ProgrammeOut, **ERRORS},
    summary="My shop's promoter programme (rates in basis points of my margin)",
)
def programme_get(request: HttpRequest, slug: str) -> dict[str, Any]:
    shop = selectors.shop_for_owner(owner=acting_user(request), slug=slug)
    return _programme_out(shop.slug, selectors.programme_of(shop=shop))


@shops_router.put(
    "/{slug}/programme",
    response={200: ProgrammeOut, **ERRORS},
    summary="Change my programme: who may join, levels (1 or 2), rates, attribution",
)
def programme_put(request: HttpRequest, slug: str, payload: ProgrammeIn) -> dict[str, Any]:
    owner = acting_user(request)
    shop = selectors.shop_for_owner(owner=owner, slug=slug)
    programme = services.programme_update(
        owner=owner, shop=shop, data=payload.model_dump(exclude_unset=True)
    )
    return _programme_out(shop.slug, programme)


@shops_router.get(
    "/{slug}/promoters",
    response={200: PromoterPage, **ERRORS},
    summary="My shop's promoters and applications, with orders brought and commission earned",
)
def promoter_list(
    request: HttpRequest,
    slug: str,
    pagination: Query[Page.Input],
    status: Status_ | None = None,
) -> dict[str, Any]:
    owner = acting_user(request)
    shop = selectors.shop_for_owner(owner=owner, slug=slug)
    qs = selectors.promoters_of_shop(owner=owner, shop=shop, status=status)
    page = Page().paginate_queryset(qs, pagination, request)
    earned = selectors.commission_earned(shop=shop, promoters=page["items"])
    page["items"] = [_promoter_out(p, earned[p.pk]) for p in page["items"]]
    return page


@shops_router.post(
    "/{slug}/promoters/{promoter_id}/approve",
    response={200: PromoterOut, **ERRORS},
    summary="Approve an application: she becomes a promoter",
)
def promoter_approve(
    request: HttpRequest, slug: str, promoter_id: Id, payload: DecisionIn
) -> dict[str, Any]:
    owner = acting_user(request)
    shop = selectors.shop_for_owner(owner=owner, slug=slug)
    services.promoter_approve(owner=owner, shop=shop, promoter_id=promoter_id, note=payload.note)
    return _decided(request, slug, promoter_id)


@shops_router.post(
    "/{slug}/promoters/{promoter_id}/reject",
    response={200: PromoterOut, **ERRORS},
    summary="Turn an application down, with a note she reads",
)
def promoter_reject(
    request: HttpRequest, slug: str, promoter_id: Id, payload: DecisionIn
) -> dict[str, Any]:
    owner = acting_user(request)
    shop = selectors.shop_for_owner(owner=owner, slug=slug)
    services.promoter_reject(owner=owner, shop=shop, promoter_id=promoter_id, note=payload.note)
    return _decided(request, slug, promoter_id)


@shops_router.post(
    "/{slug}/promoters/{promoter_id}/remove",
    response={200: PromoterOut, **ERRORS},
    summary="Stop a promoter (commission already earned stays hers)",
)
def promoter_remove(
    request: HttpRequest, slug: str, promoter_id: Id, payload: DecisionIn
) -> dict[str, Any]:
    owner = acting_user(request)
    shop = selectors.shop_for_owner(owner=owner, slug=slug)
    services.promoter_remove(owner=owner, shop=shop, promoter_id=promoter_id, note=payload.note)
    return _decided(request, slug, promoter_id)


@listings_router.get(
    "/{listing_id}/commission",
    response={200: ListingCommissionOut, **ERRORS},
    summary="The commission rates that apply to my listing, and what they pay on its margin",
)
def listing_commission_get(request: HttpRequest, listing_id: Id) -> dict[str, Any]:
    rates = selectors.listing_rates_of(owner=acting_user(request), listing_id=listing_id)
    return _rates_out(rates)


@listings_router.put(
    "/{listing_id}/commission",
    response={200: ListingCommissionOut, **ERRORS},
    summary="Give my listing its own rates in place of the programme's",
)
def listing_commission_put(
    request: HttpRequest, listing_id: Id, payload: ListingCommissionIn
) -> dict[str, Any]:
    owner = acting_user(request)
    services.listing_commission_set(
        owner=owner,
        listing_id=listing_id,
        level1_rate=payload.level1_rate,
        level2_rate=payload.level2_rate,
    )
    return _rates_out(selectors.listing_rates_of(owner=owner, listing_id=listing_id))


@listings_router.delete(
    "/{listing_id}/commission",
    response={204: None, **ERRORS},
    summary="Back to the programme's rates",
)
def listing_commission_delete(request: HttpRequest, listing_id: Id) -> Status:
    services.listing_commission_clear(owner=acting_user(request), listing_id=listing_id)
    return Status(204, None)


# --- fans: the terms, joining ----------------------------------------------------------------


@storefront_router.get(
    "/{slug}/programme",
    response={200: ProgrammeTermsOut, **ERRORS},
    auth=OPTIONAL_AUTH,
    summary="A shop's terms for promoters: who may join and what they earn",
)
def programme_terms(request: HttpRequest, slug: str) -> dict[str, Any]:
    shop = shop_selectors.shop_public_get(slug=slug)
    programme = selectors.programme_of(shop=shop)
    user = buyer_of(request)
    role = selectors.promoter_role(user=user, shop=shop) if user is not None else None
    return {
        "shop_slug": shop.slug,
        "shop_name": shop.name,
        "is_enabled": programme.is_enabled,
        "join_policy": programme.join_policy,
        "levels": programme.levels,
        "level1_rate": programme.level1_rate,
        "level2_rate": programme.level2_rate,
        "attribution_days": programme.attribution_days,
        "my_status": role.status if role else None,
    }


@storefront_router.post(
    "/{slug}/promoter",
    response={200: PromoterRoleOut, **ERRORS},
    summary="Become a promoter of this shop (or apply, as the shop chose); idempotent",
)
def promoter_join(request: HttpRequest, slug: str, payload: JoinIn) -> dict[str, Any]:
    shop = shop_selectors.shop_public_get(slug=slug)
    promoter = services.promoter_join(
        user=acting_user(request),
        shop=shop,
        message=payload.message,
        recruiter_code=payload.recruiter_code or None,
    )
    return _role_out(promoter)


# --- the promoter: her roles, orders and commission ------------------------------------------


@me_router.get(
    "/promoter-roles",
    response=list[PromoterRoleOut],
    summary="The shops I promote or applied to, with my status and share page",
)
def my_promoter_roles(request: HttpRequest) -> list[dict[str, Any]]:
    return [_role_out(p) for p in selectors.promoter_roles_of(user=acting_user(request))]


@me_router.get(
    "/promoter-orders",
    response={200: BroughtOrderPage, **ERRORS},
    summary="Orders I brought (or a promoter I recruited brought) and my commission on each",
)
def my_promoter_orders(
    request: HttpRequest,
    pagination: Query[Page.Input],
) -> dict[str, Any]:
    user = acting_user(request)
    qs = selectors.promoter_attributions(user=user)
    page = Page().paginate_queryset(qs, pagination, request)
    page["items"] = selectors.brought_orders(user=user, attributions=page["items"])
    return page


@me_router.get(
    "/promoter-balances",
    response=list[BalanceOut],
    summary="My commission: pending (paid), frozen (after-sales window) and available, in fen",
)
def my_promoter_balances(request: HttpRequest) -> list[selectors.CommissionBalance]:
    return selectors.commission_balances(user=acting_user(request))


# --- the operator ----------------------------------------------------------------------------


@operator_router.get(
    "/flags",
    response={200: list[FlagOut], **ERRORS},
    summary="Flags on promoters' sales to look at (?resolved=false for the open ones)",
)
@paginate(Page)
def flag_list(request: HttpRequest, filters: Query[FlagFilters]) -> Any:
    return selectors.flags_for_operator(
        operator=require_operator(request), resolved=filters.resolved
    )


@operator_router.post(
    "/flags/{flag_id}/resolve",
    response={200: FlagOut, **ERRORS},
    summary="Resolve a flag, saying what was decided",
)
def flag_resolve(request: HttpRequest, flag_id: Id, payload: ResolveIn) -> Flag:
    operator = require_operator(request)
    flag = services.flag_resolve(operator=operator, flag_id=flag_id, resolution=payload.resolution)
    return selectors.flags_for_operator(operator=operator).get(pk=flag.pk)


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/shops", shops_router)
    api.add_router("/listings", listings_router)
    api.add_router("/storefront/shops", storefront_router)
    api.add_router("/me", me_router)
    api.add_router("/operator", operator_router)
