"""The points ledger of each fan in each shop: earned for purchases, check-ins and reviews, spent
at checkout, given back when an unpaid checkout closes or an order is refunded in full, taken back
(in proportion) on refunds, expired after the shop's time.

Every movement is one append-only ``PointsEntry`` with the balance after it; ``ShopFan.points`` is
the sum of the entries (and never below 0: a CHECK in the database too). Earned entries are lots:
spending and taking back use them oldest-expiring first, and what is left of a lot at its
``expires_at`` expires. Each movement carries a key, unique per fan, so an event counted twice
(a payment notification delivered again, a retried task) changes nothing the second time.

Every write locks the fan's ``ShopFan`` row first (``_locked_fans``: in pk order, so two
writers never deadlock); lots are only ever changed under that lock.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.fans.models import (
    FanSource,
    Follow,
    LoyaltyRules,
    PointsEntry,
    PointsKind,
    ShopFan,
)
from vshop.shops.models import Shop

MAX_ADJUST = 1_000_000
LOCAL_FALLBACK = "Asia/Shanghai"


class InsufficientPoints(ValidationFailed):
    code = "insufficient_points"
    default_message = _("You do not have that many points.")


class PointsOverCap(ValidationFailed):
    code = "points_over_cap"
    default_message = _("That is more points than this order can take.")


class PointsOff(Conflict):
    code = "points_off"
    default_message = _("This shop does not give points.")


class AlreadyCheckedIn(Conflict):
    code = "already_checked_in"
    default_message = _("You already checked in today. Come back tomorrow!")


# --- the one writer --------------------------------------------------------------------------


def _locked_fans(fan_ids: Iterable[int]) -> dict[int, ShopFan]:
    """Lock the fans' rows, in pk order (the one order every points writer uses)."""
    return {
        f.pk: f
        for f in ShopFan.objects.select_for_update().filter(pk__in=set(fan_ids)).order_by("pk")
    }


def _expiry(rules: LoyaltyRules | None, now: datetime) -> datetime | None:
    if rules is None or not rules.points_expire_days:
        return None
    return now + timedelta(days=rules.points_expire_days)


def _post(
    *,
    fan: ShopFan,
    kind: str,
    delta: int,
    key: str,
    now: datetime,
    order_id: int | None = None,
    expires_at: datetime | None = None,
    memo: str = "",
    earned: int = 0,
    lot: PointsEntry | None = None,
) -> PointsEntry | None:
    """Write one movement of a locked fan's points; None (nothing written) when ``key`` was
    already counted. A positive movement is a new lot; a negative one uses up ``lot``, or the
    open lots oldest-expiring first, and refuses to go below zero. ``earned`` moves the
    lifetime total (the level basis "points")."""
    if delta == 0 or PointsEntry.objects.filter(fan=fan, key=key).exists():
        return None
    if delta < 0:
        take = -delta
        if take > fan.points:
            raise InsufficientPoints(
                _("You have %(held)s points; this needs %(n)s.") % {"held": fan.points, "n": take},
                field="points",
                held=fan.points,
            )
        lots = (
            [lot]
            if lot is not None
            else list(
                PointsEntry.objects.filter(fan=fan, remaining__gt=0).order_by(
                    F("expires_at").asc(nulls_last=True), "created_at", "pk"
                )
            )
        )
        changed = []
        for row in lots:
            if not take:
                break
            used = min(row.remaining, take)
            row.remaining -= used
            take -= used
            changed.append(row)
        if take:  # the lots do not cover the balance: the books disagree; refuse to guess
            raise InsufficientPoints(field="points", held=fan.points - take)
        PointsEntry.objects.bulk_update(changed, ["remaining"])
    fan.points += delta
    fan.points_earned = max(fan.points_earned + earned, 0)
    # F() so the database's CHECK (points >= 0) is the last word, whatever this process thinks.
    ShopFan.objects.filter(pk=fan.pk).update(
        points=F("points") + delta, points_earned=fan.points_earned
    )
    return PointsEntry.objects.create(
        fan=fan,
        kind=kind,
        delta=delta,
        balance_after=fan.points,
        key=key[:60],
        order_id=order_id,
        remaining=delta if delta > 0 else 0,
        expires_at=expires_at if delta > 0 else None,
        memo=str(memo)[:120],
        created_at=now,
    )


def _rules_of(shop_ids: Iterable[int]) -> dict[int, LoyaltyRules]:
    return {r.shop_id: r for r in LoyaltyRules.objects.filter(shop_id__in=set(shop_ids))}


def _points_on(rules: LoyaltyRules | None) -> bool:
    return rules is not None and rules.points_enabled


# --- earning ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaidOrder:
    """What the points of one paid order are computed from."""

    order_id: int
    fan_id: int
    shop_id: int
    total: int
    paid_at: datetime


def purchase_points(*, total: int, rules: LoyaltyRules | None) -> int:
    """Points for paying ``total`` fen: ``points_per_yuan`` for each whole yuan."""
    if not _points_on(rules):
        return 0
    assert rules is not None
    return total // 100 * rules.points_per_yuan


def points_earn_for_orders(*, orders: Sequence[PaidOrder], now: datetime | None = None) -> int:
    """Award the points of paid orders (once per order). Call inside the payment's
    transaction; locks the fans' rows. Returns the points awarded."""
    now = now or timezone.now()
    rules = _rules_of(o.shop_id for o in orders)
    due = [(o, purchase_points(total=o.total, rules=rules.get(o.shop_id))) for o in orders]
    due = [(o, n) for o, n in due if n > 0]
    if not due:
        return 0
    fans = _locked_fans(o.fan_id for o, _n in due)
    awarded = 0
    for order, n in due:
        entry = _post(
            fan=fans[order.fan_id],
            kind=PointsKind.PURCHASE,
            delta=n,
            key=f"order:{order.order_id}",
            now=now,
            order_id=order.order_id,
            expires_at=_expiry(rules.get(order.shop_id), order.paid_at or now),
            earned=n,
        )
        awarded += entry.delta if entry else 0
    return awarded


def local_date_of(fan: ShopFan, now: datetime) -> str:
    """Her date, in her time zone, as the check-in key uses it."""
    try:
        zone = ZoneInfo(fan.time_zone or LOCAL_FALLBACK)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo(LOCAL_FALLBACK)
    return now.astimezone(zone).date().isoformat()


def checkin_key(fan: ShopFan, now: datetime) -> str:
    return f"checkin:{local_date_of(fan, now)}"


def _fan_for_points(*, user: User, shop: Shop) -> ShopFan:
    """Her record in the shop; a follower without one (an old follow) gets it now."""
    from vshop.fans.records import shop_fan_ensure

    fan = ShopFan.objects.filter(shop=shop, user=user).first()
    if fan is not None:
        return fan
    if Follow.objects.filter(shop=shop, fan=user).exists():
        return shop_fan_ensure(shop_id=shop.pk, user=user, source=FanSource.FOLLOW)
    raise Conflict(_("Follow this shop first to collect its points."), field="shop")


@transaction.atomic
def points_check_in(*, user: User, shop: Shop, now: datetime | None = None) -> PointsEntry:
    """The daily check-in: once a day, by her own calendar (her time zone). Locks her row."""
    now = now or timezone.now()
    rules = LoyaltyRules.objects.filter(shop=shop).first()
    if not _points_on(rules) or not rules or not rules.checkin_points:
        raise PointsOff(_("This shop gives no points for checking in."))
    record = _fan_for_points(user=user, shop=shop)
    fan = _locked_fans([record.pk])[record.pk]
    entry = _post(
        fan=fan,
        kind=PointsKind.CHECKIN,
        delta=rules.checkin_points,
        key=checkin_key(fan, now),
        now=now,
        expires_at=_expiry(rules, now),
        earned=rules.checkin_points,
    )
    if entry is None:
        raise AlreadyCheckedIn()
    _after_earning(fan)
    return entry


def points_award_review(*, review: object, now: datetime | None = None) -> PointsEntry | None:
    """Points for a verified-purchase review (a ``trust.Review``), once per order line. Call it
    inside the review's transaction. None when the shop gives none or it was counted."""
    from vshop.fans.records import shop_fan_ensure

    now = now or timezone.now()
    shop_id: int = review.shop_id  # type: ignore[attr-defined]
    buyer: User | None = review.buyer  # type: ignore[attr-defined]
    if buyer is None:
        return None
    rules = LoyaltyRules.objects.filter(shop_id=shop_id).first()
    if not _points_on(rules) or not rules or not rules.review_points:
        return None
    record = shop_fan_ensure(shop_id=shop_id, user=buyer, source=FanSource.ORDER)
    with transaction.atomic():
        fan = _locked_fans([record.pk])[record.pk]
        entry = _post(
            fan=fan,
            kind=PointsKind.REVIEW,
            delta=rules.review_points,
            key=f"review:{review.order_line_id}",  # type: ignore[attr-defined]
            now=now,
            expires_at=_expiry(rules, now),
            earned=rules.review_points,
        )
        if entry is not None:
            _after_earning(fan)
    return entry


def _after_earning(fan: ShopFan) -> None:
    """Earning may lift her level when levels go by points."""
    from vshop.fans.loyalty import level_refresh

    level_refresh(fan=fan)


# --- spending at checkout and giving back ----------------------------------------------------


def points_redeem(*, fans: dict[int, ShopFan], spends: Sequence[tuple[int, int, int]]) -> None:
    """Take the points of a checkout being placed: ``spends`` are (fan id, order id, points)
    and ``fans`` the rows locked with ``lock_fans_of``. Raises ``InsufficientPoints`` (and the
    caller's transaction writes nothing) when she no longer has them."""
    now = timezone.now()
    for fan_id, order_id, n in spends:
        if n > 0:
            _post(
                fan=fans[fan_id],
                kind=PointsKind.REDEEM,
                delta=-n,
                key=f"redeem:{order_id}",
                now=now,
                order_id=order_id,
            )


def lock_fans_of(*, user: User, shop_ids: Iterable[int]) -> dict[int, ShopFan]:
    """Her records in these shops, locked; keyed by shop id."""
    ids = list(
        ShopFan.objects.filter(user=user, shop_id__in=set(shop_ids)).values_list("pk", flat=True)
    )
    return {f.shop_id: f for f in _locked_fans(ids).values()}


def points_return_for_orders(*, orders: Sequence[object], memo: str = "") -> int:
    """Give back the points paid with these orders (an unpaid checkout closed, or an order
    refunded in full), once per order. Returned points are a new lot, expiring by the shop's
    rules from now. Returns the points given back."""
    spent = [o for o in orders if getattr(o, "points_spent", 0) and getattr(o, "buyer_id", None)]
    if not spent:
        return 0
    now = timezone.now()
    wanted = {(o.shop_id, o.buyer_id) for o in spent}  # type: ignore[attr-defined]
    records = {
        (f.shop_id, f.user_id): f.pk
        for f in ShopFan.objects.filter(
            shop_id__in={s for s, _u in wanted}, user_id__in={u for _s, u in wanted}
        )
    }
    fans = _locked_fans(records.values())
    rules = _rules_of(o.shop_id for o in spent)  # type: ignore[attr-defined]
    given = 0
    for order in spent:
        fan_id = records.get((order.shop_id, order.buyer_id))  # type: ignore[attr-defined]
        if fan_id is None:
            continue
        entry = _post(
            fan=fans[fan_id],
            kind=PointsKind.RETURN,
            delta=order.points_spent,  # type: ignore[attr-defined]
            key=f"return:{order.pk}",  # type: ignore[attr-defined]
            now=now,
            order_id=order.pk,  # type: ignore[attr-defined]
            expires_at=_expiry(rules.get(order.shop_id), now),  # type: ignore[attr-defined]
            memo=memo,
        )
        given += entry.delta if entry else 0
    return given


def points_take_back(*, fan: ShopFan, order_id: int, refunded: int, total: int) -> int:
    """On a refund of an order (``refunded`` of ``total`` so far, cumulative): take back the
    refunded share of the points the order earned, less what earlier refunds took, never more
    than she holds. ``fan`` is locked. Returns the points taken."""
    earned = PointsEntry.objects.filter(
        fan=fan, order_id=order_id, kind=PointsKind.PURCHASE
    ).aggregate(n=Sum("delta"))["n"]
    if not earned or total <= 0:
        return 0
    taken = -(
        PointsEntry.objects.filter(fan=fan, order_id=order_id, kind=PointsKind.REFUND).aggregate(
            n=Sum("delta")
        )["n"]
        or 0
    )
    due = earned * min(refunded, total) // total - taken
    n = min(due, fan.points)
    if n <= 0:
        return 0
    entry = _post(
        fan=fan,
        kind=PointsKind.REFUND,
        delta=-n,
        key=f"refund:{order_id}:{refunded}",
        now=timezone.now(),
        order_id=order_id,
        earned=-n,
    )
    return n if entry else 0


# --- expiry and the owner's adjustment -------------------------------------------------------


def points_expire_due(*, now: datetime | None = None, batch: int = 200) -> int:
    """Expire what is left of every lot past its ``expires_at``: one EXPIRY entry per lot. A
    batch of fans is one transaction. Returns the points expired."""
    now = now or timezone.now()
    expired = 0
    while True:
        fan_ids = list(
            PointsEntry.objects.filter(remaining__gt=0, expires_at__lte=now)
            .order_by("fan_id")
            .values_list("fan_id", flat=True)
            .distinct()[:batch]
        )
        if not fan_ids:
            return expired
        with transaction.atomic():
            fans = _locked_fans(fan_ids)
            lots = PointsEntry.objects.filter(
                fan_id__in=list(fans), remaining__gt=0, expires_at__lte=now
            ).order_by("fan_id", "expires_at", "pk")
            touched: set[int] = set()
            for lot in lots:
                fan = fans[lot.fan_id]
                entry = _post(
                    fan=fan,
                    kind=PointsKind.EXPIRY,
                    delta=-lot.remaining,
                    key=f"expiry:{lot.pk}",
                    now=now,
                    lot=lot,
                )
                if entry is not None:
                    expired += -entry.delta
                    touched.add(fan.pk)
            if not touched:  # nothing could be expired (cannot happen): do not spin
                return expired


@transaction.atomic
def points_adjust(*, owner: User, shop: Shop, fan_id: int, delta: int, memo: str) -> PointsEntry:
    """The owner gives or takes points by hand (a goodwill gesture, a correction). Taking more
    than she holds is refused."""
    if shop.owner_id != owner.pk:
        raise NotFound()
    if not isinstance(delta, int) or isinstance(delta, bool) or delta == 0:
        raise ValidationFailed(_("Enter a number of points other than 0."), field="delta")
    if abs(delta) > MAX_ADJUST:
        raise ValidationFailed(
            _("Adjust by at most %(n)s points at a time.") % {"n": MAX_ADJUST}, field="delta"
        )
    memo = (memo or "").strip()
    if not memo:
        raise ValidationFailed(_("Say why, for her points history."), field="memo")
    if len(memo) > 120:
        raise ValidationFailed(_("Keep it under 120 characters."), field="memo")
    record = ShopFan.objects.filter(pk=fan_id, shop=shop).first()
    if record is None:
        raise NotFound()
    fan = _locked_fans([record.pk])[record.pk]
    rules = LoyaltyRules.objects.filter(shop=shop).first()
    now = timezone.now()
    entry = _post(
        fan=fan,
        kind=PointsKind.ADJUST,
        delta=delta,
        key=f"adjust:{uuid.uuid4().hex}",
        now=now,
        expires_at=_expiry(rules, now),
        memo=memo,
    )
    assert entry is not None
    return entry


# --- reads -----------------------------------------------------------------------------------


def points_entries_of(*, fan: ShopFan, limit: int = 20) -> list[PointsEntry]:
    return list(PointsEntry.objects.filter(fan=fan).order_by("-created_at", "-pk")[:limit])


def points_checked_in_today(*, fan: ShopFan, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return PointsEntry.objects.filter(fan=fan, key=checkin_key(fan, now)).exists()
