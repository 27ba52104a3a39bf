"""The demo's fan relationships: points and member levels (set before the demo's buying, so its
purchases earn points and move fans up), then, after it, what a shop owner has built over a few
weeks: the fans' activity at their own hours, tags by hand and by rule, a saved segment, private
notes, imported contacts, check-ins, and the nightly scores.

Made through the services, as people would; the activity goes through the same batching path as
real page views.
"""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from vshop.accounts.models import User
from vshop.fans import activity, crm, imports, loyalty, points, scoring, segments, tags
from vshop.fans.models import ActivityKind, Follow, ShopFan
from vshop.orders.models import Order
from vshop.orders.states import OrderStatus
from vshop.shops.models import Shop
from vshop.trust import services as trust

# Lily runs levels by spend with a member discount; AJ by points earned.
LOYALTY: dict[str, dict[str, object]] = {
    "lily-mama": {"points_per_yuan": 1, "checkin_points": 5, "review_points": 20},
    "aj-snacks": {"points_per_yuan": 2, "checkin_points": 10, "level_basis": "points"},
    "sophie-skin": {"points_per_yuan": 1},
}
LEVELS: dict[str, list[loyalty.LevelInput]] = {
    "lily-mama": [
        loyalty.LevelInput(name="银卡 Silver", threshold=10_000, discount_percent=3),
        loyalty.LevelInput(name="金卡 Gold", threshold=50_000, discount_percent=5),
    ],
    "aj-snacks": [loyalty.LevelInput(name="铁粉 True fan", threshold=200, discount_percent=5)],
}

# When fans look at their phones (local hours), as a few kinds of people.
RHYTHMS: tuple[tuple[int, ...], ...] = (
    (7, 8, 12, 21, 22),  # commuter
    (22, 23, 0, 1),  # night owl
    (10, 13, 14, 21),  # mum with a toddler: nap time and after bedtime
    (9, 10, 11, 15, 16),  # weekend shopper (weekdays count less, see below)
)

REVIEWS = (
    "质量很好，宝宝很喜欢。Lovely quality, the baby loves it.",
    "发货很快，包装仔细。Fast delivery, carefully packed.",
    "和描述一致，会回购。As described; I will buy again.",
    "",
)

IMPORTED_CONTACTS = (
    "姓名,手机,邮箱,标签,同意\n"
    "王芳,13911110001,,老客户;宝妈,是\n"
    "李娜,13911110002,,老客户,是\n"
    "陈静,,chenjing@example.com,,否\n"
    "刘洋,13911110004,,宝妈,是\n"
    "赵敏,1391111,,,是\n"  # a malformed mobile: rejected in the report
)


def load_loyalty(*, shops_by_slug: dict[str, Shop]) -> None:
    for slug, rules in LOYALTY.items():
        shop = shops_by_slug[slug]
        loyalty.rules_update(owner=shop.owner, shop=shop, data=rules)
    for slug, levels in LEVELS.items():
        shop = shops_by_slug[slug]
        loyalty.levels_replace(owner=shop.owner, shop=shop, levels=levels)


def _activity(rng: random.Random, shop_ids_by_fan: dict[User, list[int]]) -> None:
    now = timezone.now()
    events: list[activity.ActivityInput] = []
    kinds = [ActivityKind.VISIT] * 5 + [ActivityKind.VIEW] * 8 + [ActivityKind.CART] * 2
    for fan, shop_ids in shop_ids_by_fan.items():
        rhythm = rng.choice(RHYTHMS)
        weekend = rhythm is RHYTHMS[3]
        for shop_id in shop_ids:
            for _ in range(rng.randint(4, 16)):
                day = now - timedelta(days=rng.randint(0, 27))
                if weekend and day.weekday() < 5 and rng.random() < 0.7:
                    day += timedelta(days=5 - day.weekday())
                # Local (Asia/Shanghai, UTC+8) hour → UTC.
                hour = (rng.choice(rhythm) - 8) % 24
                at = day.replace(hour=hour, minute=rng.randint(0, 59), second=0, microsecond=0)
                if at > now:
                    at -= timedelta(days=7)
                events.append(
                    activity.ActivityInput(
                        shop_id=shop_id,
                        user_id=fan.pk,
                        kind=rng.choice(kinds),
                        at=at,
                        time_zone=fan.time_zone,
                    )
                )
    activity.record_many(events)


def load_keeping(rng: random.Random, *, shops_by_slug: dict[str, Shop], fans: list[User]) -> None:
    shop_ids_by_fan: dict[User, list[int]] = {}
    for shop_id, fan_id in Follow.objects.filter(fan__in=fans).values_list("shop_id", "fan_id"):
        fan = next(f for f in fans if f.pk == fan_id)
        shop_ids_by_fan.setdefault(fan, []).append(shop_id)
    _activity(rng, shop_ids_by_fan)

    lily = shops_by_slug["lily-mama"]
    vip = tags.tag_create(shop=lily, name="VIP")
    mums = tags.tag_create(shop=lily, name="宝妈")
    tags.tag_create(
        shop=lily,
        name="近90天消费满¥300",
        rule={
            "op": "and",
            "conditions": [{"field": "spend_in_days", "days": 90, "op": "gte", "value": 30_000}],
        },
    )
    tags.tag_create(
        shop=lily,
        name="30天未访问",
        rule={
            "op": "and",
            "conditions": [{"field": "last_visit_at", "op": "not_within_days", "value": 30}],
        },
    )
    lily_fans = list(ShopFan.objects.filter(shop=lily, user__isnull=False).order_by("pk"))
    if lily_fans:
        crm.fans_tag(shop=lily, fan_ids=[f.pk for f in lily_fans[:3]], tag_id=vip.pk)
        crm.fans_tag(
            shop=lily, fan_ids=[f.pk for f in lily_fans if rng.random() < 0.5], tag_id=mums.pk
        )
        crm.fan_note_add(
            shop=lily,
            fan_id=lily_fans[0].pk,
            author=lily.owner,
            text="宝宝10月出生，对棉质敏感，推荐有机棉。Baby born in October; organic cotton only.",
        )
    segments.segment_create(
        shop=lily,
        actor=lily.owner,
        name="活跃的老顾客 Active repeat buyers",
        rule={
            "op": "and",
            "conditions": [
                {"field": "order_count", "op": "gte", "value": 2},
                {"field": "last_visit_at", "op": "within_days", "value": 14},
            ],
        },
    )
    imports.fans_import(shop=lily, data=IMPORTED_CONTACTS.encode("gb18030"))

    # The demo fan login (first fan) checked in today where she follows a shop with points.
    for shop_id in shop_ids_by_fan.get(fans[0], []):
        shop = next(s for s in shops_by_slug.values() if s.pk == shop_id)
        if shop.slug in LOYALTY:
            points.points_check_in(user=fans[0], shop=shop)

    # Received orders get a review (and their buyers the shop's review points).
    received = Order.objects.filter(
        shop__in=shops_by_slug.values(), status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED]
    ).prefetch_related("lines")
    for order in received:
        if order.buyer is None:
            continue
        line = order.lines.all()[0]
        trust.review_create(
            buyer=order.buyer,
            order_number=order.number,
            line_id=line.pk,
            rating=rng.choice((4, 5, 5, 5)),
            text=rng.choice(REVIEWS),
        )

    # Recorded events reach the raw table when the demo's transaction commits (as a page's
    # would); the rollups and the nightly scores follow them, in that order.
    shop_ids = [shop.pk for shop in shops_by_slug.values()]
    transaction.on_commit(lambda: _roll_up_and_score(shop_ids))


def _roll_up_and_score(shop_ids: list[int]) -> None:
    while activity.activity_flush():
        pass
    for shop_id in shop_ids:
        scoring.rfm_recompute(shop_id=shop_id)
        scoring.auto_tags_evaluate(shop_id=shop_id)
