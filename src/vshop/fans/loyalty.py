"""A shop's points rules and member levels, and where each fan stands.

The owner sets the rules (``rules_update``) and her levels as a whole (``levels_replace``: at
most ten, unique names, unique thresholds, a higher level never gives a smaller discount, and
never more than 90%). A fan's level follows her total spend or her points earned, whichever
the shop chose: ``level_refresh`` for one fan after she buys, earns or is refunded, and
``levels_refresh`` (a handful of UPDATEs) for the whole shop after the levels or the basis
change. ``level_progress`` says how far she is from the next one.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vshop.accounts.models import User
from vshop.errors import NotFound, ValidationFailed
from vshop.fans.models import LevelBasis, LoyaltyRules, MemberLevel, PointsEntry, ShopFan
from vshop.shops.models import Shop
from vshop.validation import clean_text

MAX_LEVELS = 10
MAX_DISCOUNT = 90
MAX_THRESHOLD = 10**12


class LevelsInvalid(ValidationFailed):
    code = "levels_invalid"


class LevelOverlap(LevelsInvalid):
    code = "level_overlap"
    default_message = _("Two levels start at the same threshold: give each level its own.")


# --- the rules -------------------------------------------------------------------------------

RULE_LIMITS: dict[str, tuple[int, int]] = {
    "points_per_yuan": (0, 1000),
    "checkin_points": (0, 10_000),
    "review_points": (0, 10_000),
    "points_per_yuan_off": (1, 1_000_000),
    "max_points_percent": (0, 100),
    "points_expire_days": (0, 3650),
}
RULE_FIELDS = ("points_enabled", *RULE_LIMITS, "level_basis")


def _whole(value: object, *, field: str, lo: int, hi: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not lo <= value <= hi:
        raise ValidationFailed(
            _("Enter a whole number from %(lo)s to %(hi)s.") % {"lo": lo, "hi": hi}, field=field
        )
    return value


def _own(owner: User, shop: Shop) -> None:
    if shop.owner_id != owner.pk:
        raise NotFound()


def rules_of(*, shop: Shop) -> LoyaltyRules | None:
    """The shop's rules; None when she never turned points and levels on."""
    return LoyaltyRules.objects.filter(shop=shop).first()


def rules_or_defaults(*, shop: Shop) -> LoyaltyRules:
    return rules_of(shop=shop) or LoyaltyRules(shop=shop, points_enabled=False)


@transaction.atomic
def rules_update(*, owner: User, shop: Shop, data: Mapping[str, object]) -> LoyaltyRules:
    """Set the shop's points and levels rules (fields left out keep their value). A new level
    basis moves every fan to the level of her figure on that basis."""
    _own(owner, shop)
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(_("Unknown setting."), field=sorted(unknown)[0])
    cleaned: dict[str, object] = {}
    for name, value in data.items():
        if name == "points_enabled":
            if not isinstance(value, bool):
                raise ValidationFailed(_("Choose yes or no."), field=name)
            cleaned[name] = value
        elif name == "level_basis":
            if value not in LevelBasis.values:
                raise ValidationFailed(_("Choose total spend or points earned."), field=name)
            cleaned[name] = value
        else:
            lo, hi = RULE_LIMITS[name]
            cleaned[name] = _whole(value, field=name, lo=lo, hi=hi)
    rules = LoyaltyRules.objects.select_for_update().filter(shop=shop).first()
    old_basis = rules.level_basis if rules else None
    if rules is None:
        rules = LoyaltyRules(shop=shop)
    for name, value in cleaned.items():
        setattr(rules, name, value)
    rules.save()
    if rules.level_basis != old_basis:
        levels_refresh(shop_id=shop.pk)
    return rules


# --- levels ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LevelInput:
    name: str
    threshold: int
    discount_percent: int = 0
    id: int | None = None


def levels_of(*, shop_id: int) -> list[MemberLevel]:
    return list(MemberLevel.objects.filter(shop_id=shop_id).order_by("threshold"))


def _checked_levels(levels: Sequence[LevelInput]) -> list[LevelInput]:
    if len(levels) > MAX_LEVELS:
        raise LevelsInvalid(
            _("A shop has at most %(n)s levels.") % {"n": MAX_LEVELS}, field="levels"
        )
    cleaned = []
    for i, level in enumerate(levels):
        name = clean_text(level.name, field=f"levels.{i}.name", max_length=30, required=True)
        threshold = _whole(level.threshold, field=f"levels.{i}.threshold", lo=0, hi=MAX_THRESHOLD)
        discount = level.discount_percent
        if not isinstance(discount, int) or isinstance(discount, bool) or discount < 0:
            raise LevelsInvalid(
                _("A discount is a whole percent from 0 to 90."),
                field=f"levels.{i}.discount_percent",
            )
        if discount > MAX_DISCOUNT:
            raise LevelsInvalid(
                _("A level's discount can be at most 90%."), field=f"levels.{i}.discount_percent"
            )
        cleaned.append(
            LevelInput(name=name, threshold=threshold, discount_percent=discount, id=level.id)
        )
    names = [x.name.casefold() for x in cleaned]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise LevelsInvalid(
                _("Two levels are called “%(name)s”: give each its own name.")
                % {"name": cleaned[i].name},
                field=f"levels.{i}.name",
            )
    ids = [x.id for x in cleaned if x.id is not None]
    if len(ids) != len(set(ids)):
        raise LevelsInvalid(_("The same level is listed twice."), field="levels")
    ordered = sorted(cleaned, key=lambda x: x.threshold)
    for lower, higher in itertools.pairwise(ordered):
        if lower.threshold == higher.threshold:
            raise LevelOverlap(
                _("“%(a)s” and “%(b)s” start at the same threshold: levels cannot overlap.")
                % {"a": lower.name, "b": higher.name},
                field="levels",
            )
        if higher.discount_percent < lower.discount_percent:
            raise LevelsInvalid(
                _("“%(higher)s” is a higher level than “%(lower)s” but gives a smaller discount.")
                % {"higher": higher.name, "lower": lower.name},
                field="levels",
            )
    return ordered


@transaction.atomic
def levels_replace(*, owner: User, shop: Shop, levels: Sequence[LevelInput]) -> list[MemberLevel]:
    """Replace the shop's levels with ``levels``, checked as a whole (nothing is written if any
    is wrong). A level sent with its ``id`` keeps its fans; levels left out are deleted. Then
    every fan moves to the level her figure reaches."""
    _own(owner, shop)
    wanted = _checked_levels(levels)
    # Lock the shop's rules row (made if missing, off) so two editors take turns.
    LoyaltyRules.objects.get_or_create(shop=shop, defaults={"points_enabled": False})
    LoyaltyRules.objects.select_for_update().filter(shop=shop).first()
    existing = {x.pk: x for x in MemberLevel.objects.select_for_update().filter(shop=shop)}
    for x in wanted:
        if x.id is not None and x.id not in existing:
            raise NotFound(_("No such level in your shop."), field="levels")
    kept = {x.id for x in wanted if x.id is not None}
    MemberLevel.objects.filter(shop=shop).exclude(pk__in=kept).delete()
    # Move the kept ones out of the way first: the new thresholds and names are unique in the
    # end, not necessarily in every intermediate state.
    for pk in kept:
        MemberLevel.objects.filter(pk=pk).update(
            threshold=MAX_THRESHOLD + 1 + pk, name=f"~{pk}"[:30]
        )
    result = []
    for x in wanted:
        if x.id is not None:
            MemberLevel.objects.filter(pk=x.id).update(
                name=x.name, threshold=x.threshold, discount_percent=x.discount_percent
            )
            level = existing[x.id]
            level.name, level.threshold, level.discount_percent = (
                x.name,
                x.threshold,
                x.discount_percent,
            )
        else:
            level = MemberLevel.objects.create(
                shop=shop, name=x.name, threshold=x.threshold, discount_percent=x.discount_percent
            )
        result.append(level)
    levels_refresh(shop_id=shop.pk)
    return result


def _basis_field(rules: LoyaltyRules | None) -> str:
    basis = rules.level_basis if rules else LevelBasis.SPEND
    return "points_earned" if basis == LevelBasis.POINTS else "total_spend"


def fan_value(fan: ShopFan, rules: LoyaltyRules | None) -> int:
    """Her figure on the shop's level basis: spend in fen, or points earned."""
    return int(getattr(fan, _basis_field(rules)))


def level_reached(value: int, levels: Sequence[MemberLevel]) -> MemberLevel | None:
    """The highest level whose threshold ``value`` reaches (``levels`` by threshold)."""
    reached = None
    for level in levels:
        if value >= level.threshold:
            reached = level
    return reached


def levels_refresh(*, shop_id: int) -> int:
    """Every fan of the shop to the level her figure reaches: one UPDATE per level band.
    Returns the number of fans whose level changed."""
    rules = LoyaltyRules.objects.filter(shop_id=shop_id).first()
    field = _basis_field(rules)
    levels = levels_of(shop_id=shop_id)
    fans = ShopFan.objects.filter(shop_id=shop_id)
    changed = 0
    lowest = levels[0].threshold if levels else None
    below = fans if lowest is None else fans.filter(**{f"{field}__lt": lowest})
    changed += below.exclude(level__isnull=True).update(level=None)
    for i, level in enumerate(levels):
        band = fans.filter(**{f"{field}__gte": level.threshold})
        if i + 1 < len(levels):
            band = band.filter(**{f"{field}__lt": levels[i + 1].threshold})
        changed += band.exclude(level=level).update(level=level)  # NULLs included
    return changed


def level_refresh(*, fan: ShopFan) -> MemberLevel | None:
    """Her level from her current figure (up after buying or earning, down after a refund)."""
    rules = LoyaltyRules.objects.filter(shop_id=fan.shop_id).first()
    fresh = ShopFan.objects.filter(pk=fan.pk).values("total_spend", "points_earned").first()
    if fresh is None:
        return None
    fan.total_spend, fan.points_earned = fresh["total_spend"], fresh["points_earned"]
    level = level_reached(fan_value(fan, rules), levels_of(shop_id=fan.shop_id))
    new_id = level.pk if level else None
    if new_id != fan.level_id:
        ShopFan.objects.filter(pk=fan.pk).update(level=level)
        fan.level = level
    return level


@dataclass(frozen=True)
class LevelProgress:
    """Where a fan stands: her level, the next one, her figure, what is left to reach it and
    how far she is between the two (0–100)."""

    basis: str
    value: int
    level: MemberLevel | None
    next_level: MemberLevel | None
    remaining: int
    percent: int

    @property
    def basis_label(self) -> str:
        return str(LevelBasis(self.basis).label)

    @property
    def discount_percent(self) -> int:
        return self.level.discount_percent if self.level else 0


def level_progress(*, fan: ShopFan) -> LevelProgress:
    """Her level and how far the next one is (two queries: the rules and the levels)."""
    rules = LoyaltyRules.objects.filter(shop_id=fan.shop_id).first()
    levels = levels_of(shop_id=fan.shop_id)
    value = fan_value(fan, rules)
    level = level_reached(value, levels)
    higher = [x for x in levels if x.threshold > value]
    nxt = higher[0] if higher else None
    if nxt is None:
        return LevelProgress(
            basis=rules.level_basis if rules else LevelBasis.SPEND,
            value=value,
            level=level,
            next_level=None,
            remaining=0,
            percent=100 if level else 0,
        )
    start = level.threshold if level else 0
    span = nxt.threshold - start
    percent = min(max((value - start) * 100 // span, 0), 99) if span > 0 else 0
    return LevelProgress(
        basis=rules.level_basis if rules else LevelBasis.SPEND,
        value=value,
        level=level,
        next_level=nxt,
        remaining=nxt.threshold - value,
        percent=percent,
    )


# --- her membership, as the fan sees it ------------------------------------------------------


def entry_out(entry: PointsEntry) -> dict[str, Any]:
    return {
        "kind": entry.kind,
        "kind_label": entry.get_kind_display(),
        "delta": entry.delta,
        "balance_after": entry.balance_after,
        "memo": entry.memo,
        "order_number": entry.order.number if entry.order_id and entry.order else None,
        "expires_at": entry.expires_at,
        "created_at": entry.created_at,
    }


def _level_brief(level: MemberLevel | None) -> dict[str, Any] | None:
    if level is None:
        return None
    return {
        "id": level.pk,
        "name": level.name,
        "threshold": level.threshold,
        "discount_percent": level.discount_percent,
    }


def membership_of(*, user: User, shop: Shop) -> dict[str, Any]:
    """Her standing in the shop (the API's and the page's shape): level, progress, points and her latest entries (her own only:
    it is read through her account, never an id she sends)."""
    from vshop.fans.points import points_checked_in_today

    rules = rules_of(shop=shop)
    fan = ShopFan.objects.filter(shop=shop, user=user).first()
    record = fan or ShopFan(shop=shop, user=user)
    progress = level_progress(fan=record)
    entries = (
        [
            entry_out(e)
            for e in PointsEntry.objects.filter(fan=fan)
            .select_related("order")
            .order_by("-created_at", "-pk")[:20]
        ]
        if fan
        else []
    )
    return {
        "shop_slug": shop.slug,
        "is_member": fan is not None,
        "points_enabled": bool(rules and rules.points_enabled),
        "points": record.points,
        "points_earned": record.points_earned,
        "level": _level_brief(progress.level),
        "next_level": _level_brief(progress.next_level),
        "basis": progress.basis,
        "value": progress.value,
        "remaining": progress.remaining,
        "percent": progress.percent,
        "checked_in_today": bool(fan and points_checked_in_today(fan=fan)),
        "checkin_points": rules.checkin_points if rules and rules.points_enabled else 0,
        "points_per_yuan_off": rules.points_per_yuan_off if rules else 100,
        "entries": entries,
    }
