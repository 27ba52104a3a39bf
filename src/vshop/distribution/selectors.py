"""Reading sharing and promoters: a shop's programme, a user's promoter roles, the owner's view
of her promoters and rates, the promoter's orders and commission, the operator's flags.

Each read is scoped by the acting account: another owner's shop, listing or promoter is
``NotFound``; a promoter sees only her own roles and orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator
from vshop.distribution.models import (
    WHOLE,
    Flag,
    ListingCommission,
    OrderAttribution,
    Programme,
    Promoter,
    PromoterStatus,
    ShareLink,
)
from vshop.errors import NotFound
from vshop.ledger.models import AccountKind, Bucket, OrderSplit, SplitStage
from vshop.ledger.selectors import accounts_of_user
from vshop.orders.states import OrderStatus
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Listing, Shop
from vshop.shops.strategy import strategy_for


def programme_of(*, shop: Shop) -> Programme:
    """The shop's programme, or (unsaved) the defaults when she never changed them."""
    programme = Programme.objects.filter(shop=shop).first()
    return programme if programme is not None else Programme(shop=shop)


def active_promoter(*, shop_id: int, user_id: int) -> Promoter | None:
    return Promoter.objects.filter(
        shop_id=shop_id, user_id=user_id, status=PromoterStatus.ACTIVE
    ).first()


def promoter_roles_of(*, user: User) -> list[Promoter]:
    return list(Promoter.objects.filter(user=user).select_related("shop").order_by("-applied_at"))


def promoter_role(*, user: User, shop: Shop) -> Promoter | None:
    """Her role in this shop, whatever its status (None: she never joined)."""
    return Promoter.objects.filter(user=user, shop=shop).first()


def promoter_by_code(*, shop: Shop, code: str) -> Promoter | None:
    """The active promoter of this shop an invitation names: one of her share link codes for
    the shop, or her promoter id."""
    code = (code or "").strip()
    if not code:
        return None
    link = ShareLink.objects.filter(code=code, shop=shop).only("sharer_id").first()
    if link is not None:
        return active_promoter(shop_id=shop.pk, user_id=link.sharer_id)
    if code.isdigit() and len(code) < 19:
        return Promoter.objects.filter(
            pk=int(code), shop=shop, status=PromoterStatus.ACTIVE
        ).first()
    return None


def percent(rate: int) -> Decimal:
    """Basis points as a percent of the margin: ``1250`` → ``12.5``."""
    return Decimal(rate) / 100


def commission_on(margin: int, rate: int) -> int:
    """What a rate pays on a margin, rounded down to the fen as orders are split."""
    return margin * rate // WHOLE


# --- the owner's views -----------------------------------------------------------------------


def shop_for_owner(*, owner: User, slug: str) -> Shop:
    """One of her shops by its short address; another owner's shop is ``NotFound``."""
    return shop_selectors.shop_of_owner(owner=owner, slug=slug)


def promoters_of_shop(*, owner: User, shop: Shop, status: str | None = None) -> QuerySet[Promoter]:
    """Her shop's promoters (and applicants), newest first, each with ``orders_count``: the
    orders attributed to her as the promoter who brought the buyer."""
    if shop.owner_id != owner.pk:
        raise NotFound()
    qs = Promoter.objects.filter(shop=shop)
    if status:
        qs = qs.filter(status=status)
    return (
        qs.select_related("user", "recruiter__user")
        .annotate(orders_count=Count("orders", distinct=True))
        .order_by("-applied_at", "-pk")
    )


def promoter_of_shop(*, owner: User, shop: Shop, promoter_id: int) -> Promoter:
    promoter = promoters_of_shop(owner=owner, shop=shop).filter(pk=promoter_id).first()
    if promoter is None:
        raise NotFound()
    return promoter


def _net(split: OrderSplit, part: str) -> int:
    """A commission share less what refunds took back from it."""
    return int(getattr(split, part)) - int((split.taken or {}).get(part, 0))


def commission_earned(*, shop: Shop, promoters: Iterable[Promoter]) -> dict[int, int]:
    """Per promoter id: the commission her shop's paid orders give her (both levels), less
    refunds. One query for any number of promoters."""
    by_user = {p.user_id: p.pk for p in promoters}
    earned = dict.fromkeys(by_user.values(), 0)
    if not by_user:
        return earned
    splits = OrderSplit.objects.filter(order__shop=shop).filter(
        Q(promoter_id__in=by_user) | Q(promoter2_id__in=by_user)
    )
    for split in splits.only("promoter_id", "promoter2_id", "commission1", "commission2", "taken"):
        if split.promoter_id in by_user:
            earned[by_user[split.promoter_id]] += _net(split, "commission1")
        if split.promoter2_id in by_user:
            earned[by_user[split.promoter2_id]] += _net(split, "commission2")
    return earned


@dataclass(frozen=True)
class ListingRates:
    """One listing's commission: its own rates or the programme's, and what level 1 pays on the
    listing's margin range (per unit, at today's prices)."""

    listing: Listing
    is_custom: bool
    level1_rate: int
    level2_rate: int
    margin_from: int | None
    margin_to: int | None

    @property
    def title(self) -> str:
        return self.listing.product.title

    @property
    def level1_percent(self) -> Decimal:
        return percent(self.level1_rate)

    @property
    def level2_percent(self) -> Decimal:
        return percent(self.level2_rate)

    @property
    def commission1_from(self) -> int | None:
        return (
            None if self.margin_from is None else commission_on(self.margin_from, self.level1_rate)
        )

    @property
    def commission1_to(self) -> int | None:
        return None if self.margin_to is None else commission_on(self.margin_to, self.level1_rate)


def _rates_of(
    listing: Listing, programme: Programme, custom: ListingCommission | None
) -> ListingRates:
    offer = strategy_for(buyer=None).offer_for(listing)
    level2 = custom.level2_rate if custom else programme.level2_rate
    return ListingRates(
        listing=listing,
        is_custom=custom is not None,
        level1_rate=custom.level1_rate if custom else programme.level1_rate,
        level2_rate=level2 if programme.levels == 2 else 0,
        margin_from=offer.margin_from,
        margin_to=offer.margin_to,
    )


def listing_rates(*, owner: User, shop: Shop) -> list[ListingRates]:
    """Every listing of her shop with its effective rates (a fixed number of queries)."""
    programme = programme_of(shop=shop)
    listings = list(shop_selectors.listings_of_owner(owner=owner, shop=shop))
    custom = {
        c.listing_id: c
        for c in ListingCommission.objects.filter(listing_id__in=[x.pk for x in listings])
    }
    return [_rates_of(x, programme, custom.get(x.pk)) for x in listings]


def listing_rates_of(*, owner: User, listing_id: int) -> ListingRates:
    """One of her listings' effective rates; another owner's listing is ``NotFound``."""
    listing = shop_selectors.listing_of_owner(owner=owner, listing_id=listing_id)
    custom = ListingCommission.objects.filter(listing=listing).first()
    return _rates_of(listing, programme_of(shop=listing.shop), custom)


# --- the promoter's views --------------------------------------------------------------------

# What a brought order's commission looks like to the promoter, beyond the split's stages.
AWAITING_PAYMENT = "awaiting_payment"
CANCELLED = "cancelled"
REFUNDED = "refunded"


@dataclass(frozen=True)
class BroughtOrder:
    """An order she brought (level 1) or one brought by a promoter she recruited (level 2)."""

    number: str
    shop_name: str
    shop_slug: str
    created_at: datetime
    channel: str
    level: int
    currency: str
    commission: int  # what it pays her now: her share less what refunds took
    refunded: int  # what refunds took from her share
    stage: str  # pending / frozen / available, or awaiting_payment / cancelled / refunded

    @property
    def stage_label(self) -> str:
        labels = {
            SplitStage.PENDING: _("Pending: paid, not yet received"),
            SplitStage.FROZEN: _("Frozen: in the after-sales window"),
            SplitStage.AVAILABLE: _("Available"),
            AWAITING_PAYMENT: _("Not paid yet"),
            CANCELLED: _("Cancelled"),
            REFUNDED: _("Refunded"),
        }
        return str(labels.get(self.stage, self.stage))


def promoter_attributions(*, user: User) -> QuerySet[OrderAttribution]:
    """The orders that pay her, at either level, newest first."""
    return (
        OrderAttribution.objects.filter(Q(promoter__user=user) | Q(promoter2__user=user))
        .select_related("order", "shop", "promoter", "promoter2")
        .order_by("-created_at", "-pk")
    )


def brought_orders(*, user: User, attributions: Iterable[OrderAttribution]) -> list[BroughtOrder]:
    """Her commission on each of ``attributions`` (from ``promoter_attributions``): one query
    for the orders' splits."""
    rows = list(attributions)
    splits = {
        s.order_id: s for s in OrderSplit.objects.filter(order_id__in=[a.order_id for a in rows])
    }
    out = []
    for a in rows:
        order = a.order
        level = 1 if a.promoter is not None and a.promoter.user_id == user.pk else 2
        split = splits.get(a.order_id)
        commission = taken = 0
        if split is None:
            stage = AWAITING_PAYMENT if order.status == OrderStatus.PENDING_PAYMENT else CANCELLED
        else:
            part = "commission1" if level == 1 else "commission2"
            holder = split.promoter_id if level == 1 else split.promoter2_id
            if holder == user.pk:
                commission = _net(split, part)
                taken = int((split.taken or {}).get(part, 0))
            fully_refunded = order.status == OrderStatus.REFUNDED or (taken and not commission)
            stage = REFUNDED if fully_refunded else split.stage
        out.append(
            BroughtOrder(
                number=order.number,
                shop_name=a.shop.name,
                shop_slug=a.shop.slug,
                created_at=order.created_at,
                channel=a.channel,
                level=level,
                currency=order.currency,
                commission=commission,
                refunded=taken,
                stage=stage,
            )
        )
    return out


@dataclass(frozen=True)
class CommissionBalance:
    currency: str
    pending: int
    frozen: int
    available: int


def commission_balances(*, user: User) -> list[CommissionBalance]:
    """Her commission in the book, per currency: pending (paid, not received), frozen (in the
    after-sales window) and available. CNY always shows, even at zero."""
    sums: dict[str, dict[str, int]] = {"CNY": {}}
    accounts = accounts_of_user(user).filter(kind=AccountKind.PROMOTER_COMMISSION)
    for currency, bucket, balance in accounts.values_list("currency", "bucket", "balance"):
        by_bucket = sums.setdefault(currency, {})
        by_bucket[bucket] = by_bucket.get(bucket, 0) + balance
    return [
        CommissionBalance(
            currency=currency,
            pending=b.get(Bucket.PENDING, 0),
            frozen=b.get(Bucket.FROZEN, 0),
            available=b.get(Bucket.AVAILABLE, 0),
        )
        for currency, b in sums.items()
    ]


# --- the operator ----------------------------------------------------------------------------


def flags_for_operator(*, operator: User, resolved: bool | None = None) -> QuerySet[Flag]:
    """Flags to look at, newest first; platform staff only (others ``PermissionDenied``)."""
    require_operator(operator)
    qs = Flag.objects.select_related("shop", "promoter__user", "order", "resolved_by")
    if resolved is not None:
        qs = qs.filter(resolved_at__isnull=not resolved)
    return qs.order_by("-created_at", "-pk")
