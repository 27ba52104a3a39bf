"""Deleting an account: refused (409, nothing changed) while she runs a shop, is a supplier, has
unfinished orders or money in the book; otherwise her personal data is erased, her orders stay
anonymised for the accounts (the book still checks out) and she can no longer log in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.api.conftest import client_for
from tests.buying import committed, make_address, pay, place, ship
from tests.factories import PASSWORD, make_supplier, make_user
from tests.ledger.books import fund
from vshop.accounts import services as accounts
from vshop.accounts.deletion import DELETED_NAME, account_delete
from vshop.accounts.models import ApiToken, User
from vshop.errors import Conflict, ValidationFailed
from vshop.fans import privacy
from vshop.fans import services as fans
from vshop.fans.models import (
    ActivityDay,
    ActivityEvent,
    ActivityHour,
    Follow,
    PrivacySettings,
    ShopFan,
)
from vshop.ledger import services as ledger
from vshop.ledger.checks import ledger_check
from vshop.ledger.models import AccountKind, Bucket
from vshop.orders import services as orders
from vshop.orders.models import Address, Cart, Order
from vshop.orders.states import OrderStatus
from vshop.shops.models import Shop

pytestmark = pytest.mark.django_db


def completed_order(buyer: User, listing) -> Order:
    checkout = pay(place(buyer, listing))
    order = checkout.orders.get()
    ship(order)
    with committed():
        orders.order_confirm_receipt(order_number=order.number, actor=buyer)
        orders.orders_complete_due(now=timezone.now() + timedelta(days=60))
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    return order


def snapshot(user: User) -> tuple:
    user = User.objects.get(pk=user.pk)
    return (
        user.email,
        user.mobile,
        user.display_name,
        user.password,
        user.is_active,
        Follow.objects.filter(fan=user).count(),
        ShopFan.objects.filter(user=user).count(),
        Address.objects.filter(user=user).count(),
        list(Order.objects.filter(buyer=user).values_list("ship_name", "ship_detail")),
    )


def log_in(identifier: str, password: str = PASSWORD) -> int:
    return (
        Client()
        .post(
            "/api/accounts/login",
            {"identifier": identifier, "password": password},
            content_type="application/json",
        )
        .status_code
    )


# --- success --------------------------------------------------------------------------------


def test_deleting_erases_her_personal_data_and_keeps_her_orders_anonymised(shop, listing, fan):
    make_address(fan, name="Li Hua", mobile="13800138000", detail="1 Lingyin Road")
    order = completed_order(fan, listing)
    fans.fan_follow(fan=fan, shop=shop)
    privacy.privacy_update(user=fan, share_email=True)
    orders.cart_of_user(user=fan)
    ActivityEvent.objects.create(
        shop_id=shop.pk, user_id=fan.pk, kind=1, at=timezone.now(), local_hour=3
    )
    ActivityHour.objects.create(
        shop_id=shop.pk, user_id=fan.pk, hour=timezone.now(), local_hour=3, visits=1
    )
    ActivityDay.objects.create(shop_id=shop.pk, user_id=fan.pk, day=timezone.now().date())
    _token, raw = accounts.api_token_create(user=fan, name="phone")
    browser = Client()
    browser.force_login(fan)
    # Somebody else, who must keep everything.
    other = make_user("other@example.com")
    make_address(other)
    fans.fan_follow(fan=other, shop=shop)
    assert Shop.objects.get(pk=shop.pk).fan_count == 2

    account_delete(user=fan, password=PASSWORD)

    fan = User.objects.get(pk=fan.pk)
    assert fan.email.endswith("@deleted.invalid") and "fan@" not in fan.email
    assert fan.mobile is None
    assert fan.display_name == DELETED_NAME
    assert not fan.has_usable_password() and not fan.is_active
    assert not Address.objects.filter(user=fan).exists()
    assert not Cart.objects.filter(user=fan).exists()
    assert not Follow.objects.filter(fan=fan).exists()
    assert not ShopFan.objects.filter(user=fan).exists()
    assert not PrivacySettings.objects.filter(user=fan).exists()
    for model in (ActivityEvent, ActivityHour, ActivityDay):
        assert not model.objects.filter(user_id=fan.pk).exists()
    assert not ApiToken.objects.filter(user=fan, revoked_at__isnull=True).exists()
    assert Shop.objects.get(pk=shop.pk).fan_count == 1
    # Her order stays, for the shop's and the supplier's accounts, without her name and street.
    order = Order.objects.get(pk=order.pk)
    assert order.buyer_id == fan.pk
    assert order.ship_name == DELETED_NAME
    assert order.ship_mobile == "" and order.ship_detail == ""
    assert (order.ship_province, order.ship_city) == ("Zhejiang", "Hangzhou")
    assert order.total > 0 and order.lines.count() == 1
    assert ledger_check() == []
    # She cannot log in, her session ended and her token no longer works.
    assert log_in("fan@example.com") == 401
    assert browser.get("/api/me").status_code == 401
    assert Client().get("/api/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
    # The other fan keeps everything.
    assert Address.objects.filter(user=other).count() == 1
    assert ShopFan.objects.filter(user=other).exists()
    assert log_in("other@example.com") == 200


def test_a_fan_without_orders_can_delete_her_account(fan):
    account_delete(user=fan, password=PASSWORD)

    assert not User.objects.get(pk=fan.pk).is_active


def test_her_sessions_are_deleted(fan):
    client = Client()
    client.force_login(fan)
    assert Session.objects.count() == 1

    account_delete(user=fan, password=PASSWORD)

    assert Session.objects.count() == 0


# --- refusals ---------------------------------------------------------------------------------


def test_a_wrong_password_is_400_and_changes_nothing(shop, fan):
    fans.fan_follow(fan=fan, shop=shop)
    before = snapshot(fan)

    with pytest.raises(ValidationFailed) as exc:
        account_delete(user=fan, password="not-my-password")

    assert exc.value.status == 400
    assert snapshot(fan) == before


def test_a_shop_owner_is_refused(shop):
    owner = shop.owner
    before = snapshot(owner)

    with pytest.raises(Conflict) as exc:
        account_delete(user=owner, password=PASSWORD)

    assert exc.value.status == 409 and exc.value.details["reason"] == "owns_shop"
    assert snapshot(owner) == before


def test_a_supplier_is_refused(operator):
    supplier = make_supplier(operator=operator)
    before = snapshot(supplier.owner)

    with pytest.raises(Conflict) as exc:
        account_delete(user=supplier.owner, password=PASSWORD)

    assert exc.value.details["reason"] == "supplier"
    assert snapshot(supplier.owner) == before


@pytest.mark.parametrize("stage", ["unpaid", "paid", "shipped", "delivered"])
def test_unfinished_orders_are_refused(shop, listing, fan, stage):
    checkout = place(fan, listing)
    if stage != "unpaid":
        pay(checkout)
        order = checkout.orders.get()
        if stage in ("shipped", "delivered"):
            ship(order)
        if stage == "delivered":
            with committed():
                orders.order_confirm_receipt(order_number=order.number, actor=fan)
    fans.fan_follow(fan=fan, shop=shop)
    before = snapshot(fan)

    with pytest.raises(Conflict) as exc:
        account_delete(user=fan, password=PASSWORD)

    assert exc.value.details["reason"] == "open_orders"
    assert snapshot(fan) == before


def test_money_in_the_book_is_refused(fan):
    commission = ledger.account_for(
        kind=AccountKind.PROMOTER_COMMISSION, user=fan, bucket=Bucket.AVAILABLE
    )
    fund(commission, 300)
    before = snapshot(fan)

    with pytest.raises(Conflict) as exc:
        account_delete(user=fan, password=PASSWORD)

    assert exc.value.details["reason"] == "balance"
    assert snapshot(fan) == before
    assert ledger_check() == []


# --- API and page -----------------------------------------------------------------------------


def test_api_delete_ends_the_session(fan):
    client = client_for(fan)

    r = client.post("/api/me/delete", {"password": PASSWORD})

    assert r.status_code == 204
    assert client.get("/api/me").status_code == 401
    assert not User.objects.get(pk=fan.pk).is_active


def test_api_delete_refusals(shop, fan):
    r = client_for(fan).post("/api/me/delete", {"password": "wrong-password-1"})
    assert r.status_code == 400 and r.json()["field"] == "password"

    r = client_for(shop.owner).post("/api/me/delete", {"password": PASSWORD})
    assert r.status_code == 409 and "shop" in r.json()["message"]

    assert client_for(fan).post("/api/me/delete", {}).status_code == 422
    assert client_for(None).post("/api/me/delete", {"password": PASSWORD}).status_code == 401
    assert User.objects.filter(is_active=True).count() >= 2


def test_api_delete_acts_on_the_caller_only(fan):
    other = make_user("other@example.com")

    client_for(other).post("/api/me/delete", {"password": PASSWORD})

    assert User.objects.get(pk=fan.pk).is_active
    assert User.objects.get(pk=fan.pk).email == "fan@example.com"


def test_delete_from_the_privacy_page(fan):
    client = Client()
    client.force_login(fan)

    r = client.post(reverse("fans_mine:delete"), {"password": "wrong-password-1"})
    assert r.status_code == 400
    assert 'data-testid="delete-error"' in r.content.decode()
    assert User.objects.get(pk=fan.pk).is_active

    r = client.post(reverse("fans_mine:delete"), {"password": PASSWORD})

    assert r.status_code == 302
    assert not User.objects.get(pk=fan.pk).is_active
    assert client.get(reverse("fans_mine:privacy")).status_code == 302  # logged out


def test_deleting_erases_her_send_hours_quiet_hours_unsubscribes_and_caps(shop, fan):
    from vshop.campaigns.models import DailyMessageCount, FanSendProfile
    from vshop.messaging.models import ChannelOptOut, MessagePreferences

    FanSendProfile.objects.create(user=fan, hours=bytes(168), peak=1, weight=1)
    MessagePreferences.objects.create(user=fan, quiet_start=23, quiet_end=7)
    ChannelOptOut.objects.create(user=fan, shop=shop, channel="email")
    DailyMessageCount.objects.create(user_id=fan.pk, day=timezone.localdate(), shop_id=0, count=1)
    other = make_user("keeps-hers@example.com")
    MessagePreferences.objects.create(user=other)

    account_delete(user=fan, password=PASSWORD)

    assert not FanSendProfile.objects.filter(user=fan).exists()
    assert not MessagePreferences.objects.filter(user=fan).exists()
    assert not ChannelOptOut.objects.filter(user=fan).exists()
    assert not DailyMessageCount.objects.filter(user_id=fan.pk).exists()
    assert MessagePreferences.objects.filter(user=other).exists()


def test_deleting_takes_her_likes_and_comments_off_the_circle_and_keeps_the_counts_true(
    shop, fan, django_capture_on_commit_callbacks
):
    from tests.circle.kit import make_post
    from vshop.circle import social
    from vshop.circle.models import PostComment, PostHide, PostLike, TimelineEntry

    post = make_post(shop)
    other = make_user("stays@example.com")
    social.post_like(user=fan, post_id=post.pk)
    social.post_like(user=other, post_id=post.pk)
    social.comment_add(user=fan, post_id=post.pk, text="Love it")
    social.comment_add(user=other, post_id=post.pk, text="Me too")
    hidden = make_post(shop)
    social.post_hide(user=fan, post_id=hidden.pk)
    TimelineEntry.objects.create(
        user_id=fan.pk, post_id=post.pk, shop_id=shop.pk, published_at=post.published_at
    )

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(user=fan, password=PASSWORD)

    post.refresh_from_db()
    assert (post.like_count, post.comment_count) == (1, 1)
    assert not PostLike.objects.filter(user=fan).exists()
    assert not PostComment.objects.filter(user=fan).exists()
    assert not PostHide.objects.filter(user=fan).exists()
    assert PostComment.objects.filter(user=other).exists()
    assert not TimelineEntry.objects.filter(user_id=fan.pk).exists()
