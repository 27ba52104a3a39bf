"""The shop owner's fan CRM: the fan list (filters, sorts, keyset pages, counts, CSV export), a
fan's profile, private notes, and putting manual tags on fans. Every read and write is scoped by
the shop; a fan, note, tag or segment of another shop is ``NotFound``.

Pages are keyset pages on (sort key, id), so page 1,000 costs what page 1 costs. A NULL sort key
(never followed, never visited, never bought) counts as the oldest: first when sorting up, last
when sorting down, and ``-key`` is exactly the reverse of ``key``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vshop.accounts.models import User
from vshop.errors import NotFound, ValidationFailed
from vshop.fans.models import (
    FanNote,
    FanSource,
    FanTag,
    MemberLevel,
    PointsEntry,
    RfmGroup,
    Segment,
    ShopFan,
    Tag,
)
from vshop.orders.models import Order
from vshop.orders.states import OrderStatus
from vshop.shops.models import Shop
from vshop.spreadsheets import spreadsheet_cell

# Sort keys and whether they may be NULL. Each has a (shop, key, id) index.
SORT_KEYS: dict[str, bool] = {
    "followed_at": True,
    "last_visit_at": True,
    "last_order_at": True,
    "order_count": False,
    "total_spend": False,
}
SORTS: tuple[str, ...] = tuple(s for k in SORT_KEYS for s in (k, f"-{k}"))
DEFAULT_SORT = "-followed_at"
SORT_LABELS = {
    "followed_at": gettext_lazy("Followed"),
    "last_visit_at": gettext_lazy("Last visit"),
    "last_order_at": gettext_lazy("Last order"),
    "order_count": gettext_lazy("Orders"),
    "total_spend": gettext_lazy("Total spend"),
}
MAX_LIMIT = 200
MAX_BULK = 1000
MAX_QUERY = 60
EXPORT_CHUNK = 1000
PAID_STATUSES = (
    OrderStatus.PAID,
    OrderStatus.SHIPPED,
    OrderStatus.DELIVERED,
    OrderStatus.COMPLETED,
)


class AutomaticTag(ValidationFailed):
    code = "automatic_tag"
    default_message = gettext_lazy(
        "This tag is automatic: its rule puts it on fans and takes it off. Change the rule instead."
    )


class BadCursor(ValidationFailed):
    code = "invalid_cursor"
    default_message = gettext_lazy("This page link is not valid any more: start from page one.")


# --- the fan list ------------------------------------------------------------------------------


@dataclass
class FanFilters:
    """What the owner narrows her list to. Empty fields do not filter. Date ranges are days in
    the current time zone, both ends included; ``tag_ids``: fans with every one of the tags."""

    q: str = ""
    level_id: int | None = None
    tag_ids: list[int] = field(default_factory=list)
    rfm_group: str = ""
    city: str = ""
    source_channel: str = ""
    source: str = ""
    is_follower: bool | None = None
    followed_from: date | None = None
    followed_to: date | None = None
    last_visit_from: date | None = None
    last_visit_to: date | None = None
    last_order_from: date | None = None
    last_order_to: date | None = None
    order_count_min: int | None = None
    order_count_max: int | None = None
    spend_min: int | None = None
    spend_max: int | None = None
    segment_id: int | None = None


@dataclass
class FanPage:
    fans: list[ShopFan]
    next_cursor: str | None
    prev_cursor: str | None = None


_DIGITS = re.compile(r"^\+?[\d\s-]{3,20}$")


def _upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with ``prefix``."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _search_q(raw: str) -> Q:
    q = raw.strip()
    if len(q) > MAX_QUERY:
        raise ValidationFailed(
            _("Search for at most %(n)s characters.") % {"n": MAX_QUERY}, field="q"
        )
    if _DIGITS.match(q):
        # Mobiles are stored as E.164 (+8613800138000): a prefix of the national number, or of
        # the full one, found through the (shop, mobile) index with a range, not LIKE.
        digits = re.sub(r"[\s-]", "", q)
        if digits.startswith("+"):
            prefix = digits
        elif digits.startswith("86") and len(digits) > 11:
            prefix = f"+{digits}"
        else:
            prefix = f"+86{digits}"
        return Q(mobile__gte=prefix, mobile__lt=_upper_bound(prefix))
    if "@" in q:
        return Q(email__istartswith=q)
    return Q(name__icontains=q)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def _range_q(name: str, start: date | None, end: date | None) -> Q:
    cond = Q()
    if start is not None:
        cond &= Q(**{f"{name}__gte": _day_start(start)})
    if end is not None:
        cond &= Q(**{f"{name}__lt": _day_start(end + timedelta(days=1))})
    return cond


def fan_queryset(*, shop: Shop, filters: FanFilters) -> QuerySet[ShopFan]:
    """The shop's fans that pass the filters (unordered)."""
    qs = ShopFan.objects.filter(shop=shop)
    f = filters
    if f.q.strip():
        qs = qs.filter(_search_q(f.q))
    if f.level_id is not None:
        qs = qs.filter(level_id=f.level_id)
    for tag_id in dict.fromkeys(f.tag_ids):
        qs = qs.filter(Exists(FanTag.objects.filter(fan=OuterRef("pk"), tag_id=tag_id)))
    if f.rfm_group:
        if f.rfm_group not in RfmGroup.values:
            raise ValidationFailed(_("Choose an RFM group from the list."), field="rfm_group")
        qs = qs.filter(rfm_group=f.rfm_group)
    if f.city.strip():
        qs = qs.filter(city=f.city.strip())
    if f.source_channel.strip():
        qs = qs.filter(source_channel=f.source_channel.strip())
    if f.source:
        if f.source not in FanSource.values:
            raise ValidationFailed(_("Choose how the fan came from the list."), field="source")
        qs = qs.filter(source=f.source)
    if f.is_follower is not None:
        qs = qs.filter(is_follower=f.is_follower)
    qs = qs.filter(
        _range_q("followed_at", f.followed_from, f.followed_to),
        _range_q("last_visit_at", f.last_visit_from, f.last_visit_to),
        _range_q("last_order_at", f.last_order_from, f.last_order_to),
    )
    for name, low, high in (
        ("order_count", f.order_count_min, f.order_count_max),
        ("total_spend", f.spend_min, f.spend_max),
    ):
        if low is not None:
            qs = qs.filter(**{f"{name}__gte": low})
        if high is not None:
            qs = qs.filter(**{f"{name}__lte": high})
    if f.segment_id is not None:
        segment = Segment.objects.filter(shop=shop, pk=f.segment_id).first()
        if segment is None:
            raise NotFound(_("There is no such segment in your shop."))
        from vshop.fans.conditions import rule_to_q

        qs = qs.filter(rule_to_q(shop=shop, rule=segment.rule))
    return qs


def fan_count(*, shop: Shop, filters: FanFilters) -> int:
    return fan_queryset(shop=shop, filters=filters).count()


@dataclass(frozen=True)
class _Position:
    """A row's place in the order: its sort key (None for NULL) and id."""

    value: Any
    id: int


def _encode_cursor(sort: str, direction: str, fan: ShopFan) -> str:
    key = sort.lstrip("-")
    value = getattr(fan, key)
    if isinstance(value, datetime):
        value = value.isoformat()
    raw = json.dumps([sort, direction, value, fan.pk], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, sort: str) -> tuple[str, _Position]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        c_sort, direction, value, pk = json.loads(raw)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise BadCursor(field="cursor") from exc
    if c_sort != sort or direction not in ("a", "b") or not isinstance(pk, int):
        raise BadCursor(field="cursor")
    key = sort.lstrip("-")
    if value is not None:
        if SORT_KEYS[key]:
            value = parse_datetime(value) if isinstance(value, str) else None
            if value is None:
                raise BadCursor(field="cursor")
        elif not isinstance(value, int) or isinstance(value, bool):
            raise BadCursor(field="cursor")
    elif not SORT_KEYS[key]:
        raise BadCursor(field="cursor")
    return direction, _Position(value, pk)


def _rows_after(
    qs: QuerySet[ShopFan], *, key: str, desc: bool, pos: _Position | None, n: int
) -> list[ShopFan]:
    """Up to ``n`` rows strictly after ``pos`` in the order (key, id) — up (NULLs first) or
    down (NULLs last) — in at most three index range scans: the NULL rows, the rest of the
    tie with ``pos``, and the keys beyond it."""
    nullable = SORT_KEYS[key]
    rows: list[ShopFan] = []

    def nulls(after_id: int | None, limit: int) -> list[ShopFan]:
        part = qs.filter(**{f"{key}__isnull": True})
        if after_id is not None:
            part = part.filter(pk__lt=after_id) if desc else part.filter(pk__gt=after_id)
        return list(part.order_by("-pk" if desc else "pk")[:limit])

    def values(after: _Position | None, limit: int) -> list[ShopFan]:
        part = qs.filter(**{f"{key}__isnull": False}) if nullable else qs
        op = "lt" if desc else "gt"
        found: list[ShopFan] = []
        if after is not None:
            # The rest of the tie first (key = v, id beyond), then the keys beyond: each is one
            # index range scan, however many fans share the value (most have 0 orders).
            found = list(
                part.filter(**{key: after.value, f"pk__{op}": after.id}).order_by(
                    "-pk" if desc else "pk"
                )[:limit]
            )
            part = part.filter(**{f"{key}__{op}": after.value})
        if len(found) < limit:
            order = (f"-{key}", "-pk") if desc else (key, "pk")
            found += part.order_by(*order)[: limit - len(found)]
        return found

    in_nulls = pos is not None and pos.value is None
    if desc:
        if not in_nulls:
            rows += values(pos, n)
        if nullable and len(rows) < n:
            rows += nulls(pos.id if in_nulls and pos else None, n - len(rows))
    else:
        if nullable and (pos is None or in_nulls):
            rows += nulls(pos.id if pos else None, n)
        if len(rows) < n:
            rows += values(None if in_nulls else pos, n - len(rows))
    return rows


def fan_list(
    *,
    shop: Shop,
    filters: FanFilters,
    sort: str = DEFAULT_SORT,
    cursor: str | None = None,
    limit: int = 50,
) -> FanPage:
    """One page of the shop's fans. ``next_cursor`` (and ``prev_cursor``) fetch the pages after
    (and before) it with the same filters and sort; None when there is none."""
    if sort not in SORTS:
        raise ValidationFailed(_("Choose a sort order from the list."), field="sort")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationFailed(
            _("Ask for 1 to %(n)s fans a page.") % {"n": MAX_LIMIT}, field="limit"
        )
    key, desc = sort.lstrip("-"), sort.startswith("-")
    qs = fan_queryset(shop=shop, filters=filters).select_related("level")
    if not cursor:
        rows = _rows_after(qs, key=key, desc=desc, pos=None, n=limit + 1)
        has_next, has_prev = len(rows) > limit, False
        rows = rows[:limit]
    else:
        direction, pos = _decode_cursor(cursor, sort)
        if direction == "a":
            rows = _rows_after(qs, key=key, desc=desc, pos=pos, n=limit + 1)
            has_next, has_prev = len(rows) > limit, True
            rows = rows[:limit]
        else:
            # The page before: the rows after it in the reverse order, turned round.
            rows = _rows_after(qs, key=key, desc=not desc, pos=pos, n=limit + 1)
            has_next, has_prev = True, len(rows) > limit
            rows = rows[:limit][::-1]
    return FanPage(
        fans=rows,
        next_cursor=_encode_cursor(sort, "a", rows[-1]) if has_next and rows else None,
        prev_cursor=_encode_cursor(sort, "b", rows[0]) if has_prev and rows else None,
    )


def tags_of_fans(fan_ids: list[int]) -> dict[int, list[Tag]]:
    """The tags on each of these fans, in one query."""
    out: dict[int, list[Tag]] = {pk: [] for pk in fan_ids}
    for link in (
        FanTag.objects.filter(fan_id__in=fan_ids).select_related("tag").order_by("tag__name")
    ):
        out[link.fan_id].append(link.tag)
    return out


def shop_tags(*, shop: Shop) -> list[Tag]:
    return list(Tag.objects.filter(shop=shop).order_by("name"))


def shop_levels(*, shop: Shop) -> list[MemberLevel]:
    return list(MemberLevel.objects.filter(shop=shop).order_by("threshold"))


def shop_segments(*, shop: Shop) -> list[Segment]:
    return list(Segment.objects.filter(shop=shop).order_by("name"))


# --- CSV export --------------------------------------------------------------------------------


def _local(value: datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def fan_export_rows(
    *, shop: Shop, filters: FanFilters, sort: str = DEFAULT_SORT
) -> Iterator[list[str]]:
    """The header, then one row per fan of the list (same filters, same order), read a chunk of
    keyset pages at a time so that 300,000 fans never sit in memory at once."""
    yield [
        _("Name"),
        _("Mobile"),
        _("Email"),
        _("City"),
        _("How she came"),
        _("Source channel"),
        _("Follows"),
        _("Followed"),
        _("Last visit"),
        _("Last order"),
        _("Orders"),
        _("Total spend (¥)"),
        _("Points"),
        _("Member level"),
        _("RFM group"),
        _("Tags"),
        _("May be contacted"),
    ]
    yes, no = _("yes"), _("no")
    cursor: str | None = None
    while True:
        page = fan_list(shop=shop, filters=filters, sort=sort, cursor=cursor, limit=MAX_LIMIT)
        tags = tags_of_fans([f.pk for f in page.fans])
        for fan in page.fans:
            yield [
                spreadsheet_cell(x)
                for x in (
                    fan.name,
                    fan.mobile,
                    fan.email,
                    fan.city,
                    fan.get_source_display(),
                    fan.source_channel,
                    yes if fan.is_follower else no,
                    _local(fan.followed_at),
                    _local(fan.last_visit_at),
                    _local(fan.last_order_at),
                    fan.order_count,
                    _yuan(fan.total_spend),
                    fan.points,
                    fan.level.name if fan.level else "",
                    fan.get_rfm_group_display() if fan.rfm_group else "",
                    ";".join(t.name for t in tags[fan.pk]),
                    yes if fan.contactable else no,
                )
            ]
        if page.next_cursor is None:
            return
        cursor = page.next_cursor


# --- a fan's profile ---------------------------------------------------------------------------


def fan_of_shop(*, shop: Shop, fan_id: int) -> ShopFan:
    fan = ShopFan.objects.select_related("level").filter(shop=shop, pk=fan_id).first()
    if fan is None:
        raise NotFound(_("There is no such fan in your shop."))
    return fan


@dataclass
class FanProfile:
    fan: ShopFan
    tags: list[Tag]
    notes: list[FanNote]
    orders: list[Order]
    points_entries: list[PointsEntry]
    referred_orders: int  # paid orders her shares brought
    referred_sales: int  # their totals less refunds (fen)
    hours: list[list[int]]  # Mon..Sun × 24 hours, her local time
    activity: dict[str, int]


def _hours_of_week(*, shop_id: int, user_id: int | None) -> list[list[int]]:
    if user_id is None:
        return [[0] * 24 for _day in range(7)]
    from vshop.fans.activity import fan_hours_of_week

    return fan_hours_of_week(shop_id=shop_id, user_id=user_id, days=90)


def _activity_summary(*, shop_id: int, user_id: int | None) -> dict[str, int]:
    if user_id is None:
        return {}
    from vshop.fans.activity import fan_activity_summary

    return fan_activity_summary(shop_id=shop_id, user_id=user_id, days=90)


def fan_profile(*, shop: Shop, fan_id: int, orders: int = 20) -> FanProfile:
    """Everything the shop knows of one of its fans. Her orders are this shop's only."""
    fan = fan_of_shop(shop=shop, fan_id=fan_id)
    order_list: list[Order] = []
    referred_orders, referred_sales = 0, fan.share_sales
    if fan.user_id is not None:
        order_list = list(
            Order.objects.filter(shop=shop, buyer_id=fan.user_id).order_by("-created_at", "-pk")[
                :orders
            ]
        )
        from vshop.distribution.models import OrderAttribution

        brought = OrderAttribution.objects.filter(
            shop=shop, sharer_id=fan.user_id, self_referral=False
        ).filter(order__status__in=PAID_STATUSES)
        figures = brought.aggregate(
            total=Sum(F("order__total") - F("order__refunded_total")),
        )
        referred_orders = brought.count()
        # ``share_sales`` is kept as orders are paid and refunded; the attributions are the
        # ground truth when it has not caught up yet.
        referred_sales = max(fan.share_sales, figures["total"] or 0)
    return FanProfile(
        fan=fan,
        tags=[link.tag for link in fan.tag_links.select_related("tag").order_by("tag__name")],
        notes=list(fan.notes.select_related("author")),
        orders=order_list,
        points_entries=list(fan.points_entries.all()[:10]),
        referred_orders=referred_orders,
        referred_sales=referred_sales,
        hours=_hours_of_week(shop_id=shop.pk, user_id=fan.user_id),
        activity=_activity_summary(shop_id=shop.pk, user_id=fan.user_id),
    )


# --- notes -------------------------------------------------------------------------------------


@transaction.atomic
def fan_note_add(*, shop: Shop, fan_id: int, author: User, text: str) -> FanNote:
    """A private note about one of the shop's fans."""
    fan = fan_of_shop(shop=shop, fan_id=fan_id)
    text = (text or "").strip()
    if not text:
        raise ValidationFailed(_("Write the note first."), field="text")
    if len(text) > 1000:
        raise ValidationFailed(_("A note has at most 1000 characters."), field="text")
    return FanNote.objects.create(fan=fan, author=author, text=text)


@transaction.atomic
def fan_note_delete(*, shop: Shop, fan_id: int, note_id: int) -> None:
    fan = fan_of_shop(shop=shop, fan_id=fan_id)
    deleted, _n = FanNote.objects.filter(fan=fan, pk=note_id).delete()
    if not deleted:
        raise NotFound(_("There is no such note."))


# --- manual tags on fans -----------------------------------------------------------------------


def _manual_tag(*, shop: Shop, tag_id: int) -> Tag:
    tag = Tag.objects.filter(shop=shop, pk=tag_id).first()
    if tag is None:
        raise NotFound(_("There is no such tag in your shop."))
    if tag.is_automatic:
        raise AutomaticTag(field="tag_id")
    return tag


@transaction.atomic
def fans_tag(*, shop: Shop, fan_ids: list[int], tag_id: int, add: bool = True) -> int:
    """Put a manual tag on (or take it off) these fans of the shop; returns how many changed.
    An automatic tag, or a fan or tag of another shop, changes nothing."""
    ids = list(dict.fromkeys(fan_ids))
    if not ids:
        raise ValidationFailed(_("Choose at least one fan."), field="fan_ids")
    if len(ids) > MAX_BULK:
        raise ValidationFailed(
            _("Choose at most %(n)s fans at once.") % {"n": MAX_BULK}, field="fan_ids"
        )
    found = ShopFan.objects.filter(shop=shop, pk__in=ids).count()
    if found != len(ids):
        raise NotFound(_("There is no such fan in your shop."))
    tag = _manual_tag(shop=shop, tag_id=tag_id)
    if add:
        have = set(FanTag.objects.filter(tag=tag, fan_id__in=ids).values_list("fan_id", flat=True))
        new = [FanTag(fan_id=pk, tag=tag) for pk in ids if pk not in have]
        FanTag.objects.bulk_create(new, ignore_conflicts=True)
        return len(new)
    deleted, _n = FanTag.objects.filter(tag=tag, fan_id__in=ids).delete()
    return deleted


def fan_tag_add(*, shop: Shop, fan_id: int, tag_id: int) -> bool:
    """Put a manual tag on one fan; False if she had it already."""
    return fans_tag(shop=shop, fan_ids=[fan_id], tag_id=tag_id, add=True) > 0


def fan_tag_remove(*, shop: Shop, fan_id: int, tag_id: int) -> bool:
    return fans_tag(shop=shop, fan_ids=[fan_id], tag_id=tag_id, add=False) > 0
