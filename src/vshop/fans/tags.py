"""A shop's tags: manual ones the owner puts on fans herself, and automatic ones with a rule in
the condition language (``fans.conditions``) that ``scoring.auto_tags_evaluate`` keeps on
exactly the fans it matches (after every save, and hourly)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from vshop.errors import NotFound, ValidationFailed
from vshop.fans import conditions
from vshop.fans.models import FanTag, Tag
from vshop.shops.models import Shop

NAME_MAX = 30
#: Sent as ``rule`` to turn an automatic tag back into a manual one.
MANUAL = object()


def _clean_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValidationFailed(_("Give the tag a name."), field="name")
    name = " ".join(name.split())
    if len(name) > NAME_MAX:
        raise ValidationFailed(
            _("A tag has %(n)s characters at most.") % {"n": NAME_MAX}, field="name"
        )
    return name


def _duplicate() -> ValidationFailed:
    return ValidationFailed(_("You already have a tag with this name."), field="name")


def _mentions_tag(rule: dict[str, Any], tag_id: int) -> bool:
    for c in rule.get("conditions", []):
        if "conditions" in c:
            if _mentions_tag(c, tag_id):
                return True
        elif c["field"] == "tag" and tag_id in c["value"]:
            return True
    return False


def _clean_rule(*, shop: Shop, rule: object, tag_id: int | None) -> dict[str, Any]:
    normal = conditions.validate_rule(shop=shop, rule=rule)
    if not normal["conditions"]:
        raise ValidationFailed(_("An automatic tag needs at least one condition."), field="rule")
    if tag_id is not None and _mentions_tag(normal, tag_id):
        raise ValidationFailed(_("A tag's rule cannot depend on the tag itself."), field="rule")
    return normal


def _evaluate_on_commit(tag: Tag) -> None:
    from vshop.fans import scoring

    shop_id, tag_id = tag.shop_id, tag.pk
    transaction.on_commit(lambda: scoring.auto_tags_evaluate(shop_id=shop_id, tag_id=tag_id))


@transaction.atomic
def tag_create(*, shop: Shop, name: object, rule: object | None = None) -> Tag:
    """A manual tag, or an automatic one when ``rule`` is given (evaluated once committed)."""
    clean = _clean_name(name)
    normal = _clean_rule(shop=shop, rule=rule, tag_id=None) if rule is not None else None
    if Tag.objects.filter(shop=shop, name=clean).exists():
        raise _duplicate()
    try:
        with transaction.atomic():
            tag = Tag.objects.create(shop=shop, name=clean, rule=normal)
    except IntegrityError:
        raise _duplicate() from None
    if normal is not None:
        _evaluate_on_commit(tag)
    return tag


@transaction.atomic
def tag_update(
    *, shop: Shop, tag_id: int, name: object | None = None, rule: object | None = None
) -> Tag:
    """Rename a tag and/or change its rule. ``rule=None`` leaves the rule alone; ``MANUAL``
    makes the tag manual, and the fans it was on keep it (as manual links)."""
    tag = Tag.objects.select_for_update().filter(shop=shop, pk=tag_id).first()
    if tag is None:
        raise NotFound()
    if name is not None:
        clean = _clean_name(name)
        if Tag.objects.filter(shop=shop, name=clean).exclude(pk=tag.pk).exists():
            raise _duplicate()
        tag.name = clean
    if rule is MANUAL:
        if tag.rule is not None:
            FanTag.objects.filter(tag=tag, by_rule=True).update(by_rule=False)
        tag.rule = None
    elif rule is not None:
        tag.rule = _clean_rule(shop=shop, rule=rule, tag_id=tag.pk)
        _evaluate_on_commit(tag)
    try:
        with transaction.atomic():
            tag.save()
    except IntegrityError:
        raise _duplicate() from None
    return tag


@transaction.atomic
def tag_delete(*, shop: Shop, tag_id: int) -> None:
    """Delete the tag and its links to fans. Segments or tag rules that name it stop counting
    until they are edited (they answer with a clear error)."""
    tag = Tag.objects.filter(shop=shop, pk=tag_id).first()
    if tag is None:
        raise NotFound()
    FanTag.objects.filter(tag=tag).delete()
    tag.delete()


# --- reads -----------------------------------------------------------------------------------


def tags_of_shop(*, shop: Shop) -> QuerySet[Tag]:
    """The shop's tags with how many fans carry each (``fan_total``, ``rule_total``)."""
    return (
        Tag.objects.filter(shop=shop)
        .annotate(
            fan_total=Count("fan_links"),
            rule_total=Count("fan_links", filter=Q(fan_links__by_rule=True)),
        )
        .order_by("name", "pk")
    )


def tag_of_shop(*, shop: Shop, tag_id: int) -> Tag:
    tag = tags_of_shop(shop=shop).filter(pk=tag_id).first()
    if tag is None:
        raise NotFound()
    return tag
