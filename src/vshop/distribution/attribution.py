"""Which share link an order came through, decided on the server when the order is placed.

A visit through a share link (a touch) binds the visitor to its sharer for the shop's window
(7 days unless the shop chooses otherwise). The last touch in the window wins, or the first when
the shop chooses first touch. The sharer earns only when she is an active promoter of the shop
and not the buyer herself; the promoter who recruited her earns level 2 when the shop turned it
on. A guest's touches carry her browser's visitor id and join her account when she logs in.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from vshop.accounts.models import User
from vshop.distribution.models import (
    DIRECT,
    MAX_ATTRIBUTION_DAYS,
    AttributionModel,
    OrderAttribution,
    Programme,
    Promoter,
    PromoterStatus,
    Touch,
)
from vshop.orders.models import Order


def attribute_orders(
    *, orders: Sequence[Order], buyer: User, now: datetime | None = None
) -> list[OrderAttribution]:
    """Record where each order came from (inside the transaction that places them)."""
    if not orders:
        return []
    now = now or timezone.now()
    shop_ids = {o.shop_id for o in orders}
    # The longest window a shop may choose; each shop's own window is applied below. Without a
    # touch (most orders) that is the only query before the insert.
    touches = list(
        Touch.objects.filter(
            user=buyer,
            shop_id__in=shop_ids,
            created_at__gte=now - timedelta(days=MAX_ATTRIBUTION_DAYS),
        )
        .order_by("created_at", "pk")
        .only("id", "shop_id", "sharer_id", "channel", "created_at")
    )
    touched = {t.shop_id for t in touches}
    programmes = (
        {p.shop_id: p for p in Programme.objects.filter(shop_id__in=touched)} if touched else {}
    )
    days = {sid: programmes.get(sid, Programme()).attribution_days for sid in shop_ids}
    sharer_ids = {t.sharer_id for t in touches}
    promoters = {
        (p.shop_id, p.user_id): p
        for p in Promoter.objects.filter(
            shop_id__in=shop_ids, user_id__in=sharer_ids, status=PromoterStatus.ACTIVE
        ).select_related("recruiter")
    }
    rows = []
    for order in orders:
        programme = programmes.get(order.shop_id) or Programme()
        since = now - timedelta(days=days[order.shop_id])
        in_window = [t for t in touches if t.shop_id == order.shop_id and t.created_at >= since]
        first = in_window[0] if in_window else None
        last = in_window[-1] if in_window else None
        winner = first if programme.attribution_model == AttributionModel.FIRST_TOUCH else last
        row = OrderAttribution(
            order=order,
            shop_id=order.shop_id,
            channel=winner.channel if winner else DIRECT,
            first_touch=first,
            last_touch=last,
            sharer_id=winner.sharer_id if winner else None,
            self_referral=winner is not None and winner.sharer_id == buyer.pk,
            created_at=now,
        )
        promoter = promoters.get((order.shop_id, winner.sharer_id)) if winner else None
        if promoter is not None and not row.self_referral and programme.is_enabled:
            row.promoter = promoter
            recruiter = promoter.recruiter
            if (
                programme.levels == 2
                and recruiter is not None
                and recruiter.status == PromoterStatus.ACTIVE
                and recruiter.user_id != buyer.pk
            ):
                row.promoter2 = recruiter
        rows.append(row)
    OrderAttribution.objects.bulk_create(rows)
    flagged = [r.order_id for r in rows if r.promoter_id is not None]
    if flagged:
        transaction.on_commit(lambda: _check_later(flagged))
    return rows


def _check_later(order_ids: list[int]) -> None:
    from vshop.distribution import tasks

    tasks.orders_check_patterns(order_ids)
