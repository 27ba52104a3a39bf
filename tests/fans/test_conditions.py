"""The condition language: every field and operator on a small known set of fans, the orders
based conditions on real paid and refunded orders, and the malformed rules it refuses with a
message that names the bad part."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.buying import pay, place
from tests.factories import make_category, make_listing, make_product, make_user, sku_input
from vshop.errors import ValidationFailed
from vshop.fans import conditions
from vshop.fans.models import FanTag, MemberLevel, ShopFan, Tag
from vshop.orders.models import Order
from vshop.orders.states import OrderStatus

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def fan_row(shop, name: str, *, account: bool = True, **fields) -> ShopFan:
    user = make_user(name=name) if account else None
    row, _ = ShopFan.objects.get_or_create(
        shop=shop, user=user, defaults={"source": "follow", "name": name}
    )
    ShopFan.objects.filter(pk=row.pk).update(name=name, **fields)
    return ShopFan.objects.get(pk=row.pk)


def names(shop, rule) -> set[str]:
    q = conditions.rule_to_q(shop=shop, rule=rule)
    return set(ShopFan.objects.filter(shop=shop).filter(q).values_list("name", flat=True))


def one(field: str, op: str, value=None, **extra) -> dict:
    cond = {"field": field, "op": op, **extra}
    if value is not None or op != "never":
        cond["value"] = value
    return {"op": "and", "conditions": [cond]}


@pytest.fixture
def crowd(shop, other_shop):
    """Ann (follower, recent, 3 orders, ¥600, gold, tagged VIP), Bea (old visitor, 1 order,
    ¥50, imported contact in Beijing), Cat (never visited or bought, not contactable),
    and a fan of the other shop who matches everything."""
    gold = MemberLevel.objects.create(shop=shop, name="Gold", threshold=50000)
    vip = Tag.objects.create(shop=shop, name="VIP")
    ann = fan_row(
        shop,
        "Ann",
        is_follower=True,
        followed_at=NOW - timedelta(days=3),
        last_visit_at=NOW - timedelta(days=1),
        last_order_at=NOW - timedelta(days=2),
        order_count=3,
        total_spend=60000,
        points=300,
        level=gold,
        rfm_group="champions",
        city="Hangzhou",
        source="follow",
        source_channel="wechat",
    )
    FanTag.objects.create(fan=ann, tag=vip)
    fan_row(
        shop,
        "Bea",
        account=False,
        mobile="13900000001",
        last_visit_at=NOW - timedelta(days=60),
        last_order_at=NOW - timedelta(days=200),
        order_count=1,
        total_spend=5000,
        points=50,
        rfm_group="lost",
        city="Beijing",
        source="import",
        source_channel="import",
    )
    fan_row(shop, "Cat", contactable=False, source="follow")
    rival = fan_row(
        other_shop,
        "Rival",
        is_follower=True,
        followed_at=NOW,
        last_visit_at=NOW,
        last_order_at=NOW,
        order_count=9,
        total_spend=90000,
        city="Hangzhou",
    )
    return {"gold": gold, "vip": vip, "rival": rival}


@pytest.mark.parametrize(
    ("field", "op", "value", "expected"),
    [
        ("followed_at", "within_days", 7, {"Ann"}),
        ("followed_at", "not_within_days", 7, {"Bea", "Cat"}),
        ("followed_at", "never", None, {"Bea", "Cat"}),
        ("last_visit_at", "within_days", 30, {"Ann"}),
        ("last_visit_at", "not_within_days", 30, {"Bea", "Cat"}),
        ("last_visit_at", "never", None, {"Cat"}),
        ("last_order_at", "within_days", 90, {"Ann"}),
        ("last_order_at", "not_within_days", 90, {"Bea", "Cat"}),
        ("last_order_at", "never", None, {"Cat"}),
        ("order_count", "gte", 1, {"Ann", "Bea"}),
        ("order_count", "lte", 1, {"Bea", "Cat"}),
        ("order_count", "eq", 3, {"Ann"}),
        ("order_count", "between", [1, 2], {"Bea"}),
        ("total_spend", "gte", 50000, {"Ann"}),
        ("total_spend", "lte", 5000, {"Bea", "Cat"}),
        ("total_spend", "between", [1, 10000], {"Bea"}),
        ("points", "gte", 100, {"Ann"}),
        ("points", "between", [0, 50], {"Bea", "Cat"}),
        ("rfm_group", "in", ["champions", "lost"], {"Ann", "Bea"}),
        ("rfm_group", "not_in", ["champions"], {"Bea", "Cat"}),
        ("city", "in", ["Hangzhou"], {"Ann"}),
        ("city", "not_in", ["Hangzhou"], {"Bea", "Cat"}),
        ("source_channel", "in", ["wechat", "import"], {"Ann", "Bea"}),
        ("source_channel", "not_in", ["wechat"], {"Bea", "Cat"}),
        ("source", "in", ["import"], {"Bea"}),
        ("source", "not_in", ["import"], {"Ann", "Cat"}),
        ("is_follower", "is", True, {"Ann"}),
        ("is_follower", "is", False, {"Bea", "Cat"}),
        ("contactable", "is", False, {"Cat"}),
        ("contactable", "is", True, {"Ann", "Bea"}),
    ],
)
def test_each_field_and_operator_matches_exactly_its_fans(crowd, shop, field, op, value, expected):
    assert names(shop, one(field, op, value)) == expected


def test_level_in_and_not_in(crowd, shop):
    gold = crowd["gold"].pk
    assert names(shop, one("level", "in", [gold])) == {"Ann"}
    # Fans without a level are "none of" every level.
    assert names(shop, one("level", "not_in", [gold])) == {"Bea", "Cat"}


def test_tag_any_and_none(crowd, shop):
    vip = crowd["vip"].pk
    assert names(shop, one("tag", "any", [vip])) == {"Ann"}
    assert names(shop, one("tag", "none", [vip])) == {"Bea", "Cat"}


def test_and_or_and_nested_groups(crowd, shop):
    rule = {
        "op": "or",
        "conditions": [
            {"field": "city", "op": "in", "value": ["Beijing"]},
            {
                "op": "and",
                "conditions": [
                    {"field": "is_follower", "op": "is", "value": True},
                    {
                        "op": "or",
                        "conditions": [
                            {"field": "order_count", "op": "gte", "value": 10},
                            {"field": "points", "op": "gte", "value": 100},
                        ],
                    },
                ],
            },
        ],
    }
    assert names(shop, rule) == {"Ann", "Bea"}
    rule["op"] = "and"
    assert names(shop, rule) == set()


def test_an_empty_rule_matches_every_fan_of_the_shop_only(crowd, shop):
    assert names(shop, {"op": "and", "conditions": []}) == {"Ann", "Bea", "Cat"}


def test_a_single_condition_is_a_rule_of_one(crowd, shop):
    assert names(shop, {"field": "city", "op": "in", "value": ["Hangzhou"]}) == {"Ann"}


# --- conditions over orders ------------------------------------------------------------------


@pytest.fixture
def orders_world(shop, supplier, category):
    """Baby (the ``category`` fixture) and Toys listings at ¥100; Dee bought Baby for ¥100
    and Toys for ¥100 this week, Eve bought Toys ¥100 long ago (120 days) and Baby ¥100 that
    was refunded, Fay placed a Baby order and never paid it."""
    toys = make_category("toys")
    baby_item = make_listing(
        shop,
        make_product(
            supplier,
            category=category,
            skus=[sku_input("B1", lo=9000, suggested=10000, hi=11000, stock=50)],
        ),
    )
    toy_item = make_listing(
        shop,
        make_product(
            supplier, category=toys, skus=[sku_input("T1", lo=9000, suggested=10000, hi=11000)]
        ),
    )
    dee, eve, fay = make_user(name="Dee"), make_user(name="Eve"), make_user(name="Fay")
    pay(place(dee, baby_item))
    pay(place(dee, toy_item))
    old = pay(place(eve, toy_item))
    Order.objects.filter(checkout=old).update(paid_at=NOW - timedelta(days=120))
    refunded = pay(place(eve, baby_item))
    Order.objects.filter(checkout=refunded).update(
        status=OrderStatus.REFUNDED, refunded_total=10000
    )
    place(fay, baby_item)
    for user in (dee, eve, fay):
        fan_row_for(shop, user)
    return {"baby": category, "toys": toys}


def fan_row_for(shop, user) -> ShopFan:
    row, _ = ShopFan.objects.get_or_create(shop=shop, user=user, defaults={"source": "order"})
    ShopFan.objects.filter(pk=row.pk).update(name=user.display_name)
    return row


def test_bought_category_counts_paid_not_refunded_orders(orders_world, shop):
    baby, toys = orders_world["baby"].pk, orders_world["toys"].pk
    assert names(shop, one("bought_category", "any", [baby])) == {"Dee"}
    assert names(shop, one("bought_category", "any", [toys])) == {"Dee", "Eve"}
    assert names(shop, one("bought_category", "none", [baby])) == {"Eve", "Fay"}


def test_spend_in_days_sums_paid_orders_in_the_window(orders_world, shop):
    assert names(shop, one("spend_in_days", "gte", 20000, days=90)) == {"Dee"}
    assert names(shop, one("spend_in_days", "gte", 10000, days=365)) == {"Dee", "Eve"}
    # At most ¥100 in 90 days includes those who spent nothing at all.
    assert names(shop, one("spend_in_days", "lte", 10000, days=90)) == {"Eve", "Fay"}
    assert names(shop, one("spend_in_days", "between", [5000, 15000], days=365)) == {"Eve"}
    assert names(shop, one("spend_in_days", "eq", 0, days=90)) == {"Eve", "Fay"}


def test_spend_in_days_of_a_contact_without_account_is_zero(orders_world, shop):
    fan_row(shop, "Gus", account=False, mobile="13900000009")
    assert "Gus" in names(shop, one("spend_in_days", "lte", 0, days=30))
    assert "Gus" not in names(shop, one("spend_in_days", "gte", 1, days=30))


def test_the_three_example_rules_of_the_issue(orders_world, shop):
    dee = ShopFan.objects.get(shop=shop, name="Dee")
    ShopFan.objects.filter(pk=dee.pk).update(last_visit_at=NOW)
    spent_over_500 = one("spend_in_days", "gte", 50001, days=90)
    bought_baby = one("bought_category", "any", [orders_world["baby"].pk])
    no_visit_30 = one("last_visit_at", "not_within_days", 30)
    assert names(shop, spent_over_500) == set()
    assert names(shop, one("spend_in_days", "gte", 20000, days=90)) == {"Dee"}
    assert names(shop, bought_baby) == {"Dee"}
    assert names(shop, no_visit_30) == {"Eve", "Fay"}


# --- malformed rules -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ([], "the rule: must be an object"),
        ({"op": "xor", "conditions": []}, "combine with 'and' or 'or'"),
        ({"op": "and"}, "'conditions' must be a list"),
        ({"op": "and", "conditions": [], "x": 1}, "unknown key 'x'"),
        (
            {
                "op": "and",
                "conditions": [{"field": "city", "op": "in", "value": ["a"]}, {"field": "foo"}],
            },
            "condition 2: unknown field 'foo'",
        ),
        (one("city", "gte", 3), "condition 1: unknown operator 'gte'"),
        (one("order_count", "gte", "3"), "condition 1: the value must be a whole number"),
        (one("order_count", "gte", True), "the value must be a whole number"),
        (one("order_count", "gte", 1.5), "the value must be a whole number"),
        (one("order_count", "gte", -1), "the value must be from 0"),
        (one("order_count", "between", [5, 1]), "the low end is above the high end"),
        (one("order_count", "between", 5), "'between' takes two numbers"),
        (one("last_visit_at", "within_days", 0), "the value must be from 1"),
        (one("last_visit_at", "never", 3), "'never' takes no value"),
        (one("is_follower", "is", "yes"), "the value must be true or false"),
        (one("rfm_group", "in", ["heroes"]), "'heroes' is not one of"),
        (one("city", "in", []), "the value must be a non-empty list"),
        (one("city", "in", [3]), "the values must be text"),
        (one("city", "in", ["x" * 21]), "1 to 20 characters"),
        (one("tag", "any", ["1"]), "the value must be a whole number"),
        (one("spend_in_days", "gte", 100), "the value must be a whole number"),
        (one("spend_in_days", "gte", 100, days=0), "the value must be from 1"),
        (
            {"op": "and", "conditions": [{"field": "city", "op": "in", "value": ["a"], "x": 1}]},
            "condition 1: unknown key 'x'",
        ),
        (
            {"op": "and", "conditions": [{"op": "or", "conditions": []}]},
            "condition 1: an empty group",
        ),
        (
            {
                "op": "and",
                "conditions": [
                    {
                        "op": "or",
                        "conditions": [
                            {
                                "op": "and",
                                "conditions": [
                                    {
                                        "op": "or",
                                        "conditions": [
                                            {"field": "points", "op": "gte", "value": 1}
                                        ],
                                    }
                                ],
                            }
                        ],
                    }
                ],
            },
            "condition 1.1.1: groups may be nested 3 deep at most",
        ),
        (
            {"op": "and", "conditions": [one("points", "gte", 1)["conditions"][0]] * 21},
            "20 conditions at most",
        ),
    ],
)
def test_malformed_rules_are_refused_naming_the_bad_part(shop, rule, message):
    with pytest.raises(ValidationFailed) as caught:
        conditions.validate_rule(shop=shop, rule=rule)
    assert message in caught.value.message
    assert caught.value.status == 400


def test_a_tag_or_level_of_another_shop_is_refused(shop, other_shop):
    theirs = Tag.objects.create(shop=other_shop, name="Theirs")
    level = MemberLevel.objects.create(shop=other_shop, name="Gold", threshold=1)
    with pytest.raises(ValidationFailed, match=f"tag {theirs.pk} is not one of your tags"):
        conditions.rule_to_q(shop=shop, rule=one("tag", "any", [theirs.pk]))
    with pytest.raises(ValidationFailed, match="not one of your levels"):
        conditions.validate_rule(shop=shop, rule=one("level", "in", [level.pk]))
    with pytest.raises(ValidationFailed, match="there is no category 999999"):
        conditions.validate_rule(shop=shop, rule=one("bought_category", "any", [999999]))


def test_validate_normalises_lists(crowd, shop):
    normal = conditions.validate_rule(
        shop=shop, rule=one("city", "in", [" Hangzhou", "Beijing", "Hangzhou"])
    )
    assert normal == {
        "op": "and",
        "conditions": [{"field": "city", "op": "in", "value": ["Beijing", "Hangzhou"]}],
    }


def test_describe_rule_reads_as_a_sentence(crowd, shop, category):
    rule = {
        "op": "and",
        "conditions": [
            {"field": "spend_in_days", "days": 90, "op": "gte", "value": 50000},
            {
                "op": "or",
                "conditions": [
                    {"field": "bought_category", "op": "any", "value": [category.pk]},
                    {"field": "last_visit_at", "op": "not_within_days", "value": 30},
                    {"field": "tag", "op": "any", "value": [crowd["vip"].pk]},
                ],
            },
        ],
    }
    text = conditions.describe_rule(conditions.validate_rule(shop=shop, rule=rule))
    assert text.startswith("Spent at least ¥500 in the last 90 days and (bought from ")
    assert "last visit not in the last 30 days or tagged VIP)" in text
    assert conditions.describe_rule({"op": "and", "conditions": []}) == "All fans"
