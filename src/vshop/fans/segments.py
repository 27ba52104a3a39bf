"""Saved segments: a named rule in the condition language (``fans.conditions``) over one shop's
fans, for pushes and exports. Writes here validate the rule and store its count; reads are
scoped by the shop, which the caller got through ``shop_of_owner``."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.errors import NotFound, ValidationFailed
from vshop.fans import conditions
from vshop.fans.models import Segment, ShopFan
from vshop.shops.models import Shop

NAME_MAX = 60


def segment_count(*, shop: Shop, rule: object) -> int:
    """How many of the shop's fans the rule matches: one COUNT (a malformed rule is
    ``ValidationFailed``)."""
    q = conditions.rule_to_q(shop=shop, rule=rule)
    return ShopFan.objects.filter(shop=shop).filter(q).count()


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed(_("Give the segment a name."), field="name")
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("A segment name has %(n)s characters at most.") % {"n": NAME_MAX}, field="name"
        )
    return name


def _name_taken(*, shop: Shop, name: str, exclude_id: int | None = None) -> bool:
    qs = Segment.objects.filter(shop=shop, name=name)
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.exists()


def _duplicate() -> ValidationFailed:
    return ValidationFailed(_("You already have a segment with this name."), field="name")


@transaction.atomic
def segment_create(*, shop: Shop, actor: User, name: object, rule: object) -> Segment:
    """Save a segment with its count now. A duplicate name or a malformed rule is a 400."""
    clean = _clean_name(name)
    normal = conditions.validate_rule(shop=shop, rule=rule)
    if _name_taken(shop=shop, name=clean):
        raise _duplicate()
    count = segment_count(shop=shop, rule=normal)
    try:
        with transaction.atomic():
            return Segment.objects.create(
                shop=shop,
                name=clean,
                rule=normal,
                fan_count=count,
                counted_at=timezone.now(),
                created_by=actor,
            )
    except IntegrityError:  # the same name saved at the same moment
        raise _duplicate() from None


@transaction.atomic
def segment_update(
    *, shop: Shop, segment_id: int, name: object | None = None, rule: object | None = None
) -> Segment:
    """Rename a segment and/or change its rule (then it is counted again)."""
    segment = _locked(shop=shop, segment_id=segment_id)
    if name is not None:
        clean = _clean_name(name)
        if _name_taken(shop=shop, name=clean, exclude_id=segment.pk):
            raise _duplicate()
        segment.name = clean
    if rule is not None:
        segment.rule = conditions.validate_rule(shop=shop, rule=rule)
    segment.fan_count = segment_count(shop=shop, rule=segment.rule)
    segment.counted_at = timezone.now()
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise _duplicate() from None
    return segment


@transaction.atomic
def segment_recount(*, shop: Shop, segment_id: int) -> Segment:
    """Count the segment's fans again and keep the figure."""
    segment = _locked(shop=shop, segment_id=segment_id)
    segment.fan_count = segment_count(shop=shop, rule=segment.rule)
    segment.counted_at = timezone.now()
    segment.save(update_fields=["fan_count", "counted_at", "updated_at"])
    return segment


@transaction.atomic
def segment_delete(*, shop: Shop, segment_id: int) -> None:
    deleted, _counts = Segment.objects.filter(shop=shop, pk=segment_id).delete()
    if not deleted:
        raise NotFound()


def _locked(*, shop: Shop, segment_id: int) -> Segment:
    segment = Segment.objects.select_for_update().filter(shop=shop, pk=segment_id).first()
    if segment is None:
        raise NotFound()
    return segment


# --- reads -----------------------------------------------------------------------------------


def segments_of_shop(*, shop: Shop) -> QuerySet[Segment]:
    return Segment.objects.filter(shop=shop).order_by("name", "pk")


def segment_of_shop(*, shop: Shop, segment_id: int) -> Segment:
    """One of the shop's segments; another shop's is ``NotFound``."""
    segment = Segment.objects.filter(shop=shop, pk=segment_id).first()
    if segment is None:
        raise NotFound()
    return segment


def segment_fans(*, shop: Shop, segment: Segment) -> QuerySet[ShopFan]:
    """The fans a saved segment matches now, for pushes and exports (ordered by id, so that
    a batch job can walk it with ``id__gt``). A rule gone stale (a tag or level it names was
    deleted) is ``ValidationFailed``."""
    if segment.shop_id != shop.pk:
        raise NotFound()
    q = conditions.rule_to_q(shop=shop, rule=segment.rule)
    return ShopFan.objects.filter(shop=shop).filter(q).order_by("pk")
