"""RFM scoring by quintile within a shop (ties share a score, one buyer, nobody bought), a
known set of ten buyers that lands in every group, the same figures from the SQL and the
portable path, and the dashboard."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_user
from vshop.fans import scoring
from vshop.fans.models import RfmGroup, ShopFan

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def buyer(shop, name: str, *, days_ago: int | None, orders: int, spend: int) -> ShopFan:
    return ShopFan.objects.create(
        shop=shop,
        user=make_user(name=name),
        name=name,
        source="order",
        last_order_at=NOW - timedelta(days=days_ago) if days_ago is not None else None,
        order_count=orders,
        total_spend=spend,
    )


def scores(shop) -> dict[str, tuple[int, int, int, str]]:
    return {
        f.name: (f.recency, f.frequency, f.monetary, f.rfm_group)
        for f in ShopFan.objects.filter(shop=shop)
    }


# Ten buyers: name, days since the last order, orders, spend; then the scores and group.
TEN = [
    ("A", 100, 1, 100, (1, 1, 1, "lost")),
    ("B", 90, 9, 9000, (1, 5, 5, "at_risk")),
    ("C", 80, 2, 200, (2, 2, 2, "hibernating")),
    ("D", 70, 8, 8000, (2, 5, 5, "at_risk")),
    ("E", 60, 7, 7000, (3, 4, 4, "loyal")),
    ("F", 50, 3, 300, (3, 2, 2, "promising")),
    ("G", 40, 6, 6000, (4, 4, 4, "champions")),
    ("H", 30, 4, 400, (4, 3, 3, "loyal")),
    ("I", 20, 5, 5000, (5, 3, 3, "loyal")),
    ("J", 10, 1, 150, (5, 1, 1, "new")),
]


@pytest.fixture
def ten(shop, other_shop):
    for name, days, orders, spend, _expected in TEN:
        buyer(shop, name, days_ago=days, orders=orders, spend=spend)
    ShopFan.objects.create(shop=shop, name="Zed", source="follow")  # never bought
    buyer(other_shop, "Rival", days_ago=1, orders=50, spend=10**7)


@pytest.mark.parametrize("portable", [False, True], ids=["sql", "portable"])
def test_ten_buyers_score_by_quintile_and_reach_every_group(ten, shop, monkeypatch, portable):
    if portable:
        monkeypatch.setattr(scoring, "_update_from_supported", lambda: False)

    assert scoring.rfm_recompute(shop_id=shop.pk, now=NOW) == 10

    got = scores(shop)
    assert {name: got[name] for name, *_rest in TEN} == {name: e for name, *_r, e in TEN}
    assert got["Zed"] == (0, 0, 0, "")
    assert {g for *_s, g in got.values() if g} == set(RfmGroup.values)
    assert ShopFan.objects.filter(shop=shop, scored_at=NOW).count() == 10


def test_the_other_shop_is_not_scored_with_this_one(ten, shop, other_shop):
    scoring.rfm_recompute(shop_id=shop.pk)
    assert scores(other_shop)["Rival"] == (0, 0, 0, "")
    scoring.rfm_recompute(shop_id=other_shop.pk)
    # Alone in her shop: the middle score everywhere, and the A..J scores did not move.
    assert scores(other_shop)["Rival"] == (3, 3, 3, "loyal")
    assert scores(shop)["A"] == (1, 1, 1, "lost")


def test_ties_get_the_same_score(shop):
    for i in range(6):
        buyer(shop, f"T{i}", days_ago=5, orders=2, spend=1000 * (i // 3))
    scoring.rfm_recompute(shop_id=shop.pk)
    got = scores(shop)
    # Everybody shares recency and frequency: the middle score, which says nothing either way.
    assert {(r, f) for r, f, _m, _g in got.values()} == {(3, 3)}
    # Two tie groups of three in spend: the lower half and the upper half.
    assert sorted(m for _r, _f, m, _g in got.values()) == [2, 2, 2, 4, 4, 4]


def test_one_buyer_scores_in_the_middle(shop):
    buyer(shop, "Solo", days_ago=3, orders=2, spend=500)
    assert scoring.rfm_recompute(shop_id=shop.pk) == 1
    assert scores(shop)["Solo"] == (3, 3, 3, "loyal")


def test_nobody_bought_nobody_is_scored(shop):
    ShopFan.objects.create(shop=shop, name="Idle", source="follow")
    assert scoring.rfm_recompute(shop_id=shop.pk) == 0
    assert scores(shop)["Idle"] == (0, 0, 0, "")
    assert all(row.fans == 0 and row.share == 0 for row in scoring.rfm_dashboard(shop=shop))


def test_a_fan_whose_orders_were_undone_loses_her_scores(ten, shop):
    scoring.rfm_recompute(shop_id=shop.pk)
    ShopFan.objects.filter(shop=shop, name="G").update(order_count=0, last_order_at=None)
    assert scoring.rfm_recompute(shop_id=shop.pk) == 9
    assert scores(shop)["G"] == (0, 0, 0, "")


def test_rerunning_gives_the_same_scores(ten, shop):
    scoring.rfm_recompute(shop_id=shop.pk)
    first = scores(shop)
    scoring.rfm_recompute(shop_id=shop.pk)
    assert scores(shop) == first


def test_recompute_all_scores_every_shop(ten, shop, other_shop):
    assert scoring.rfm_recompute_all() == 11
    assert scores(other_shop)["Rival"][3] == "loyal"


def test_quintiles_of_distinct_and_tied_values():
    assert scoring._scores([5, 4, 3, 2, 1]) == [5, 4, 3, 2, 1]
    assert scoring._scores(list(range(10))) == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert scoring._scores([7, 7, 7]) == [3, 3, 3]
    assert scoring._scores([1]) == [3]


def test_every_set_of_scores_gets_exactly_one_group():
    for r, f, m, orders in itertools.product(range(1, 6), range(1, 6), range(1, 6), (1, 2)):
        assert scoring.rfm_group_of(r=r, f=f, m=m, order_count=orders) in RfmGroup.values


def test_dashboard_counts_and_shares(ten, shop):
    scoring.rfm_recompute(shop_id=shop.pk, now=NOW)
    rows = {row.group: row for row in scoring.rfm_dashboard(shop=shop)}
    assert list(rows) == list(RfmGroup.values)
    assert rows["loyal"].fans == 3 and rows["loyal"].share == 0.3
    assert rows["at_risk"].fans == 2 and rows["lost"].fans == 1
    assert sum(r.fans for r in rows.values()) == 10
    assert scoring.rfm_scored_at(shop=shop) == NOW


def test_api_dashboard_and_another_owner_gets_404(ten, shop, other_shop):
    from tests.api.conftest import client_for

    scoring.rfm_recompute(shop_id=shop.pk, now=NOW)
    answer = client_for(shop.owner).get(f"/api/shops/{shop.slug}/rfm")
    assert answer.status_code == 200
    body = answer.json()
    assert body["scored"] == 10
    groups = {g["group"]: g for g in body["groups"]}
    assert list(groups) == list(RfmGroup.values)
    assert groups["at_risk"]["count"] == 2 and groups["at_risk"]["share"] == 0.2
    assert groups["champions"]["label"] == "Champions" and groups["champions"]["advice"]

    rival = client_for(other_shop.owner)
    assert rival.get(f"/api/shops/{shop.slug}/rfm").status_code == 404
    own = rival.get(f"/api/shops/{other_shop.slug}/rfm").json()
    assert own["scored"] == 0  # her shop was not scored; my fans never show up there
