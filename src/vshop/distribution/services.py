"""What can happen to a shop's promoter programme: the owner sets its terms and per-listing rates,
fans join (or apply) as promoters, the owner approves, rejects or removes them, and operators
resolve the flags raised on suspicious sales.

Commission is a share of the owner's margin in basis points, paid only on completed sales and
never for recruiting. Never more than two levels: level 2 is ``promoter.recruiter`` and nothing
further up the chain, and a recruiter chain never loops back to the promoter.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator
from vshop.distribution.models import (
    MAX_LEVELS,
    WHOLE,
    AttributionModel,
    Flag,
    JoinPolicy,
    ListingCommission,
    Programme,
    Promoter,
    PromoterStatus,
    Touch,
)
from vshop.distribution.selectors import active_promoter, programme_of, promoter_by_code
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.fans import records as fan_records
from vshop.fans.models import FanSource
from vshop.orders import selectors as order_selectors
from vshop.orders.states import OrderStatus
from vshop.shops.models import Listing, Shop, ShopStatus

NOTE_MAX = 300
MIN_DAYS, MAX_DAYS = 1, 90


class TooManyLevels(ValidationFailed):
    code = "too_many_levels"
    default_message = gettext_lazy(
        "VShop pays at most two levels: the promoter who brought the buyer and the one who "
        "recruited her."
    )


class RateAboveMargin(ValidationFailed):
    code = "rate_above_margin"
    default_message = gettext_lazy(
        # xgettext:no-python-format
        "Rate above the margin: the two levels together can be at most 100% of your margin, "
        "so a sale never costs you more than it earns."
    )


class BindingLoop(Conflict):
    code = "binding_loop"
    default_message = gettext_lazy(
        "Binding loop: this promoter was recruited by you (directly or through others), so she "
        "cannot be your recruiter."
    )


class NotAPromoterYet(Conflict):
    code = "promoter_needs_purchase"
    default_message = gettext_lazy(
        "This shop takes promoters after their first purchase: buy something here first, then "
        "come back to join."
    )


# --- the programme ---------------------------------------------------------------------------

PROGRAMME_FIELDS = (
    "is_enabled",
    "join_policy",
    "levels",
    "level1_rate",
    "level2_rate",
    "attribution_model",
    "attribution_days",
)


def _whole_number(value: object, *, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationFailed(_("Enter a whole number."), field=field)
    return value


def _checked_rates(*, level1_rate: object, level2_rate: object, levels: int) -> tuple[int, int]:
    """Rates are basis points of the margin, 0..10000 each and together; level 2 only when the
    shop pays two levels."""
    rates = []
    for field, value in (("level1_rate", level1_rate), ("level2_rate", level2_rate)):
        rate = _whole_number(value, field=field)
        if rate < 0:
            raise ValidationFailed(_("A rate cannot be negative."), field=field)
        if rate > WHOLE:
            raise RateAboveMargin(field=field)
        rates.append(rate)
    rate1, rate2 = rates
    if rate1 + rate2 > WHOLE:
        raise RateAboveMargin(field="level2_rate" if rate2 else "level1_rate")
    if rate2 > 0 and levels < 2:
        raise ValidationFailed(
            _(
                "Level 2 pays the promoter who recruited the promoter who brought the buyer: turn on two levels first, "
                "or set the level 2 rate to 0."
            ),
            field="level2_rate",
        )
    return rate1, rate2


def _checked_levels(value: object) -> int:
    levels = _whole_number(value, field="levels")
    if levels > MAX_LEVELS:
        raise TooManyLevels(field="levels")
    if levels < 1:
        raise ValidationFailed(
            _("Choose one level (the promoter who brought the buyer) or two."), field="levels"
        )
    return levels


def _own_shop(*, owner: User, shop: Shop) -> Shop:
    if shop.owner_id != owner.pk:
        raise NotFound()
    return shop


@transaction.atomic
def programme_update(*, owner: User, shop: Shop, data: Mapping[str, object]) -> Programme:
    """Change the programme's terms; fields left out keep their value. Locks the programme row
    so that two saves do not interleave. Refused input raises and writes nothing."""
    _own_shop(owner=owner, shop=shop)
    unknown = sorted(set(data) - set(PROGRAMME_FIELDS))
    if unknown:
        raise ValidationFailed(
            _("Unknown setting: %(name)s.") % {"name": ", ".join(unknown)}, field=unknown[0]
        )
    Programme.objects.get_or_create(shop=shop)
    programme = Programme.objects.select_for_update().get(shop=shop)
    merged = {f: data.get(f, getattr(programme, f)) for f in PROGRAMME_FIELDS}

    levels = _checked_levels(merged["levels"])
    rate1, rate2 = _checked_rates(
        level1_rate=merged["level1_rate"], level2_rate=merged["level2_rate"], levels=levels
    )
    if merged["join_policy"] not in JoinPolicy.values:
        raise ValidationFailed(
            _("Choose who can become a promoter: %(choices)s.")
            % {"choices": ", ".join(JoinPolicy.values)},
            field="join_policy",
        )
    if merged["attribution_model"] not in AttributionModel.values:
        raise ValidationFailed(
            _("Choose which share link wins: %(choices)s.")
            % {"choices": ", ".join(AttributionModel.values)},
            field="attribution_model",
        )
    days = _whole_number(merged["attribution_days"], field="attribution_days")
    if not MIN_DAYS <= days <= MAX_DAYS:
        raise ValidationFailed(
            _("A share link counts for %(min)d to %(max)d days.")
            % {"min": MIN_DAYS, "max": MAX_DAYS},
            field="attribution_days",
        )
    if not isinstance(merged["is_enabled"], bool):
        raise ValidationFailed(_("Say yes or no."), field="is_enabled")

    programme.is_enabled = merged["is_enabled"]
    programme.join_policy = str(merged["join_policy"])
    programme.levels = levels
    programme.level1_rate = rate1
    programme.level2_rate = rate2
    programme.attribution_model = str(merged["attribution_model"])
    programme.attribution_days = days
    programme.save()
    return programme


# --- rates of one listing --------------------------------------------------------------------


def _own_listing(*, owner: User, listing_id: int) -> Listing:
    listing = (
        Listing.objects.select_related("shop").filter(pk=listing_id, shop__owner=owner).first()
    )
    if listing is None:
        raise NotFound()
    return listing


@transaction.atomic
def listing_commission_set(
    *, owner: User, listing_id: int, level1_rate: object, level2_rate: object = 0
) -> ListingCommission:
    """Give one of her listings its own rates in place of the programme's."""
    listing = _own_listing(owner=owner, listing_id=listing_id)
    programme = programme_of(shop=listing.shop)
    rate1, rate2 = _checked_rates(
        level1_rate=level1_rate, level2_rate=level2_rate, levels=programme.levels
    )
    commission, _created = ListingCommission.objects.update_or_create(
        listing=listing, defaults={"level1_rate": rate1, "level2_rate": rate2}
    )
    return commission


@transaction.atomic
def listing_commission_clear(*, owner: User, listing_id: int) -> None:
    """Back to the programme's rates (clearing twice is fine)."""
    listing = _own_listing(owner=owner, listing_id=listing_id)
    ListingCommission.objects.filter(listing=listing).delete()


# --- becoming a promoter ---------------------------------------------------------------------


def _promoters_link(shop: Shop, status: str = "") -> str:
    link = f"{reverse('distribution:owner_promoters')}?shop={shop.pk}"
    return f"{link}&status={status}" if status else link


def _has_paid_order(*, user: User, shop: Shop) -> bool:
    return (
        order_selectors.orders_of_buyer(buyer=user)
        .filter(shop=shop, paid_at__isnull=False)
        .exclude(status=OrderStatus.CANCELLED)
        .exists()
    )


def _recruiter_from_code(*, shop: Shop, code: str) -> Promoter:
    """The inviting promoter; an invitation that names nobody active here is refused rather
    than silently ignored."""
    promoter = promoter_by_code(shop=shop, code=code)
    if promoter is None:
        raise ValidationFailed(
            _("This invitation is not from a promoter of this shop."), field="recruiter_code"
        )
    return promoter


def _recruiter_from_touch(*, shop: Shop, user: User, days: int, now: datetime) -> Promoter | None:
    """The sharer of her latest visit to this shop through somebody else's link in the window,
    when that sharer is an active promoter of the shop."""
    touch = (
        Touch.objects.filter(user=user, shop=shop, created_at__gte=now - timedelta(days=days))
        .exclude(sharer=user)
        .order_by("-created_at", "-pk")
        .only("sharer_id")
        .first()
    )
    return active_promoter(shop_id=shop.pk, user_id=touch.sharer_id) if touch else None


def _loops_back(recruiter: Promoter, *, user: User) -> bool:
    """Would binding ``recruiter`` make a chain that comes back to ``user``? Walks the whole
    chain (not just two levels): a loop anywhere would make the levels meaningless."""
    seen: set[int] = set()
    current: Promoter | None = recruiter
    while current is not None and current.pk not in seen:
        if current.user_id == user.pk:
            return True
        seen.add(current.pk)
        current = (
            Promoter.objects.filter(pk=current.recruiter_id).first()
            if current.recruiter_id
            else None
        )
    return False


@transaction.atomic
def promoter_join(
    *,
    user: User,
    shop: Shop,
    message: str = "",
    recruiter_code: str | None = None,
    now: datetime | None = None,
) -> Promoter:
    """Become a promoter of ``shop`` as its programme allows: at once (open, or after a first
    purchase) or by application the owner decides on. Joining again returns the role she has;
    after a rejection or a removal she may apply again.

    The promoter who recruited her is bound once: an explicit invitation code, else the sharer
    of her latest share visit to the shop within the attribution window. A binding that would
    loop is refused (explicit code) or not made (a visit: she chose nothing). Locks her role row.
    """
    now = now or timezone.now()
    message = (message or "").strip()
    if len(message) > NOTE_MAX:
        raise ValidationFailed(
            _("Keep it under %(n)d characters.") % {"n": NOTE_MAX}, field="message"
        )
    if shop.owner_id == user.pk:
        raise Conflict(_("You run this shop: you cannot be its promoter."))
    existing = Promoter.objects.select_for_update().filter(shop=shop, user=user).first()
    if existing is not None and existing.status in (PromoterStatus.APPLIED, PromoterStatus.ACTIVE):
        return existing  # a repeated tap: her role as it is
    if shop.status != ShopStatus.ACTIVE:
        raise Conflict(_("This shop is suspended and takes no promoters now."))
    programme = programme_of(shop=shop)
    if not programme.is_enabled:
        raise Conflict(_("This shop is not taking promoters at the moment."))
    if programme.join_policy == JoinPolicy.AFTER_PURCHASE and not _has_paid_order(
        user=user, shop=shop
    ):
        raise NotAPromoterYet()

    recruiter = existing.recruiter if existing is not None else None
    if recruiter is None:
        if recruiter_code:
            recruiter = _recruiter_from_code(shop=shop, code=recruiter_code)
            if _loops_back(recruiter, user=user):
                raise BindingLoop(field="recruiter_code")
        else:
            recruiter = _recruiter_from_touch(
                shop=shop, user=user, days=programme.attribution_days, now=now
            )
            if recruiter is not None and _loops_back(recruiter, user=user):
                recruiter = None

    status = (
        PromoterStatus.APPLIED
        if programme.join_policy == JoinPolicy.APPLICATION
        else PromoterStatus.ACTIVE
    )
    promoter = existing or Promoter(shop=shop, user=user)
    promoter.status = status
    promoter.recruiter = recruiter
    promoter.message = message
    promoter.decision_note = ""
    promoter.applied_at = now
    promoter.joined_at = now if status == PromoterStatus.ACTIVE else None
    try:
        with transaction.atomic():
            promoter.save()
    except IntegrityError:
        # The same join, sent twice at once: the first one made the role; this is a repeat.
        return Promoter.objects.get(shop=shop, user=user)
    fan_records.shop_fan_ensure(shop_id=shop.pk, user=user, source=FanSource.PROMOTER)

    from vshop.messaging.services import notify

    if status == PromoterStatus.APPLIED:
        title = _("%(name)s applied to promote %(shop)s") % {"name": user.name, "shop": shop.name}
        kind = "promoter.applied"
    else:
        title = _("%(name)s is now a promoter of %(shop)s") % {
            "name": user.name,
            "shop": shop.name,
        }
        kind = "promoter.joined"
    notify(
        recipients=[shop.owner],
        kind=kind,
        title=title,
        body=message,
        link=_promoters_link(shop, status),
    )
    return promoter


# --- the owner decides -----------------------------------------------------------------------


def _promoter_of_shop_locked(*, owner: User, shop: Shop, promoter_id: int) -> Promoter:
    _own_shop(owner=owner, shop=shop)
    promoter = (
        Promoter.objects.select_for_update()
        .filter(pk=promoter_id, shop=shop)
        .select_related("user", "shop")
        .first()
    )
    if promoter is None:
        raise NotFound()
    return promoter


def _checked_note(note: str) -> str:
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationFailed(_("Keep it under %(n)d characters.") % {"n": NOTE_MAX}, field="note")
    return note


def _tell_promoter(promoter: Promoter, *, kind: str, title: str, note: str) -> None:
    from vshop.messaging.services import notify

    notify(
        recipients=[promoter.user],
        kind=kind,
        title=title,
        body=note,
        link=reverse("distribution:promoting"),
    )


@transaction.atomic
def promoter_approve(*, owner: User, shop: Shop, promoter_id: int, note: str = "") -> Promoter:
    """An application becomes an active promoter (approving twice changes nothing)."""
    note = _checked_note(note)
    promoter = _promoter_of_shop_locked(owner=owner, shop=shop, promoter_id=promoter_id)
    if promoter.status == PromoterStatus.ACTIVE:
        return promoter
    if promoter.status != PromoterStatus.APPLIED:
        raise Conflict(
            _("Only an application can be approved; this one is “%(status)s”.")
            % {"status": promoter.get_status_display()}
        )
    promoter.status = PromoterStatus.ACTIVE
    promoter.joined_at = timezone.now()
    promoter.decision_note = note
    promoter.save(update_fields=["status", "joined_at", "decision_note"])
    _tell_promoter(
        promoter,
        kind="promoter.approved",
        title=_("You are now a promoter of %(shop)s") % {"shop": shop.name},
        note=note,
    )
    return promoter


@transaction.atomic
def promoter_reject(*, owner: User, shop: Shop, promoter_id: int, note: str = "") -> Promoter:
    """Turn an application down, with a note she reads (rejecting twice changes nothing)."""
    note = _checked_note(note)
    promoter = _promoter_of_shop_locked(owner=owner, shop=shop, promoter_id=promoter_id)
    if promoter.status == PromoterStatus.REJECTED:
        return promoter
    if promoter.status != PromoterStatus.APPLIED:
        raise Conflict(
            _("Only an application can be rejected; to stop an active promoter, remove her.")
        )
    promoter.status = PromoterStatus.REJECTED
    promoter.decision_note = note
    promoter.save(update_fields=["status", "decision_note"])
    _tell_promoter(
        promoter,
        kind="promoter.rejected",
        title=_("Your application to promote %(shop)s was not approved") % {"shop": shop.name},
        note=note,
    )
    return promoter


@transaction.atomic
def promoter_remove(*, owner: User, shop: Shop, promoter_id: int, note: str = "") -> Promoter:
    """Stop an active promoter: new sales through her links pay her nothing. Commission of
    sales already made stays hers (removing twice changes nothing)."""
    note = _checked_note(note)
    promoter = _promoter_of_shop_locked(owner=owner, shop=shop, promoter_id=promoter_id)
    if promoter.status == PromoterStatus.REMOVED:
        return promoter
    if promoter.status != PromoterStatus.ACTIVE:
        raise Conflict(_("Only an active promoter can be removed; reject an application instead."))
    promoter.status = PromoterStatus.REMOVED
    promoter.decision_note = note
    promoter.save(update_fields=["status", "decision_note"])
    _tell_promoter(
        promoter,
        kind="promoter.removed",
        title=_("You are no longer a promoter of %(shop)s") % {"shop": shop.name},
        note=note,
    )
    return promoter


# --- the operator ----------------------------------------------------------------------------


@transaction.atomic
def flag_resolve(*, operator: User, flag_id: int, resolution: str) -> Flag:
    """The operator looked at a flag and says what she decided. Platform staff only."""
    require_operator(operator)
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed(_("Say what you decided."), field="resolution")
    if len(resolution) > NOTE_MAX:
        raise ValidationFailed(
            _("Keep it under %(n)d characters.") % {"n": NOTE_MAX}, field="resolution"
        )
    flag = Flag.objects.select_for_update().filter(pk=flag_id).first()
    if flag is None:
        raise NotFound()
    if flag.resolved_at is not None:
        raise Conflict(_("This flag is already resolved."))
    flag.resolved_at = timezone.now()
    flag.resolved_by = operator
    flag.resolution = resolution
    flag.save(update_fields=["resolved_at", "resolved_by", "resolution"])
    return flag
