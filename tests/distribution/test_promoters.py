"""Fans becoming promoters: the shop's join policy decides (open, by application, after a first
purchase), the owner approves, rejects or removes, the recruiter is bound once and never in a
loop, level 2 is only ever the recruiter, and a promoter's sale pays her a share of the margin.
Pages: the owner's promoters list, the join page, the promoter's own page."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.buying import committed, pay, place
from tests.factories import make_user
from vshop.accounts.models import User
from vshop.distribution import services
from vshop.distribution.models import (
    OrderAttribution,
    Promoter,
    PromoterStatus,
    ShareLink,
    Touch,
)
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.ledger.models import OrderSplit
from vshop.messaging.models import InboxMessage
from vshop.orders import services as orders
from vshop.orders.models import Order
from vshop.orders.states import OrderStatus
from vshop.shops.models import Shop

pytestmark = pytest.mark.django_db


# --- helpers (the other promoter tests use them too) -----------------------------------------


def share_link(sharer: User, shop: Shop, channel: str = "wechat") -> ShareLink:
    """Her share link of the shop (the share-link service builds these in life)."""
    link, _created = ShareLink.objects.get_or_create(
        sharer=sharer,
        shop=shop,
        listing=None,
        channel=channel,
        defaults={"code": secrets.token_urlsafe(12)[:16]},
    )
    return link


def visit(sharer: User, shop: Shop, *, visitor: User, days_ago: float = 0) -> Touch:
    """``visitor`` opened ``sharer``'s share link of ``shop``."""
    link = share_link(sharer, shop)
    return Touch.objects.create(
        link=link,
        shop=shop,
        sharer=sharer,
        channel=link.channel,
        visitor_id=secrets.token_hex(16),
        user=visitor,
        created_at=timezone.now() - timedelta(days=days_ago),
    )


def make_promoter(
    shop: Shop, user: User | None = None, *, recruiter: Promoter | None = None
) -> Promoter:
    """An active promoter of ``shop`` (its programme must be open)."""
    promoter = services.promoter_join(
        user=user or make_user(),
        shop=shop,
        recruiter_code=str(recruiter.pk) if recruiter else None,
    )
    assert promoter.status == PromoterStatus.ACTIVE
    return promoter


def set_programme(shop: Shop, **data: object) -> None:
    services.programme_update(owner=shop.owner, shop=shop, data=data)


def rows() -> list[tuple]:
    return list(
        Promoter.objects.order_by("pk").values_list(
            "shop_id", "user_id", "status", "recruiter_id", "decision_note"
        )
    )


def inbox(user: User) -> list[str]:
    return list(InboxMessage.objects.filter(recipient=user).values_list("kind", flat=True))


# --- join policies ----------------------------------------------------------------------------


def test_open_shop_makes_her_a_promoter_at_once_and_tells_the_owner(shop, fan):
    promoter = services.promoter_join(user=fan, shop=shop, message="I love it")
    assert promoter.status == PromoterStatus.ACTIVE and promoter.joined_at is not None
    assert promoter.recruiter is None
    assert inbox(shop.owner) == ["promoter.joined"]


def test_joining_twice_returns_the_same_role(shop, fan):
    first = services.promoter_join(user=fan, shop=shop)
    again = services.promoter_join(user=fan, shop=shop, message="again")
    assert again.pk == first.pk and again.message == ""
    assert Promoter.objects.count() == 1


def test_application_waits_for_the_owner_who_approves(shop, fan):
    set_programme(shop, join_policy="application")
    promoter = services.promoter_join(user=fan, shop=shop, message="My followers are mothers")
    assert promoter.status == PromoterStatus.APPLIED and promoter.joined_at is None
    assert inbox(shop.owner) == ["promoter.applied"]
    assert services.promoter_join(user=fan, shop=shop).pk == promoter.pk  # idempotent
    approved = services.promoter_approve(
        owner=shop.owner, shop=shop, promoter_id=promoter.pk, note="Welcome"
    )
    assert approved.status == PromoterStatus.ACTIVE and approved.joined_at is not None
    assert inbox(fan) == ["promoter.approved"]
    # approving twice changes nothing
    assert services.promoter_approve(owner=shop.owner, shop=shop, promoter_id=promoter.pk).pk


def test_rejected_applicant_reads_the_note_and_may_apply_again(shop, fan):
    set_programme(shop, join_policy="application")
    promoter = services.promoter_join(user=fan, shop=shop)
    services.promoter_reject(owner=shop.owner, shop=shop, promoter_id=promoter.pk, note="Not now")
    assert rows() == [(shop.pk, fan.pk, "rejected", None, "Not now")]
    assert inbox(fan) == ["promoter.rejected"]
    again = services.promoter_join(user=fan, shop=shop, message="Please")
    assert again.pk == promoter.pk
    assert rows() == [(shop.pk, fan.pk, "applied", None, "")]


def test_removed_promoter_may_join_again(shop, fan):
    promoter = make_promoter(shop, fan)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=promoter.pk, note="Spam")
    assert rows()[0][2] == "removed"
    assert "promoter.removed" in inbox(fan)
    assert services.promoter_join(user=fan, shop=shop).status == PromoterStatus.ACTIVE


def test_after_purchase_needs_a_paid_order_of_this_shop(shop, listing, fan):
    set_programme(shop, join_policy="after_purchase")
    with pytest.raises(Conflict) as err:
        services.promoter_join(user=fan, shop=shop)
    assert err.value.status == 409 and "first purchase" in err.value.message
    checkout = place(fan, listing)
    with pytest.raises(Conflict):  # placed, not paid
        services.promoter_join(user=fan, shop=shop)
    assert rows() == []
    pay(checkout)
    assert services.promoter_join(user=fan, shop=shop).status == PromoterStatus.ACTIVE


def test_after_purchase_does_not_count_a_cancelled_order(shop, listing, fan):
    set_programme(shop, join_policy="after_purchase")
    order = pay(place(fan, listing)).orders.get()
    with committed():
        orders.order_cancel(order_number=order.number, actor=fan)
    assert Order.objects.get(pk=order.pk).paid_at is not None
    with pytest.raises(Conflict):
        services.promoter_join(user=fan, shop=shop)
    assert rows() == []


def test_after_purchase_does_not_count_another_shops_order(shop, other_shop, product, fan):
    from tests.factories import make_listing

    set_programme(shop, join_policy="after_purchase")
    pay(place(fan, make_listing(other_shop, product)))
    with pytest.raises(Conflict):
        services.promoter_join(user=fan, shop=shop)


def test_the_owner_cannot_promote_her_own_shop(shop):
    with pytest.raises(Conflict):
        services.promoter_join(user=shop.owner, shop=shop)
    assert rows() == []


def test_a_closed_programme_takes_nobody(shop, fan):
    set_programme(shop, is_enabled=False)
    with pytest.raises(Conflict) as err:
        services.promoter_join(user=fan, shop=shop)
    assert "not taking promoters" in err.value.message
    assert rows() == []


def test_a_long_message_is_refused(shop, fan):
    with pytest.raises(ValidationFailed):
        services.promoter_join(user=fan, shop=shop, message="x" * 301)
    assert rows() == []


# --- the recruiter ----------------------------------------------------------------------------


def test_recruiter_is_the_sharer_of_her_latest_visit(shop, fan):
    first, latest = make_promoter(shop), make_promoter(shop)
    visit(first.user, shop, visitor=fan, days_ago=3)
    visit(latest.user, shop, visitor=fan, days_ago=1)
    assert services.promoter_join(user=fan, shop=shop).recruiter_id == latest.pk


def test_a_visit_outside_the_window_binds_nobody(shop, fan):
    promoter = make_promoter(shop)
    visit(promoter.user, shop, visitor=fan, days_ago=8)  # the window is 7 days
    assert services.promoter_join(user=fan, shop=shop).recruiter_id is None


def test_a_visit_through_somebody_who_is_not_a_promoter_binds_nobody(shop, fan):
    removed = make_promoter(shop)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=removed.pk)
    visit(removed.user, shop, visitor=fan)
    visit(make_user(), shop, visitor=fan, days_ago=0)  # a fan who only shares
    assert services.promoter_join(user=fan, shop=shop).recruiter_id is None


def test_a_visit_to_another_shop_binds_nobody(shop, other_shop, fan):
    promoter = make_promoter(other_shop)
    visit(promoter.user, other_shop, visitor=fan)
    assert services.promoter_join(user=fan, shop=shop).recruiter_id is None


def test_an_invitation_code_names_the_recruiter(shop, fan):
    promoter = make_promoter(shop)
    code = share_link(promoter.user, shop).code
    assert (
        services.promoter_join(user=fan, shop=shop, recruiter_code=code).recruiter_id == promoter.pk
    )
    other = make_user()
    assert (
        services.promoter_join(user=other, shop=shop, recruiter_code=str(promoter.pk)).recruiter_id
        == promoter.pk
    )


def test_an_invitation_code_wins_over_a_visit(shop, fan):
    visited, inviter = make_promoter(shop), make_promoter(shop)
    visit(visited.user, shop, visitor=fan)
    joined = services.promoter_join(
        user=fan, shop=shop, recruiter_code=share_link(inviter.user, shop).code
    )
    assert joined.recruiter_id == inviter.pk


@pytest.mark.parametrize("code", ["nope", "999999", "1" * 30])
def test_an_unknown_invitation_is_refused_and_writes_nothing(shop, fan, code):
    make_promoter(shop)
    before = rows()
    with pytest.raises(ValidationFailed) as err:
        services.promoter_join(user=fan, shop=shop, recruiter_code=code)
    assert err.value.field == "recruiter_code"
    assert rows() == before


def test_an_invitation_of_another_shop_is_refused(shop, other_shop, fan):
    elsewhere = make_promoter(other_shop)
    with pytest.raises(ValidationFailed):
        services.promoter_join(
            user=fan, shop=shop, recruiter_code=share_link(elsewhere.user, other_shop).code
        )
    with pytest.raises(ValidationFailed):
        services.promoter_join(user=fan, shop=shop, recruiter_code=str(elsewhere.pk))


def test_b_recruited_by_a_cannot_recruit_a(shop):
    a = make_promoter(shop)
    b = make_promoter(shop, recruiter=a)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=a.pk)
    before = rows()
    with pytest.raises(Conflict) as err:
        services.promoter_join(user=a.user, shop=shop, recruiter_code=share_link(b.user, shop).code)
    assert err.value.code == "binding_loop" and err.value.status == 409
    assert "binding loop" in err.value.message.lower()
    assert rows() == before


def test_a_loop_through_three_promoters_is_refused(shop):
    a = make_promoter(shop)
    b = make_promoter(shop, recruiter=a)
    c = make_promoter(shop, recruiter=b)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=a.pk)
    before = rows()
    with pytest.raises(Conflict):
        services.promoter_join(user=a.user, shop=shop, recruiter_code=str(c.pk))
    assert rows() == before


def test_a_visit_that_would_loop_binds_nobody(shop):
    # She chose nothing by visiting a link: she joins, without the binding.
    a = make_promoter(shop)
    b = make_promoter(shop, recruiter=a)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=a.pk)
    visit(b.user, shop, visitor=a.user)
    again = services.promoter_join(user=a.user, shop=shop)
    assert again.status == PromoterStatus.ACTIVE and again.recruiter_id is None


def test_the_recruiter_is_bound_once(shop, fan):
    first = make_promoter(shop)
    promoter = make_promoter(shop, fan, recruiter=first)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=promoter.pk)
    second = make_promoter(shop)
    again = services.promoter_join(user=fan, shop=shop, recruiter_code=str(second.pk))
    assert again.recruiter_id == first.pk


def test_level_two_is_only_ever_the_recruiter(shop, listing):
    # A recruited B who recruited C; C's sale pays C and B, never A.
    set_programme(shop, levels=2, level1_rate=1000, level2_rate=500)
    a = make_promoter(shop)
    b = make_promoter(shop, recruiter=a)
    c = make_promoter(shop, recruiter=b)
    buyer = make_user()
    visit(c.user, shop, visitor=buyer)
    order = pay(place(buyer, listing)).orders.get()
    attribution = OrderAttribution.objects.get(order=order)
    assert (attribution.promoter_id, attribution.promoter2_id) == (c.pk, b.pk)
    split = OrderSplit.objects.get(order=order)
    assert (split.promoter_id, split.promoter2_id) == (c.user_id, b.user_id)
    assert split.commission2 == split.margin * 500 // 10_000
    assert a.user_id not in (split.promoter_id, split.promoter2_id)


# --- the owner's decisions ---------------------------------------------------------------------


def test_decisions_only_in_their_order(shop, fan):
    set_programme(shop, join_policy="application")
    promoter = services.promoter_join(user=fan, shop=shop)
    with pytest.raises(Conflict):
        services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=promoter.pk)
    services.promoter_approve(owner=shop.owner, shop=shop, promoter_id=promoter.pk)
    with pytest.raises(Conflict):
        services.promoter_reject(owner=shop.owner, shop=shop, promoter_id=promoter.pk)
    services.promoter_remove(owner=shop.owner, shop=shop, promoter_id=promoter.pk)
    with pytest.raises(Conflict):
        services.promoter_approve(owner=shop.owner, shop=shop, promoter_id=promoter.pk)
    assert rows()[0][2] == "removed"


def test_another_owner_cannot_decide(shop, other_shop, fan):
    set_programme(shop, join_policy="application")
    promoter = services.promoter_join(user=fan, shop=shop)
    before = rows()
    for decide in (services.promoter_approve, services.promoter_reject, services.promoter_remove):
        with pytest.raises(NotFound):
            decide(owner=other_shop.owner, shop=shop, promoter_id=promoter.pk)
        with pytest.raises(NotFound):  # her own shop, another shop's promoter
            decide(owner=other_shop.owner, shop=other_shop, promoter_id=promoter.pk)
    assert rows() == before


# --- the flow: join, share, a fan buys, the promoter earns --------------------------------------


def test_promoter_joins_shares_and_earns_commission_on_the_sale(client, shop, listing):
    # given an open shop paying 10% of the margin, and a fan who joins as its promoter
    promoter = make_promoter(shop)
    # when a buyer opens her share link and buys
    buyer = make_user()
    visit(promoter.user, shop, visitor=buyer)
    checkout = pay(place(buyer, listing))
    order = checkout.orders.get()
    # then the order is hers
    attribution = OrderAttribution.objects.get(order=order)
    assert attribution.promoter_id == promoter.pk and attribution.channel == "wechat"
    # and she earns the shop's rate of its margin, rounded down
    split = OrderSplit.objects.get(order=order)
    margin = sum((x.unit_price - x.supply_price) * x.quantity for x in order.lines.all())
    assert split.promoter_id == promoter.user_id
    assert split.commission1 == margin * 1000 // 10_000 == 99
    # and her page shows the order, its commission and her pending balance
    client.force_login(promoter.user)
    page = client.get(reverse("distribution:promoting"))
    (row,) = page.context["orders"]
    assert (row.number, row.commission, row.stage, row.level) == (order.number, 99, "pending", 1)
    assert page.context["balances"][0].pending == 99
    # and the owner sees it against her promoter
    client.force_login(shop.owner)
    owner_page = client.get(reverse("distribution:owner_promoters"))
    (owner_row,) = owner_page.context["rows"]
    assert (owner_row.promoter.orders_count, owner_row.commission) == (1, 99)


def test_a_listings_own_rate_pays_instead_of_the_programmes(shop, listing):
    services.listing_commission_set(owner=shop.owner, listing_id=listing.pk, level1_rate=2500)
    promoter = make_promoter(shop)
    buyer = make_user()
    visit(promoter.user, shop, visitor=buyer)
    order = pay(place(buyer, listing)).orders.get()
    assert OrderSplit.objects.get(order=order).commission1 == 990 * 2500 // 10_000


def test_a_refunded_order_shows_as_refunded_on_her_page(client, shop, listing):
    promoter = make_promoter(shop)
    buyer = make_user()
    visit(promoter.user, shop, visitor=buyer)
    order = pay(place(buyer, listing)).orders.get()
    with committed():
        orders.order_cancel(order_number=order.number, actor=buyer)
    client.force_login(promoter.user)
    (row,) = client.get(reverse("distribution:promoting")).context["orders"]
    assert (row.stage, row.commission, row.refunded) == ("refunded", 0, 99)


# --- the owner's promoters page ------------------------------------------------------------------


def test_owner_page_lists_promoters_by_status_with_buttons(client, shop):
    set_programme(shop, join_policy="application")
    applicant = services.promoter_join(user=make_user(name="Mei"), shop=shop, message="hi")
    active = services.promoter_join(user=make_user(name="Lan"), shop=shop)
    services.promoter_approve(owner=shop.owner, shop=shop, promoter_id=active.pk)
    client.force_login(shop.owner)
    url = reverse("distribution:owner_promoters")
    page = client.get(url)
    assert page.status_code == 200
    assert {r.promoter.pk for r in page.context["rows"]} == {applicant.pk, active.pk}
    applied = client.get(url, {"status": "applied"})
    assert [r.promoter.pk for r in applied.context["rows"]] == [applicant.pk]
    assert b'data-testid="approve"' in applied.content
    assert client.get(url, {"status": "nonsense"}).status_code == 400


def test_owner_page_approves_rejects_and_removes(client, shop):
    set_programme(shop, join_policy="application")
    one = services.promoter_join(user=make_user(), shop=shop)
    two = services.promoter_join(user=make_user(), shop=shop)
    client.force_login(shop.owner)
    response = client.post(reverse("distribution:owner_approve", args=[one.pk]))
    assert response.status_code == 302
    client.post(reverse("distribution:owner_reject", args=[two.pk]), {"note": "Sorry"})
    client.post(reverse("distribution:owner_remove", args=[one.pk]), {"note": "Bye"})
    statuses = dict(Promoter.objects.values_list("pk", "status"))
    assert statuses == {one.pk: "removed", two.pk: "rejected"}
    assert Promoter.objects.get(pk=two.pk).decision_note == "Sorry"
    # a decision out of order is a 409 page that changes nothing
    assert client.post(reverse("distribution:owner_approve", args=[one.pk])).status_code == 409


def test_owner_page_hides_and_protects_another_shops_promoters(client, shop, other_shop):
    set_programme(shop, join_policy="application")
    theirs = services.promoter_join(user=make_user(), shop=shop)
    client.force_login(other_shop.owner)
    page = client.get(reverse("distribution:owner_promoters"))
    assert page.context["rows"] == []
    assert client.get(reverse("distribution:owner_promoters"), {"shop": shop.pk}).status_code == 404
    for name in ("owner_approve", "owner_reject", "owner_remove"):
        assert client.post(reverse(f"distribution:{name}", args=[theirs.pk])).status_code == 404
        url = f"{reverse(f'distribution:{name}', args=[theirs.pk])}?shop={shop.pk}"
        assert client.post(url).status_code == 404
    assert Promoter.objects.get(pk=theirs.pk).status == "applied"


def test_owner_pages_need_login(client):
    response = client.get(reverse("distribution:owner_promoters"))
    assert response.status_code == 302 and "/accounts/login" in response["Location"]


# --- the join page ---------------------------------------------------------------------------------


def test_join_page_shows_the_terms_to_anyone(client, shop):
    set_programme(shop, levels=2, level1_rate=1250, level2_rate=300)
    response = client.get(reverse("distribution:join", args=[shop.slug]))
    assert response.status_code == 200
    text = " ".join(response.content.decode().split())
    assert "12.5%" in text and "3%" in text
    assert "only on completed sales" in text
    assert "Nothing is ever paid for recruiting people" in text
    assert "Log in to join" in text
    assert "the promoter earns ¥5.00" in text and "you keep" not in text  # 12.5% of ¥40


def test_join_page_needs_login_to_join(client, shop):
    response = client.post(reverse("distribution:join", args=[shop.slug]), {"message": "hi"})
    assert response.status_code == 302 and "/accounts/login" in response["Location"]
    assert rows() == []


def test_join_page_joins_with_the_invitation_in_its_link(client, shop, fan):
    inviter = make_promoter(shop)
    code = share_link(inviter.user, shop).code
    client.force_login(fan)
    url = reverse("distribution:join", args=[shop.slug])
    page = client.get(url, {"ref": code})
    assert b'data-testid="inviter"' in page.content
    response = client.post(url, {"message": "hi", "ref": code})
    assert response.status_code == 302 and response["Location"] == reverse("distribution:promoting")
    promoter = Promoter.objects.get(user=fan)
    assert (promoter.status, promoter.recruiter_id) == ("active", inviter.pk)


def test_join_page_explains_a_refusal(client, shop, fan):
    set_programme(shop, join_policy="after_purchase")
    client.force_login(fan)
    response = client.post(reverse("distribution:join", args=[shop.slug]), {"message": ""})
    assert response.status_code == 409
    assert "first purchase" in response.content.decode()
    assert rows() == []


def test_join_page_of_an_unknown_shop_is_not_found(client):
    assert client.get(reverse("distribution:join", args=["no-such-shop"])).status_code == 404


# --- the promoter's page ---------------------------------------------------------------------------


def test_promoting_page_shows_only_her_roles_and_orders(client, shop, other_shop, listing):
    mine = make_promoter(shop)
    set_programme(other_shop, join_policy="application")
    services.promoter_join(user=mine.user, shop=other_shop)
    theirs = make_promoter(shop)
    buyer = make_user()
    visit(theirs.user, shop, visitor=buyer)
    pay(place(buyer, listing))
    client.force_login(mine.user)
    page = client.get(reverse("distribution:promoting"))
    assert page.status_code == 200
    assert {(r.shop.slug, r.status) for r, _url in page.context["roles"]} == {
        (shop.slug, "active"),
        (other_shop.slug, "applied"),
    }
    assert f'href="/share/{shop.slug}/"' in page.content.decode()
    assert page.context["orders"] == []
    assert page.context["balances"][0].pending == 0


def test_promoting_page_shows_level_two_orders_to_the_recruiter(client, shop, listing):
    set_programme(shop, levels=2, level2_rate=500)
    recruiter = make_promoter(shop)
    seller = make_promoter(shop, recruiter=recruiter)
    buyer = make_user()
    visit(seller.user, shop, visitor=buyer)
    order = pay(place(buyer, listing)).orders.get()
    client.force_login(recruiter.user)
    (row,) = client.get(reverse("distribution:promoting")).context["orders"]
    assert (row.number, row.level, row.commission) == (order.number, 2, 990 * 500 // 10_000)


def test_an_unpaid_order_waits_for_payment(client, shop, listing):
    promoter = make_promoter(shop)
    buyer = make_user()
    visit(promoter.user, shop, visitor=buyer)
    place(buyer, listing)
    client.force_login(promoter.user)
    (row,) = client.get(reverse("distribution:promoting")).context["orders"]
    assert (row.stage, row.commission) == ("awaiting_payment", 0)
    assert Order.objects.get().status == OrderStatus.PENDING_PAYMENT


# --- races (PostgreSQL, real connections) -----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_taps_on_join_at_once_make_one_promoter():
    from tests.factories import make_shop
    from tests.races import race

    shop, fan = make_shop(), make_user()
    results = race(10, lambda i: services.promoter_join(user=fan, shop=shop))
    assert results == ["ok"] * 10
    assert list(Promoter.objects.values_list("user_id", "status")) == [(fan.pk, "active")]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_owners_first_saves_at_once_make_one_programme():
    from tests.factories import make_shop
    from tests.races import race
    from vshop.distribution.models import Programme

    shop = make_shop()
    results = race(
        8,
        lambda i: services.programme_update(
            owner=shop.owner, shop=shop, data={"level1_rate": 100 * (i + 1)}
        ),
    )
    assert results == ["ok"] * 8
    (programme,) = Programme.objects.filter(shop=shop)
    assert programme.level1_rate in {100 * (i + 1) for i in range(8)}


def test_a_suspended_shop_takes_nobody_but_keeps_its_promoters(shop, fan, operator):
    from vshop.shops import services as shops

    promoter = make_promoter(shop)
    shops.shop_suspend(shop=shop, operator=operator, reason="Fake goods")
    shop.refresh_from_db()
    with pytest.raises(Conflict):
        services.promoter_join(user=fan, shop=shop)
    # a repeated join of an existing promoter still answers with her role
    assert services.promoter_join(user=promoter.user, shop=shop).pk == promoter.pk
    assert Promoter.objects.count() == 1
