"""Scoring fans in bulk: RFM scores and groups (nightly) and automatic tags (hourly), each one
set-based SQL statement per shop (or per tag) rather than a loop over fans.

RFM. Among a shop's fans who have bought (``order_count > 0`` and a last order), each of
recency (``last_order_at``), frequency (``order_count``) and monetary (``total_spend``) is
scored 1–5 by quintile within the shop. Ties get the same score: a fan's percentile is the
middle of her tie group, ``p = (below + tied / 2) / n`` (``below`` fans with a lower value,
``tied`` with hers, ``n`` buyers), and her score ``ceil(5 p)``. So five different values score
1, 2, 3, 4, 5; a value everybody shares scores 3 (it tells nothing either way); a single buyer
scores 3, 3, 3. Fans who have not bought score 0 and have no group.

Groups, with ``FM = ceil((F + M) / 2)``; the first that fits wins, so every scored fan gets
exactly one:

1. ``new``: R ≥ 4 and exactly one order — bought for the first time, recently;
2. ``champions``: R ≥ 4 and FM ≥ 4 — bought recently, often and much;
3. ``loyal``: R ≥ 3 and FM ≥ 3;
4. ``promising``: R ≥ 3 (and FM < 3);
5. ``at_risk``: R ≤ 2 and FM ≥ 3 — good fans who have not bought for a while;
6. ``hibernating``: R = 2 (and FM < 3);
7. ``lost``: R = 1 (and FM < 3).
"""

from __future__ import annotations

import logging
import math
import sqlite3
from datetime import datetime
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed
from vshop.fans import conditions
from vshop.fans.models import FanTag, RfmGroup, ShopFan, Tag
from vshop.shops.models import Shop

logger = logging.getLogger(__name__)

#: For each group, what it means and what to do, for the owner's dashboard.
GROUP_ADVICE: dict[str, tuple[object, object]] = {
    RfmGroup.CHAMPIONS: (
        _("Bought recently, often and the most."),
        _("Thank them: early access to new products, a member gift, ask them for reviews."),
    ),
    RfmGroup.LOYAL: (
        _("Buy regularly and spend well."),
        _("Offer a higher member level or points for referrals; recommend more products."),
    ),
    RfmGroup.PROMISING: (
        _("Bought recently, but not much or not often yet."),
        _("Suggest products that go with what they bought; a small coupon for the next order."),
    ),
    RfmGroup.NEW: (
        _("Bought for the first time, recently."),
        _("Welcome them, make sure the first order went well, show them your best sellers."),
    ),
    RfmGroup.AT_RISK: (
        _("Used to buy often and much, but not for a while."),
        _("Win them back now: a personal message and an offer on what they liked."),
    ),
    RfmGroup.HIBERNATING: (
        _("Bought little and not recently."),
        _("Remind them of your shop with a seasonal offer; do not push too often."),
    ),
    RfmGroup.LOST: (
        _("Bought long ago, little and rarely."),
        _("One last offer, then let them be; spend your effort on the others."),
    ),
}

_FM = "((f + m + 1) / 2)"
_GROUP_CASE = f"""CASE
  WHEN r >= 4 AND order_count = 1 THEN 'new'
  WHEN r >= 4 AND {_FM} >= 4 THEN 'champions'
  WHEN r >= 3 AND {_FM} >= 3 THEN 'loyal'
  WHEN r >= 3 THEN 'promising'
  WHEN {_FM} >= 3 THEN 'at_risk'
  WHEN r = 2 THEN 'hibernating'
  ELSE 'lost'
END"""


def _score_sql(column: str) -> str:
    """``ceil(5 p)`` with ``p`` the middle of the tie group, in integer arithmetic (exact and
    the same on PostgreSQL and SQLite)."""
    return (
        f"(5 * (2 * (RANK() OVER (ORDER BY {column}) - 1) "
        f"+ COUNT(*) OVER (PARTITION BY {column})) + 2 * COUNT(*) OVER () - 1) "
        f"/ (2 * COUNT(*) OVER ())"
    )


def _update_from_supported() -> bool:
    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        return sqlite3.sqlite_version_info >= (3, 33, 0)
    return False


def rfm_group_of(*, r: int, f: int, m: int, order_count: int) -> str:
    """The group of one set of scores (the same mapping as the SQL; see the module doc)."""
    fm = (f + m + 1) // 2
    if r >= 4 and order_count == 1:
        return RfmGroup.NEW
    if r >= 4 and fm >= 4:
        return RfmGroup.CHAMPIONS
    if r >= 3 and fm >= 3:
        return RfmGroup.LOYAL
    if r >= 3:
        return RfmGroup.PROMISING
    if fm >= 3:
        return RfmGroup.AT_RISK
    if r == 2:
        return RfmGroup.HIBERNATING
    return RfmGroup.LOST


_BUYERS = Q(order_count__gt=0, last_order_at__isnull=False)


@transaction.atomic
def rfm_recompute(*, shop_id: int, now: datetime | None = None) -> int:
    """Score the shop's buyers and put each in her group; reset fans who no longer count as
    buyers. Returns how many fans were scored. ``scored_at`` is when a fan's scores were last
    set (rows whose scores do not change are not written again)."""
    now = now or timezone.now()
    if _update_from_supported():
        scored = _rfm_sql(shop_id=shop_id, now=now)
    else:
        scored = _rfm_python(shop_id=shop_id, now=now)
    ShopFan.objects.filter(shop_id=shop_id).exclude(_BUYERS).filter(
        Q(recency__gt=0) | Q(frequency__gt=0) | Q(monetary__gt=0) | ~Q(rfm_group="")
    ).update(recency=0, frequency=0, monetary=0, rfm_group="", scored_at=now)
    return scored


def _rfm_sql(*, shop_id: int, now: datetime) -> int:
    """One UPDATE … FROM over window functions. Only fans whose scores or group change are
    written (every write touches all of the table's indexes: the nightly rerun stays cheap)."""
    table = connection.ops.quote_name(ShopFan._meta.db_table)
    sql = f"""
UPDATE {table} SET recency = s.r, frequency = s.f, monetary = s.m, rfm_group = s.g,
  scored_at = %s
FROM (
  SELECT id, r, f, m, {_GROUP_CASE} AS g
  FROM (
    SELECT id, order_count,
      {_score_sql("last_order_at")} AS r,
      {_score_sql("order_count")} AS f,
      {_score_sql("total_spend")} AS m
    FROM {table}
    WHERE shop_id = %s AND order_count > 0 AND last_order_at IS NOT NULL
  ) scores
) s
WHERE {table}.id = s.id AND ({table}.recency <> s.r OR {table}.frequency <> s.f
  OR {table}.monetary <> s.m OR {table}.rfm_group <> s.g OR {table}.scored_at IS NULL)"""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The three sorts of the window functions fit in memory instead of spilling.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, [connection.ops.adapt_datetimefield_value(now), shop_id])
    return ShopFan.objects.filter(shop_id=shop_id).filter(_BUYERS).count()


def _scores(values: list[object]) -> list[int]:
    """Python twin of ``_score_sql`` for the fallback path."""
    n = len(values)
    order = sorted(range(n), key=lambda i: values[i])  # type: ignore[arg-type,return-value]
    scores = [0] * n
    i = 0
    while i < n:
        j = i
        while j < n and values[order[j]] == values[order[i]]:
            j += 1
        tied = j - i
        score = math.ceil(5 * (2 * i + tied) / (2 * n))
        for k in range(i, j):
            scores[order[k]] = score
        i = j
    return scores


def _rfm_python(*, shop_id: int, now: datetime) -> int:
    """For SQLite before 3.33 (no UPDATE … FROM): read the three figures, score, write back."""
    rows = list(
        ShopFan.objects.filter(shop_id=shop_id)
        .filter(_BUYERS)
        .values_list("pk", "last_order_at", "order_count", "total_spend")
    )
    if not rows:
        return 0
    rs = _scores([r[1] for r in rows])
    fs = _scores([r[2] for r in rows])
    ms = _scores([r[3] for r in rows])
    fans = [
        ShopFan(
            pk=row[0],
            recency=r,
            frequency=f,
            monetary=m,
            rfm_group=rfm_group_of(r=r, f=f, m=m, order_count=row[2]),
            scored_at=now,
        )
        for row, r, f, m in zip(rows, rs, fs, ms, strict=True)
    ]
    ShopFan.objects.bulk_update(
        fans, ["recency", "frequency", "monetary", "rfm_group", "scored_at"], batch_size=500
    )
    return len(fans)


def rfm_recompute_all() -> int:
    """Every shop with fans, one transaction each (the nightly job). A shop that fails is
    logged and the others still get scored."""
    total = 0
    shop_ids = ShopFan.objects.values_list("shop_id", flat=True).distinct().order_by("shop_id")
    for shop_id in list(shop_ids):
        try:
            total += rfm_recompute(shop_id=shop_id)
        except Exception:  # one shop's failure must not stop the night's scoring
            logger.exception("RFM scoring failed for shop %s", shop_id)
    return total


class RfmRow(NamedTuple):
    group: str
    label: str
    fans: int
    share: float  # of the shop's scored fans, 0 to 1


def rfm_dashboard(*, shop: Shop) -> list[RfmRow]:
    """Every group (in the order of ``RfmGroup``) with its count and share of scored fans."""
    counts = dict(
        ShopFan.objects.filter(shop=shop)
        .exclude(rfm_group="")
        .values_list("rfm_group")
        .annotate(n=Count("pk"))
        .values_list("rfm_group", "n")
    )
    total = sum(counts.values())
    return [
        RfmRow(
            group=g.value,
            label=str(g.label),
            fans=counts.get(g.value, 0),
            share=round(counts.get(g.value, 0) / total, 4) if total else 0.0,
        )
        for g in RfmGroup
    ]


def rfm_scored_at(*, shop: Shop) -> datetime | None:
    """When the shop's fans were last scored (None before the first scoring with a buyer)."""
    return ShopFan.objects.filter(shop=shop).aggregate(at=Max("scored_at"))["at"]


# --- automatic tags --------------------------------------------------------------------------


def auto_tags_evaluate(*, shop_id: int, tag_id: int | None = None) -> int:
    """Put each automatic tag of the shop (or just ``tag_id``) on exactly the fans its rule
    matches: add rule links that are missing, remove rule links that no longer match. Links
    set by hand are never touched (and a fan tagged by hand is not tagged again by the rule).
    Returns the number of links added and removed. A rule gone stale (it names a deleted tag
    or level) is logged and skipped."""
    shop = Shop.objects.filter(pk=shop_id).first()
    if shop is None:
        return 0
    tags = Tag.objects.filter(shop=shop, rule__isnull=False).order_by("pk")
    if tag_id is not None:
        tags = tags.filter(pk=tag_id)
    changed = 0
    for tag in tags:
        try:
            changed += _evaluate_tag(shop=shop, tag=tag)
        except ValidationFailed as exc:
            logger.warning("automatic tag %s of shop %s skipped: %s", tag.pk, shop_id, exc)
    return changed


@transaction.atomic
def _evaluate_tag(*, shop: Shop, tag: Tag) -> int:
    now = timezone.now()
    q = conditions.rule_to_q(shop=shop, rule=tag.rule)
    matching = ShopFan.objects.filter(shop=shop).filter(q)
    removed, _counts = (
        FanTag.objects.filter(tag=tag, by_rule=True)
        .exclude(Exists(matching.filter(pk=OuterRef("fan_id"))))
        .delete()
    )
    missing = matching.exclude(Exists(FanTag.objects.filter(fan=OuterRef("pk"), tag=tag))).values(
        fan_ref=F("pk")
    )
    select_sql, params = missing.query.sql_with_params()
    table = connection.ops.quote_name(FanTag._meta.db_table)
    with connection.cursor() as cursor:
        # WHERE 1 = 1: SQLite needs a WHERE before ON CONFLICT after INSERT … SELECT.
        cursor.execute(
            f"INSERT INTO {table} (fan_id, tag_id, by_rule, created_at) "
            f"SELECT sub.fan_ref, %s, %s, %s FROM ({select_sql}) sub WHERE 1 = 1 "
            "ON CONFLICT DO NOTHING",
            [tag.pk, True, connection.ops.adapt_datetimefield_value(now), *params],
        )
        added = max(cursor.rowcount, 0)
    Tag.objects.filter(pk=tag.pk).update(evaluated_at=now)
    return added + removed


def auto_tags_evaluate_all() -> int:
    """Every shop's automatic tags (the hourly job)."""
    total = 0
    shop_ids = (
        Tag.objects.filter(rule__isnull=False)
        .values_list("shop_id", flat=True)
        .distinct()
        .order_by("shop_id")
    )
    for shop_id in list(shop_ids):
        try:
            total += auto_tags_evaluate(shop_id=shop_id)
        except Exception:  # one shop's failure must not stop the others
            logger.exception("automatic tags failed for shop %s", shop_id)
    return total
