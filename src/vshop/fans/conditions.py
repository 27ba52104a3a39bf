"""The one condition language of the fan CRM: saved segments and automatic tags both say "which
fans" with it. A rule is JSON, conditions combined with AND/OR, groups nested up to 3 deep::

    {"op": "and", "conditions": [
        {"field": "spend_in_days", "days": 90, "op": "gte", "value": 50000},
        {"op": "or", "conditions": [
            {"field": "bought_category", "op": "any", "value": [3]},
            {"field": "last_visit_at", "op": "not_within_days", "value": 30}]}]}

``validate_rule`` checks a rule against one shop (every id must be hers) and returns its
normalised form; ``rule_to_q`` turns it into a ``Q`` over ``ShopFan``; ``describe_rule`` into a
sentence. A top level with no conditions matches every fan of the shop.

Fields and their operators:

- ``followed_at``, ``last_visit_at``, ``last_order_at``: ``within_days`` N (in the last N
  days), ``not_within_days`` N (not in the last N days, never included), ``never``.
- ``order_count``, ``total_spend`` (fen), ``points``: ``gte``, ``lte``, ``eq`` a number;
  ``between`` ``[low, high]`` (both included).
- ``spend_in_days`` (fen, paid orders of this shop in the last ``days`` days less their
  refunds): ``gte``, ``lte``, ``eq``, ``between``, with ``"days": N``.
- ``level`` (member level ids), ``rfm_group``, ``city``, ``source_channel``, ``source``:
  ``in`` / ``not_in`` a list.
- ``tag`` (tag ids), ``bought_category`` (catalogue category ids; a paid, not refunded order of
  this shop with a line of that category): ``any`` / ``none`` of a list.
- ``is_follower``, ``contactable``: ``is`` true or false.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vshop.errors import ValidationFailed
from vshop.fans.models import FanSource, FanTag, MemberLevel, RfmGroup, Tag
from vshop.orders.states import OrderStatus
from vshop.shops.models import Shop

MAX_DEPTH = 3
MAX_CONDITIONS = 20
MAX_LIST = 50
MAX_DAYS = 3650
MAX_NUMBER = 10**12  # fen: ¥10 billion is more than any fan spends

DATE_FIELDS = ("followed_at", "last_visit_at", "last_order_at")
NUMBER_FIELDS = ("order_count", "total_spend", "points")
BOOL_FIELDS = ("is_follower", "contactable")
CHOICE_FIELDS = ("rfm_group", "source")
TEXT_FIELDS = ("city", "source_channel")
ID_FIELDS = ("level", "tag", "bought_category")
FIELDS = (
    *DATE_FIELDS,
    *NUMBER_FIELDS,
    "spend_in_days",
    "level",
    "tag",
    "rfm_group",
    "city",
    "source_channel",
    "source",
    *BOOL_FIELDS,
    "bought_category",
)
MONEY_FIELDS = ("total_spend", "spend_in_days")

DATE_OPS = ("within_days", "not_within_days", "never")
NUMBER_OPS = ("gte", "lte", "eq", "between")
IN_OPS = ("in", "not_in")
ANY_OPS = ("any", "none")

OPS: dict[str, tuple[str, ...]] = {
    **{f: DATE_OPS for f in DATE_FIELDS},
    **{f: NUMBER_OPS for f in (*NUMBER_FIELDS, "spend_in_days")},
    **{f: IN_OPS for f in ("level", *CHOICE_FIELDS, *TEXT_FIELDS)},
    "tag": ANY_OPS,
    "bought_category": ANY_OPS,
    **{f: ("is",) for f in BOOL_FIELDS},
}

FIELD_LABELS = {
    "followed_at": gettext_lazy("followed the shop"),
    "last_visit_at": gettext_lazy("last visit"),
    "last_order_at": gettext_lazy("last order"),
    "order_count": gettext_lazy("orders"),
    "total_spend": gettext_lazy("total spend"),
    "points": gettext_lazy("points"),
    "spend_in_days": gettext_lazy("spend in the last days"),
    "level": gettext_lazy("member level"),
    "tag": gettext_lazy("tags"),
    "rfm_group": gettext_lazy("RFM group"),
    "city": gettext_lazy("city"),
    "source_channel": gettext_lazy("source channel"),
    "source": gettext_lazy("how she came"),
    "is_follower": gettext_lazy("follows the shop"),
    "contactable": gettext_lazy("may be contacted"),
    "bought_category": gettext_lazy("bought from category"),
}

OP_LABELS = {
    "within_days": gettext_lazy("in the last N days"),
    "not_within_days": gettext_lazy("not in the last N days (or never)"),
    "never": gettext_lazy("never"),
    "gte": gettext_lazy("at least"),
    "lte": gettext_lazy("at most"),
    "eq": gettext_lazy("exactly"),
    "between": gettext_lazy("between"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "any": gettext_lazy("has any of"),
    "none": gettext_lazy("has none of"),
    "is": gettext_lazy("is"),
}

#: Order states that mean the sale did not (or no longer) happen.
UNDONE = (OrderStatus.PENDING_PAYMENT, OrderStatus.CANCELLED, OrderStatus.REFUNDED)
_TEXT_MAX = {"city": 20, "source_channel": 10}
_CHOICES = {"rfm_group": set(RfmGroup.values), "source": set(FanSource.values)}


class _Fail(Exception):
    """Internal: a problem at one place of the rule, turned into ``ValidationFailed``."""


# --- validation ------------------------------------------------------------------------------


def validate_rule(*, shop: Shop, rule: object) -> dict[str, Any]:
    """The normalised rule, or ``ValidationFailed`` naming the bad part ("condition 2: unknown
    field 'foo'"). A single condition is accepted as a rule of one condition. Every tag, level
    and category id must exist, and tags and levels must be this shop's."""
    if isinstance(rule, dict) and "field" in rule and "conditions" not in rule:
        rule = {"op": "and", "conditions": [rule]}
    counter = [0]
    refs: dict[str, set[int]] = {"level": set(), "tag": set(), "bought_category": set()}
    try:
        normal = _group(rule, path="", depth=1, counter=counter, refs=refs)
    except _Fail as exc:
        raise ValidationFailed(str(exc), field="rule") from None
    _check_refs(shop=shop, refs=refs)
    return normal


def _where(path: str) -> str:
    return _("condition %(path)s") % {"path": path} if path else _("the rule")


def _group(
    node: object, *, path: str, depth: int, counter: list[int], refs: dict[str, set[int]]
) -> dict[str, Any]:
    if depth > MAX_DEPTH:
        raise _Fail(
            _("%(where)s: groups may be nested %(n)s deep at most")
            % {"where": _where(path), "n": MAX_DEPTH}
        )
    if not isinstance(node, dict):
        raise _Fail(_("%(where)s: must be an object") % {"where": _where(path)})
    unknown = set(node) - {"op", "conditions"}
    if unknown:
        raise _Fail(
            _("%(where)s: unknown key '%(key)s'")
            % {"where": _where(path), "key": sorted(map(str, unknown))[0]}
        )
    op = node.get("op", "and")
    if op not in ("and", "or"):
        raise _Fail(
            _("%(where)s: combine with 'and' or 'or', not '%(op)s'")
            % {"where": _where(path), "op": str(op)[:20]}
        )
    children = node.get("conditions")
    if not isinstance(children, list):
        raise _Fail(_("%(where)s: 'conditions' must be a list") % {"where": _where(path)})
    if not children and depth > 1:
        raise _Fail(_("%(where)s: an empty group") % {"where": _where(path)})
    out = []
    for i, child in enumerate(children, start=1):
        child_path = f"{path}.{i}" if path else str(i)
        if isinstance(child, dict) and "conditions" in child:
            out.append(_group(child, path=child_path, depth=depth + 1, counter=counter, refs=refs))
        else:
            counter[0] += 1
            if counter[0] > MAX_CONDITIONS:
                raise _Fail(_("a rule may have %(n)s conditions at most") % {"n": MAX_CONDITIONS})
            out.append(_condition(child, path=child_path, refs=refs))
    return {"op": op, "conditions": out}


def _int(value: object, where: str, *, low: int = 0, high: int = MAX_NUMBER) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Fail(_("%(where)s: the value must be a whole number") % {"where": where})
    if not low <= value <= high:
        raise _Fail(
            _("%(where)s: the value must be from %(low)s to %(high)s")
            % {"where": where, "low": low, "high": high}
        )
    return value


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list) or not value:
        raise _Fail(_("%(where)s: the value must be a non-empty list") % {"where": where})
    if len(value) > MAX_LIST:
        raise _Fail(_("%(where)s: a list of %(n)s items at most") % {"where": where, "n": MAX_LIST})
    return value


def _condition(node: object, *, path: str, refs: dict[str, set[int]]) -> dict[str, Any]:
    where = _where(path)
    if not isinstance(node, dict):
        raise _Fail(_("%(where)s: must be an object") % {"where": where})
    field = node.get("field")
    if not isinstance(field, str) or field not in OPS:
        raise _Fail(
            _("%(where)s: unknown field '%(field)s'") % {"where": where, "field": str(field)[:40]}
        )
    allowed = (
        {"field", "op", "value", "days"} if field == "spend_in_days" else {"field", "op", "value"}
    )
    unknown = set(node) - allowed
    if unknown:
        raise _Fail(
            _("%(where)s: unknown key '%(key)s'")
            % {"where": where, "key": sorted(map(str, unknown))[0]}
        )
    op = node.get("op")
    if op not in OPS[field]:
        raise _Fail(
            _("%(where)s: unknown operator '%(op)s' for %(field)s (use %(ops)s)")
            % {"where": where, "op": str(op)[:20], "field": field, "ops": ", ".join(OPS[field])}
        )
    value = node.get("value")
    out: dict[str, Any] = {"field": field, "op": op}
    if field in DATE_FIELDS:
        if op == "never":
            if value is not None:
                raise _Fail(_("%(where)s: 'never' takes no value") % {"where": where})
            out["value"] = None
        else:
            out["value"] = _int(value, where, low=1, high=MAX_DAYS)
    elif op in NUMBER_OPS:
        if op == "between":
            if not isinstance(value, list) or len(value) != 2:
                raise _Fail(
                    _("%(where)s: 'between' takes two numbers, [low, high]") % {"where": where}
                )
            low, high = _int(value[0], where), _int(value[1], where)
            if low > high:
                raise _Fail(_("%(where)s: the low end is above the high end") % {"where": where})
            out["value"] = [low, high]
        else:
            out["value"] = _int(value, where)
        if field == "spend_in_days":
            out["days"] = _int(node.get("days"), where, low=1, high=MAX_DAYS)
    elif field in BOOL_FIELDS:
        if not isinstance(value, bool):
            raise _Fail(_("%(where)s: the value must be true or false") % {"where": where})
        out["value"] = value
    elif field in ID_FIELDS:
        ids = sorted({_int(v, where, low=1, high=2**63 - 1) for v in _list(value, where)})
        refs[field].update(ids)
        out["value"] = ids
    else:
        texts = []
        for v in _list(value, where):
            if not isinstance(v, str):
                raise _Fail(_("%(where)s: the values must be text") % {"where": where})
            v = v.strip()
            if field in _CHOICES and v not in _CHOICES[field]:
                raise _Fail(
                    _("%(where)s: '%(value)s' is not one of %(choices)s")
                    % {
                        "where": where,
                        "value": v[:30],
                        "choices": ", ".join(sorted(_CHOICES[field])),
                    }
                )
            if field in _TEXT_MAX and not 0 < len(v) <= _TEXT_MAX[field]:
                raise _Fail(
                    _("%(where)s: each value must be 1 to %(n)s characters")
                    % {"where": where, "n": _TEXT_MAX[field]}
                )
            texts.append(v)
        out["value"] = sorted(set(texts))
    return out


def _check_refs(*, shop: Shop, refs: dict[str, set[int]]) -> None:
    from vshop.catalog.models import Category

    checks = (
        ("tag", Tag.objects.filter(shop=shop), _("tag %(id)s is not one of your tags")),
        (
            "level",
            MemberLevel.objects.filter(shop=shop),
            _("member level %(id)s is not one of your levels"),
        ),
        ("bought_category", Category.objects.all(), _("there is no category %(id)s")),
    )
    for field, qs, message in checks:
        wanted = refs[field]
        if not wanted:
            continue
        found = set(qs.filter(pk__in=wanted).values_list("pk", flat=True))
        missing = sorted(wanted - found)
        if missing:
            raise ValidationFailed(message % {"id": missing[0]}, field="rule")


# --- the query -------------------------------------------------------------------------------


def rule_to_q(*, shop: Shop, rule: object) -> Q:
    """Validate the rule, then build a ``Q`` over ``ShopFan``. It does not include the shop:
    filter ``ShopFan.objects.filter(shop=shop)`` with it."""
    normal = validate_rule(shop=shop, rule=rule)
    return _group_q(normal, shop=shop, now=timezone.now())


def _group_q(group: dict[str, Any], *, shop: Shop, now: Any) -> Q:
    parts = [
        _group_q(c, shop=shop, now=now) if "conditions" in c else _cond_q(c, shop=shop, now=now)
        for c in group["conditions"]
    ]
    if not parts:
        return Q()
    q = parts[0]
    for part in parts[1:]:
        q = (q | part) if group["op"] == "or" else (q & part)
    return q


def _number_q(column: str, op: str, value: Any) -> Q:
    if op == "between":
        return Q(**{f"{column}__gte": value[0], f"{column}__lte": value[1]})
    lookup = {"gte": "gte", "lte": "lte", "eq": "exact"}[op]
    return Q(**{f"{column}__{lookup}": value})


def _paid_orders(shop: Shop) -> Any:
    """This shop's orders that were paid and are not wholly undone (cancelled or refunded)."""
    from vshop.orders.models import Order

    return Order.objects.filter(shop=shop, paid_at__isnull=False).exclude(status__in=UNDONE)


def _cond_q(cond: dict[str, Any], *, shop: Shop, now: Any) -> Q:
    field, op, value = cond["field"], cond["op"], cond["value"]
    if field in DATE_FIELDS:
        if op == "never":
            return Q(**{f"{field}__isnull": True})
        since = now - timedelta(days=value)
        if op == "within_days":
            return Q(**{f"{field}__gte": since})
        return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": since})
    if field in NUMBER_FIELDS:
        return _number_q(field, op, value)
    if field in BOOL_FIELDS:
        return Q(**{field: value})
    if field == "spend_in_days":
        return _spend_q(shop=shop, op=op, value=value, since=now - timedelta(days=cond["days"]))
    if field == "tag":
        has = Exists(FanTag.objects.filter(fan=OuterRef("pk"), tag_id__in=value))
        return Q(has) if op == "any" else ~Q(has)
    if field == "bought_category":
        from vshop.orders.models import OrderLine

        bought = Exists(
            OrderLine.objects.filter(
                order__shop=shop,
                order__paid_at__isnull=False,
                order__buyer_id=OuterRef("user_id"),
                sku__product__category_id__in=value,
            ).exclude(order__status__in=UNDONE)
        )
        return Q(bought) if op == "any" else ~Q(bought)
    column = "level_id" if field == "level" else field
    q = Q(**{f"{column}__in": value})
    return q if op == "in" else ~q


def _spend_q(*, shop: Shop, op: str, value: Any, since: Any) -> Q:
    """Spend of each buyer over the shop's paid orders since ``since``, less refunds: one
    aggregate over the shop's orders, compared with the bounds. A fan without an order there
    (or without an account) spent 0."""
    if op == "between":
        low, high = value
    elif op == "gte":
        low, high = value, None
    elif op == "lte":
        low, high = 0, value
    else:
        low, high = value, value
    spend = (
        _paid_orders(shop)
        .filter(paid_at__gte=since, buyer__isnull=False)
        .values("buyer_id")
        .annotate(spent=Sum(F("total") - F("refunded_total")))
    )
    if low > 0:
        inside = spend.filter(spent__gte=low)
        if high is not None:
            inside = inside.filter(spent__lte=high)
        return Q(user_id__in=inside.values("buyer_id"))
    # 0 is inside the bounds: everybody but the buyers who spent more than the high end.
    if high is None:
        return Q()
    return ~Q(user_id__in=spend.filter(spent__gt=high).values("buyer_id"))


# --- for people ------------------------------------------------------------------------------


def describe_rule(rule: object) -> str:
    """The rule as a sentence ("Spent at least ¥500.00 in the last 90 days and bought from Baby").
    It expects a valid rule; names of tags, levels and categories are looked up."""
    if not isinstance(rule, dict) or not rule.get("conditions"):
        return _("All fans")
    names = _names(rule)
    text = _describe_group(rule, names, top=True)
    return text[:1].upper() + text[1:]


def _collect(node: dict[str, Any], refs: dict[str, set[int]]) -> None:
    for c in node.get("conditions", []):
        if "conditions" in c:
            _collect(c, refs)
        elif c.get("field") in ID_FIELDS:
            refs[c["field"]].update(c.get("value") or [])


def _names(rule: dict[str, Any]) -> dict[str, dict[int, str]]:
    from vshop.catalog.models import Category

    refs: dict[str, set[int]] = {"level": set(), "tag": set(), "bought_category": set()}
    _collect(rule, refs)
    names: dict[str, dict[int, str]] = {"level": {}, "tag": {}, "bought_category": {}}
    if refs["tag"]:
        names["tag"] = dict(Tag.objects.filter(pk__in=refs["tag"]).values_list("pk", "name"))
    if refs["level"]:
        names["level"] = dict(
            MemberLevel.objects.filter(pk__in=refs["level"]).values_list("pk", "name")
        )
    if refs["bought_category"]:
        names["bought_category"] = {
            c.pk: c.name for c in Category.objects.filter(pk__in=refs["bought_category"])
        }
    return names


def _describe_group(group: dict[str, Any], names: dict[str, dict[int, str]], *, top: bool) -> str:
    joiner = _(" and ") if group.get("op", "and") == "and" else _(" or ")
    parts = [
        _describe_group(c, names, top=False) if "conditions" in c else _describe(c, names)
        for c in group.get("conditions", [])
    ]
    text = joiner.join(parts)
    return text if top or len(parts) < 2 else f"({text})"


def _money(fen: int) -> str:
    from vshop.money import format_money

    return format_money(fen, "CNY")


def _describe(cond: dict[str, Any], names: dict[str, dict[int, str]]) -> str:
    field, op = cond.get("field", ""), cond.get("op", "")
    value: Any = cond.get("value")
    label = str(FIELD_LABELS.get(field, field))
    if field in DATE_FIELDS:
        if op == "never":
            return _("%(what)s: never") % {"what": label}
        if op == "within_days":
            return _("%(what)s in the last %(n)s days") % {"what": label, "n": value}
        return _("%(what)s not in the last %(n)s days") % {"what": label, "n": value}
    if field in BOOL_FIELDS:
        return label if value else _("not: %(what)s") % {"what": label}
    if op in NUMBER_OPS:
        fmt = _money if field in MONEY_FIELDS else str
        if op == "between":
            amount = _("%(low)s to %(high)s") % {"low": fmt(value[0]), "high": fmt(value[1])}
        else:
            amount = f"{OP_LABELS[op]} {fmt(value)}"
        if field == "spend_in_days":
            return _("spent %(amount)s in the last %(n)s days") % {
                "amount": amount,
                "n": cond.get("days"),
            }
        if field == "total_spend":
            return _("spent %(amount)s in all") % {"amount": amount}
        return f"{label} {amount}"
    if field in ID_FIELDS:
        shown = ", ".join(names[field].get(i, f"#{i}") for i in value or [])
    elif field == "rfm_group":
        shown = ", ".join(str(RfmGroup(v).label) for v in value or [])
    elif field == "source":
        shown = ", ".join(str(FanSource(v).label) for v in value or [])
    else:
        shown = ", ".join(value or [])
    if field == "tag":
        if op == "any":
            return _("tagged %(what)s") % {"what": shown}
        return _("not tagged %(what)s") % {"what": shown}
    if field == "bought_category":
        if op == "any":
            return _("bought from %(what)s") % {"what": shown}
        return _("never bought from %(what)s") % {"what": shown}
    return f"{label} {OP_LABELS.get(op, op)} {shown}"
