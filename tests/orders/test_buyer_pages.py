"""The buyer's pages: buy box, cart, checkout, paying on the sandbox, waiting for the payment,
her orders and after-sales, her addresses, and the header's cart count.

Each page's happy path, and the 4xx answers that leave nothing written: a bad quantity (400),
someone else's address, order or payment (404), an expired checkout (409).
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.buying import committed, make_address, pay, place, ship
from tests.factories import PASSWORD, image_upload, make_listing, make_product, make_user, sku_input
from vshop.orders import after_sales
from vshop.orders.carts import SESSION_KEY
from vshop.orders.context_processors import cart as cart_processor
from vshop.orders.models import (
    Address,
    AfterSalesRequest,
    Cart,
    CartLine,
    Checkout,
    CheckoutStatus,
    Order,
)
from vshop.orders.states import AfterSalesStatus, OrderStatus
from vshop.payments.models import Payment, PaymentStatus, SandboxTransaction
from vshop.shops import services as shops
from vshop.shops.storefront_views import CSRF_PLACEHOLDER, local_pages

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NEW_ADDRESS = {
    "address": "new",
    "name": "Li Hua",
    "mobile": "13800138000",
    "province": "Zhejiang",
    "city": "Hangzhou",
    "district": "Xihu",
    "detail": "1 Lingyin Road",
}


def _sku(listing, index: int = 0):
    return list(listing.product.skus.order_by("position", "pk"))[index]


def _add(client: Client, listing, quantity: object = 1, **extra: object):
    data = {"listing_id": listing.pk, "sku_id": _sku(listing).pk, "quantity": quantity}
    return client.post("/cart/add/", data, **extra)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _checkout_with_new_address(client: Client) -> Checkout:
    response = client.post("/checkout/", NEW_ADDRESS)
    assert response.status_code == 302, response.content.decode()[:2000]
    number = response["Location"].split("/")[2]
    return Checkout.objects.get(number=number)


# --- the buy box and the cart ----------------------------------------------------------------


def test_listing_page_has_a_buy_box_that_posts_to_the_cart(client, shop, listing):
    html = client.get(f"/s/{shop.slug}/l/{listing.pk}/").content.decode()
    assert 'action="/cart/add/"' in html
    assert f'name="sku_id" value="{_sku(listing).pk}"' in html
    assert 'name="quantity" value="1" min="1" max="99"' in html
    assert "Add to cart" in html and "Buy now" in html


def test_guest_adds_to_cart_and_sees_it_by_shop_with_the_total(client, shop, listing):
    # when a guest adds two of the first variant
    response = _add(client, listing, 2)
    # then she is taken to her cart, which shows the line, the shop and the total
    assert response.status_code == 302 and response["Location"] == "/cart/"
    html = client.get("/cart/").content.decode()
    assert listing.product.title in html
    assert shop.name in html
    assert "¥39.80" in html
    assert 'data-testid="cart-count">2<' in html


def test_adding_by_htmx_answers_in_place_with_the_new_count(client, shop, listing):
    response = _add(client, listing, 1, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Added to your cart." in html
    assert 'id="cart-badge" hx-swap-oob="true"' in html
    assert 'data-testid="cart-count">1<' in html


@pytest.mark.parametrize("quantity", [0, 100, -1, "two", ""])
def test_a_bad_quantity_is_400_and_writes_nothing(client, shop, listing, quantity):
    response = _add(client, listing, quantity)
    assert response.status_code == 400
    assert "Choose a quantity between 1 and 99." in response.content.decode() or (
        "Enter a whole number." in response.content.decode()
    )
    assert not Cart.objects.exists() and not CartLine.objects.exists()
    assert SESSION_KEY not in client.session


def test_a_bad_quantity_by_htmx_is_a_400_fragment(client, shop, listing):
    response = _add(client, listing, 0, **HTMX)
    assert response.status_code == 400
    assert "<html" not in response.content.decode()
    assert "Choose a quantity between 1 and 99." in response.content.decode()


def test_over_the_variants_purchase_limit_is_400(client, shop, listing, fan):
    sku = _sku(listing)
    sku.purchase_limit = 3
    sku.save(update_fields=["purchase_limit"])
    buyer = _logged_in(fan)
    assert _add(buyer, listing, 3).status_code == 302
    # adding more than the limit allows in all is refused, and the line keeps its 3
    response = _add(buyer, listing, 1)
    assert response.status_code == 400
    assert "Choose a quantity between 1 and 3." in response.content.decode()
    assert CartLine.objects.get().quantity == 3


def test_unknown_listing_or_variant_is_404(client, shop, listing, other_shop, supplier):
    foreign = make_listing(other_shop, make_product(supplier))
    data = {"listing_id": listing.pk, "sku_id": _sku(foreign).pk, "quantity": 1}
    assert client.post("/cart/add/", data).status_code == 404
    data = {"listing_id": 999999, "sku_id": _sku(listing).pk, "quantity": 1}
    assert client.post("/cart/add/", data).status_code == 404
    assert not CartLine.objects.exists()


def test_adding_needs_a_post_with_a_csrf_token(shop, listing):
    strict = Client(enforce_csrf_checks=True)
    assert strict.get("/cart/add/").status_code == 405
    data = {"listing_id": listing.pk, "sku_id": _sku(listing).pk, "quantity": 1}
    assert strict.post("/cart/add/", data).status_code == 403


def test_buy_now_goes_to_checkout_of_that_line_through_login(client, shop, listing, fan):
    response = client.post(
        "/cart/add/",
        {"listing_id": listing.pk, "sku_id": _sku(listing).pk, "quantity": 1, "buy_now": "1"},
    )
    line = CartLine.objects.get()
    assert response["Location"] == f"/checkout/?lines={line.pk}"
    login = client.get(response["Location"])
    assert login.status_code == 302 and login["Location"].startswith("/accounts/login/?next=")


def test_change_quantity_and_remove_a_line(client, shop, listing):
    _add(client, listing, 1)
    line = CartLine.objects.get()
    # with htmx the cart part comes back, new total in it
    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": 3}, **HTMX)
    assert response.status_code == 200
    assert "¥59.70" in response.content.decode()
    assert "<html" not in response.content.decode()
    # without JavaScript it is a plain post and a redirect
    response = client.post(f"/cart/lines/{line.pk}/", {"quantity": 2})
    assert response.status_code == 302
    line.refresh_from_db()
    assert line.quantity == 2
    response = client.post(f"/cart/lines/{line.pk}/", {"remove": "1"})
    assert response.status_code == 302
    assert not CartLine.objects.exists()
    assert "Your cart is empty." in client.get("/cart/").content.decode()


def test_changing_to_a_bad_quantity_is_400_next_to_the_line(client, shop, listing):
    _add(client, listing, 2)
    line = CartLine.objects.get()
    for bad in (0, 100, "x"):
        response = client.post(f"/cart/lines/{line.pk}/", {"quantity": bad}, **HTMX)
        assert response.status_code == 400
        assert 'data-testid="line-error"' in response.content.decode()
    line.refresh_from_db()
    assert line.quantity == 2


def test_another_visitors_cart_line_is_404(client, shop, listing):
    _add(client, listing, 1)
    line = CartLine.objects.get()
    stranger = Client()
    _add(stranger, listing, 1)
    assert stranger.post(f"/cart/lines/{line.pk}/", {"remove": "1"}).status_code == 404
    assert Client().post(f"/cart/lines/{line.pk}/", {"quantity": 1}).status_code == 404
    line.refresh_from_db()
    assert line.quantity == 1


def test_cart_shows_each_lines_problem(client, supplier, shop, fan, operator):
    low = make_listing(shop, make_product(supplier, skus=[sku_input("LOW", stock=1)]))
    _add(client, low, 2)
    html = client.get("/cart/").content.decode()
    assert "Only 1 left." in html
    assert "Change or remove the lines marked above to check out." in html
    shops.shop_suspend(shop=shop, operator=operator, reason="Checks")
    assert (
        "This shop is suspended and cannot sell right now." in client.get("/cart/").content.decode()
    )


def test_cart_groups_by_shop_and_fulfiller_with_delivery_fees(
    client, supplier, shop, other_shop, listing
):
    from vshop.orders import services as orders

    orders.delivery_rule_set(actor=supplier.owner, flat_fee=800, free_over=None)
    _add(client, listing, 1)
    _add(client, make_listing(other_shop, make_product(supplier)), 1)
    html = client.get("/cart/").content.decode()
    assert html.count('class="card cart-group"') == 2
    assert "¥8" in html  # each order pays its delivery fee
    assert "¥55.80" in html  # 19.90 + 19.90 + 2 × 8


def test_guest_cart_is_merged_into_her_account_when_she_logs_in(client, shop, listing, fan):
    _add(client, listing, 2)
    response = client.post(
        "/accounts/login/",
        {"identifier": "fan@example.com", "password": PASSWORD, "next": "/checkout/"},
    )
    assert response.status_code == 302 and response["Location"] == "/checkout/"
    line = CartLine.objects.get()
    assert line.cart.user == fan and line.quantity == 2
    assert not Cart.objects.filter(user__isnull=True).exists()
    assert "¥39.80" in client.get("/checkout/").content.decode()


# --- the header's cart count -----------------------------------------------------------------


def test_cart_count_costs_no_query_for_a_visitor_without_a_cart(rf: RequestFactory):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get("/")
    request.user = AnonymousUser()
    request.session = SessionStore()
    with CaptureQueriesContext(connection) as queries:
        assert cart_processor(request)["cart_units"]() == 0
    assert len(queries) == 0


def test_cart_count_is_one_query_for_a_buyer(rf: RequestFactory, shop, listing, fan):
    from tests.buying import add_to_cart

    add_to_cart(fan, listing, quantity=3)
    request = rf.get("/")
    request.user = fan
    units = cart_processor(request)["cart_units"]
    with CaptureQueriesContext(connection) as queries:
        assert units() == 3
        assert units() == 3
    assert len(queries) == 1


def test_header_shows_cart_and_my_orders(shop, listing, fan):
    from tests.buying import add_to_cart

    add_to_cart(fan, listing, quantity=2)
    html = _logged_in(fan).get("/").content.decode()
    assert 'href="/orders/"' in html and "My orders" in html
    assert 'data-testid="cart-count">2<' in html


# --- the storefront cache and the buy box ----------------------------------------------------


@pytest.fixture
def page_cache(settings) -> None:
    settings.VSHOP_PAGE_CACHE_SECONDS = 300
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "buyer-pages-cache-tests",
        }
    }
    cache.clear()
    local_pages.clear()


def _token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


def test_cached_listing_page_gives_each_visitor_her_own_token_and_no_cart(
    page_cache, shop, listing
):
    url = f"/s/{shop.slug}/l/{listing.pk}/"
    # given a guest with two units in her cart
    buyer = Client()
    _add(buyer, listing, 2)
    mine = buyer.get(url)
    assert "X-Page-Cache" not in mine  # her page is her own: it shows her cart
    assert 'data-testid="cart-count">2<' in mine.content.decode()
    # when two other visitors open the same page, the second from the cache
    first, second = Client(), Client()
    first_page = first.get(url)
    second_page = second.get(url)
    assert (first_page["X-Page-Cache"], second_page["X-Page-Cache"]) == ("miss", "hit")
    # then neither sees her cart, and each has a token of their own that works
    for page in (first_page, second_page):
        html = page.content.decode()
        assert "cart-count" not in html
        assert CSRF_PLACEHOLDER not in html
    first_token, second_token = (
        _token(first_page.content.decode()),
        _token(second_page.content.decode()),
    )
    assert first_token != second_token
    assert _token(mine.content.decode()) not in (first_token, second_token)
    # and the stored copy holds only the placeholder
    stored = [entry for entry in local_pages._pages.values()]
    assert stored and all(CSRF_PLACEHOLDER.encode() in e[1] for e in stored)
    assert not any(first_token.encode() in e[1] or second_token.encode() in e[1] for e in stored)
    strict = Client(enforce_csrf_checks=True)
    strict_page = strict.get(url).content.decode()
    data = {
        "listing_id": listing.pk,
        "sku_id": _sku(listing).pk,
        "quantity": 1,
        "csrfmiddlewaretoken": _token(strict_page),
    }
    assert strict.post("/cart/add/", data).status_code == 302


# --- checkout --------------------------------------------------------------------------------


def test_checkout_needs_login(client, shop, listing):
    _add(client, listing, 1)
    response = client.get("/checkout/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/checkout/"


def test_checkout_with_a_new_address_places_the_order_and_goes_to_pay(shop, listing, fan):
    buyer = _logged_in(fan)
    _add(buyer, listing, 2)
    html = buyer.get("/checkout/").content.decode()
    assert "¥39.80" in html and "Place order" in html
    response = buyer.post("/checkout/", {**NEW_ADDRESS, "note": "Ring twice"})
    checkout = Checkout.objects.get()
    assert response["Location"] == f"/checkout/{checkout.number}/pay/"
    order = Order.objects.get()
    assert (order.ship_name, order.ship_city, order.note) == ("Li Hua", "Hangzhou", "Ring twice")
    assert Address.objects.get(user=fan).is_default
    assert not CartLine.objects.exists()


def test_checkout_with_a_saved_address(shop, listing, fan):
    address = make_address(fan, name="Wang Wu")
    buyer = _logged_in(fan)
    _add(buyer, listing, 1)
    assert "Wang Wu" in buyer.get("/checkout/").content.decode()
    response = buyer.post("/checkout/", {"address": address.pk})
    assert response.status_code == 302
    assert Order.objects.get().ship_name == "Wang Wu"


def test_checkout_with_someone_elses_address_is_404_and_places_nothing(shop, listing, fan):
    theirs = make_address(make_user())
    buyer = _logged_in(fan)
    _add(buyer, listing, 1)
    response = buyer.post("/checkout/", {"address": theirs.pk})
    assert response.status_code == 404
    assert buyer.post("/checkout/", {"address": 999999}).status_code == 404
    assert not Checkout.objects.exists()
    assert CartLine.objects.count() == 1


def test_checkout_with_a_bad_new_address_is_400_and_writes_nothing(shop, listing, fan):
    buyer = _logged_in(fan)
    _add(buyer, listing, 1)
    response = buyer.post("/checkout/", {**NEW_ADDRESS, "mobile": "12345"})
    assert response.status_code == 400
    assert "Enter a valid mobile number." in response.content.decode()
    response = buyer.post("/checkout/", {**NEW_ADDRESS, "city": ""})
    assert response.status_code == 400
    assert not Address.objects.exists() and not Checkout.objects.exists()


def test_a_refused_order_keeps_no_new_address(supplier, shop, fan):
    low = make_listing(shop, make_product(supplier, skus=[sku_input("LOW", stock=1)]))
    buyer = _logged_in(fan)
    _add(buyer, low, 2)
    response = buyer.post("/checkout/", NEW_ADDRESS)
    assert response.status_code in (400, 409)
    assert not Address.objects.exists() and not Checkout.objects.exists()


def test_checkout_of_an_empty_cart_says_so(fan):
    buyer = _logged_in(fan)
    assert "Your cart is empty" in buyer.get("/checkout/").content.decode()
    make_address(fan)
    response = buyer.post("/checkout/", {"address": Address.objects.get().pk})
    assert response.status_code == 400
    assert "Your cart is empty: add something first." in response.content.decode()


def test_buy_now_checks_out_only_that_line(shop, listing, supplier, fan):
    other = make_listing(shop, make_product(supplier, title="Wooden rattle"))
    buyer = _logged_in(fan)
    _add(buyer, other, 1)
    response = buyer.post(
        "/cart/add/",
        {"listing_id": listing.pk, "sku_id": _sku(listing).pk, "quantity": 1, "buy_now": "1"},
    )
    page = buyer.get(response["Location"]).content.decode()
    assert "Wooden rattle" not in page
    line_id = response["Location"].split("=")[1]
    buyer.post("/checkout/", {**NEW_ADDRESS, "lines": line_id})
    assert Order.objects.get().lines.get().title == listing.product.title
    assert CartLine.objects.get().listing == other  # still in her cart


# --- paying ----------------------------------------------------------------------------------


def test_pay_page_shows_total_and_gateways_and_starts_a_sandbox_payment(shop, listing, fan):
    checkout = place(fan, listing, quantity=2)
    buyer = _logged_in(fan)
    html = buyer.get(f"/checkout/{checkout.number}/pay/").content.decode()
    assert "¥39.80" in html
    assert 'value="sandbox"' in html and "Sandbox (test money)" in html
    assert "minutes left" in html
    response = buyer.post(f"/checkout/{checkout.number}/pay/", {"gateway": "sandbox"})
    payment = Payment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/pay/sandbox/{payment.number}/"


def test_pay_with_an_unknown_gateway_is_400(shop, listing, fan):
    checkout = place(fan, listing)
    response = _logged_in(fan).post(f"/checkout/{checkout.number}/pay/", {"gateway": "paypal"})
    assert response.status_code == 400
    assert not Payment.objects.exists()


def test_expired_checkout_is_409_with_a_clear_message(shop, listing, fan):
    checkout = place(fan, listing)
    Checkout.objects.filter(pk=checkout.pk).update(pay_by=timezone.now() - timedelta(seconds=1))
    buyer = _logged_in(fan)
    response = buyer.get(f"/checkout/{checkout.number}/pay/")
    assert response.status_code == 409
    assert "The time to pay for this order has run out" in response.content.decode()
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED
    response = buyer.post(f"/checkout/{checkout.number}/pay/", {"gateway": "sandbox"})
    assert response.status_code == 409
    assert not Payment.objects.exists()


def test_another_buyers_checkout_is_404(shop, listing, fan):
    checkout = place(fan, listing)
    stranger = _logged_in(make_user())
    assert stranger.get(f"/checkout/{checkout.number}/pay/").status_code == 404
    assert (
        stranger.post(f"/checkout/{checkout.number}/pay/", {"gateway": "sandbox"}).status_code
        == 404
    )
    assert stranger.get(f"/checkout/{checkout.number}/done/").status_code == 404


def test_paid_checkout_pay_page_goes_to_done(shop, listing, fan):
    checkout = pay(place(fan, listing))
    response = _logged_in(fan).get(f"/checkout/{checkout.number}/pay/")
    assert response["Location"] == f"/checkout/{checkout.number}/done/"


def test_wechat_pay_code_is_drawn_as_an_inline_qr_image(shop, listing, fan, monkeypatch):
    from vshop.orders import views
    from vshop.payments import services as payments
    from vshop.payments.gateways.base import PaymentStart

    checkout = place(fan, listing)

    def fake_start(**kwargs: object) -> tuple[None, PaymentStart]:
        return None, PaymentStart(gateway="wechatpay", code_url="weixin://wxpay/bizpayurl?pr=abc")

    monkeypatch.setattr(payments, "payment_start", fake_start)
    monkeypatch.setattr(views, "_gateway_choices", lambda: [("wechatpay", "WeChat Pay")])
    response = _logged_in(fan).post(f"/checkout/{checkout.number}/pay/", {"gateway": "wechatpay"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in html
    assert "Scan with WeChat to pay" in html


def _start_sandbox(fan, checkout) -> Payment:
    buyer = _logged_in(fan)
    with committed():
        buyer.post(f"/checkout/{checkout.number}/pay/", {"gateway": "sandbox"})
    return Payment.objects.get(checkout=checkout)


def test_sandbox_page_pays_and_returns_to_done(shop, listing, fan):
    checkout = place(fan, listing)
    payment = _start_sandbox(fan, checkout)
    buyer = _logged_in(fan)
    html = buyer.get(f"/pay/sandbox/{payment.number}/").content.decode()
    assert "Sandbox — test money" in html and "¥19.90" in html
    with committed():
        response = buyer.post(f"/pay/sandbox/{payment.number}/", {"outcome": "pay"})
    assert response["Location"] == f"/checkout/{checkout.number}/done/"
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PAID
    html = buyer.get(response["Location"]).content.decode()
    assert "Paid. Thank you!" in html
    assert f"/orders/{Order.objects.get().number}/" in html


def test_sandbox_page_fail_shows_try_again(shop, listing, fan):
    checkout = place(fan, listing)
    payment = _start_sandbox(fan, checkout)
    buyer = _logged_in(fan)
    with committed():
        buyer.post(f"/pay/sandbox/{payment.number}/", {"outcome": "fail"})
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.FAILED
    html = buyer.get(f"/checkout/{checkout.number}/done/").content.decode()
    assert "The payment did not go through" in html
    assert "every 2s" not in html


def test_sandbox_page_is_404_for_anyone_but_the_payer(shop, listing, fan):
    checkout = place(fan, listing)
    payment = _start_sandbox(fan, checkout)
    stranger = _logged_in(make_user())
    assert stranger.get(f"/pay/sandbox/{payment.number}/").status_code == 404
    assert stranger.post(f"/pay/sandbox/{payment.number}/", {"outcome": "pay"}).status_code == 404
    assert SandboxTransaction.objects.get().status == "pending"
    assert _logged_in(fan).get("/pay/sandbox/P-nope/").status_code == 404


def test_done_page_polls_and_asks_the_provider_when_the_notification_is_late(
    shop, listing, fan, settings
):
    checkout = place(fan, listing)
    payment = _start_sandbox(fan, checkout)
    buyer = _logged_in(fan)
    waiting = buyer.get(f"/checkout/{checkout.number}/done/", **HTMX).content.decode()
    assert 'hx-trigger="every 2s"' in waiting and "<html" not in waiting
    # the buyer pays, but the provider's notification is still on its way
    settings.VSHOP_SANDBOX_MAX_DELAY_SECONDS = 60
    with committed():
        buyer.post(f"/pay/sandbox/{payment.number}/", {"outcome": "pay"})
    assert Checkout.objects.get().status == CheckoutStatus.PENDING_PAYMENT
    # the next poll asks the sandbox itself and finds it paid
    with committed():
        done = buyer.get(f"/checkout/{checkout.number}/done/", **HTMX).content.decode()
    assert "Paid. Thank you!" in done and "every 2s" not in done
    assert Checkout.objects.get().status == CheckoutStatus.PAID


# --- her orders ------------------------------------------------------------------------------


def test_order_list_by_tab(shop, listing, supplier, fan):
    unpaid = place(fan, listing)
    paid = pay(place(fan, make_listing(shop, make_product(supplier, title="Paid rattle"))))
    buyer = _logged_in(fan)
    assert buyer.get("/orders/").content.decode().count('data-testid="order-row"') == 2
    to_pay = buyer.get("/orders/?tab=to_pay").content.decode()
    assert to_pay.count('data-testid="order-row"') == 1
    assert f"/checkout/{unpaid.number}/pay/" in to_pay
    to_ship = buyer.get("/orders/?tab=to_ship").content.decode()
    assert "Paid rattle" in to_ship and to_ship.count('data-testid="order-row"') == 1
    assert paid.orders.get().number in to_ship
    assert "No orders here yet." in buyer.get("/orders/?tab=after_sales").content.decode()
    assert "No orders here yet." not in buyer.get("/orders/?tab=nonsense").content.decode()


def test_order_list_needs_login_and_shows_only_hers(client, shop, listing, fan):
    place(fan, listing)
    assert client.get("/orders/").status_code == 302
    assert 'data-testid="order-row"' not in _logged_in(make_user()).get("/orders/").content.decode()


def test_order_detail_shows_lines_address_money_and_history_in_her_time_zone(shop, listing, fan):
    fan.time_zone = "America/New_York"
    fan.save(update_fields=["time_zone"])
    order = pay(place(fan, listing)).orders.get()
    html = _logged_in(fan).get(f"/orders/{order.number}/").content.decode()
    assert listing.product.title in html and "Li Hua" in html and "¥19.90" in html
    assert "Paid, to be shipped" in html and "The payment provider" in html
    event = order.events.last()
    local = timezone.localtime(
        event.created_at, timezone=__import__("zoneinfo").ZoneInfo("America/New_York")
    )
    assert local.strftime("%Y-%m-%d %H:%M") in html


def test_another_buyers_order_is_404(shop, listing, fan):
    order = place(fan, listing).orders.get()
    stranger = _logged_in(make_user())
    assert stranger.get(f"/orders/{order.number}/").status_code == 404
    assert stranger.post(f"/orders/{order.number}/", {"action": "cancel"}).status_code == 404
    assert stranger.get(f"/orders/{order.number}/after-sales/").status_code == 404
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING_PAYMENT


def test_cancel_an_unpaid_order_cancels_its_checkout(shop, listing, fan):
    checkout = place(fan, listing)
    order = checkout.orders.get()
    buyer = _logged_in(fan)
    assert "Yes, cancel" in buyer.get(f"/orders/{order.number}/").content.decode()
    with committed():
        response = buyer.post(f"/orders/{order.number}/", {"action": "cancel"})
    assert response.status_code == 302
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.CANCELLED
    assert "The order is cancelled." in buyer.get(response["Location"]).content.decode()


def test_cancel_a_paid_order_refunds_it_in_full(shop, listing, fan):
    order = pay(place(fan, listing)).orders.get()
    buyer = _logged_in(fan)
    assert "Cancel and get a full refund" in buyer.get(f"/orders/{order.number}/").content.decode()
    with committed():
        buyer.post(f"/orders/{order.number}/", {"action": "cancel", "reason": "Wrong size"})
    order.refresh_from_db()
    assert (order.status, order.refunded_total) == (OrderStatus.CANCELLED, order.total)
    html = buyer.get(f"/orders/{order.number}/").content.decode()
    assert 'data-testid="order-refunded"' in html and "Wrong size" in html


def test_confirm_receipt_and_a_forbidden_action_is_409(shop, listing, fan):
    order = pay(place(fan, listing)).orders.get()
    buyer = _logged_in(fan)
    response = buyer.post(f"/orders/{order.number}/", {"action": "confirm"})
    assert response.status_code == 409  # not shipped yet
    ship(order)
    html = buyer.get(f"/orders/{order.number}/").content.decode()
    assert "SF1234567890" in html and "I received it" in html
    with committed():
        buyer.post(f"/orders/{order.number}/", {"action": "confirm"})
    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert buyer.post(f"/orders/{order.number}/", {"action": "dance"}).status_code == 400


# --- after-sales -----------------------------------------------------------------------------


def _shipped_order(fan, listing, quantity: int = 2) -> Order:
    return ship(pay(place(fan, listing, quantity=quantity)).orders.get())


def test_after_sales_for_everything_by_default(shop, listing, fan):
    order = _shipped_order(fan, listing)
    buyer = _logged_in(fan)
    html = buyer.get(f"/orders/{order.number}/after-sales/").content.decode()
    line = order.lines.get()
    assert f'name="line-{line.pk}-amount" value="39.80"' in html
    data = {
        "kind": "refund_only",
        "reason": "damaged",
        "description": "Torn seam",
        f"line-{line.pk}-include": "1",
        f"line-{line.pk}-amount": "39.80",
        f"line-{line.pk}-quantity": "2",
        "photos": [image_upload("a.png"), image_upload("b.png")],
    }
    with committed():
        response = buyer.post(f"/orders/{order.number}/after-sales/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    request = AfterSalesRequest.objects.get()
    assert request.amount == order.total and request.photos.count() == 2
    html = buyer.get(f"/orders/{order.number}/").content.decode()
    assert "Waiting for the seller" in html and "Withdraw the request" in html
    with committed():
        buyer.post(f"/orders/{order.number}/", {"action": "withdraw", "request": request.number})
    request.refresh_from_db()
    assert request.status == AfterSalesStatus.WITHDRAWN


def test_after_sales_for_part_of_a_line_and_bad_amounts(shop, listing, fan):
    order = _shipped_order(fan, listing)
    line = order.lines.get()
    buyer = _logged_in(fan)
    url = f"/orders/{order.number}/after-sales/"
    base = {"kind": "return_and_refund", "reason": "wrong_item", f"line-{line.pk}-include": "1"}
    bad = {**base, f"line-{line.pk}-amount": "19.999", f"line-{line.pk}-quantity": "1"}
    assert buyer.post(url, bad).status_code == 400
    too_much = {**base, f"line-{line.pk}-amount": "50", f"line-{line.pk}-quantity": "1"}
    assert buyer.post(url, too_much).status_code == 400
    nothing = {"kind": "refund_only", "reason": "damaged"}
    response = buyer.post(url, nothing)
    assert response.status_code == 400 and "Choose at least one item." in response.content.decode()
    assert buyer.post(url, {**base, "reason": ""}).status_code == 400
    assert not AfterSalesRequest.objects.exists()
    with committed():
        ok = buyer.post(
            url, {**base, f"line-{line.pk}-amount": "19.90", f"line-{line.pk}-quantity": "1"}
        )
    assert ok.status_code == 302
    request = AfterSalesRequest.objects.get()
    assert request.amount == 1990 and request.lines.get().quantity == 1


def test_after_sales_is_refused_before_shipping_and_after_the_window(shop, listing, fan):
    order = pay(place(fan, listing)).orders.get()
    buyer = _logged_in(fan)
    line = order.lines.get()
    data = {"kind": "refund_only", "reason": "damaged", f"line-{line.pk}-include": "1"}
    data[f"line-{line.pk}-amount"] = "19.90"
    assert buyer.post(f"/orders/{order.number}/after-sales/", data).status_code == 409
    ship(order)
    with committed():
        buyer.post(f"/orders/{order.number}/", {"action": "confirm"})
    Order.objects.filter(pk=order.pk).update(after_sales_until=timezone.now() - timedelta(1))
    assert "Ask for a refund" not in buyer.get(f"/orders/{order.number}/").content.decode()
    assert buyer.post(f"/orders/{order.number}/after-sales/", data).status_code == 409
    assert not AfterSalesRequest.objects.exists()


def test_return_shipped_after_approval_and_dispute_after_rejection(shop, listing, fan, supplier):
    order = _shipped_order(fan, listing)
    buyer = _logged_in(fan)
    with committed():
        request = after_sales.after_sales_request(
            buyer=fan, order_number=order.number, kind="return_and_refund", reason="damaged"
        )
        after_sales.after_sales_approve(actor=supplier.owner, number=request.number)
    html = buyer.get(f"/orders/{order.number}/").content.decode()
    assert "I sent it back" in html
    missing = {"action": "return_shipped", "request": request.number, "carrier": "SF"}
    assert buyer.post(f"/orders/{order.number}/", missing).status_code == 400
    with committed():
        buyer.post(
            f"/orders/{order.number}/",
            {**missing, "tracking_number": "SF999"},
        )
    request.refresh_from_db()
    assert (request.status, request.return_tracking_number) == (
        AfterSalesStatus.RETURN_SHIPPED,
        "SF999",
    )

    second = _shipped_order(fan, listing, quantity=1)
    with committed():
        rejected = after_sales.after_sales_request(
            buyer=fan, order_number=second.number, kind="refund_only", reason="changed_mind"
        )
        after_sales.after_sales_reject(actor=supplier.owner, number=rejected.number, note="Worn")
    assert "Ask the platform" in buyer.get(f"/orders/{second.number}/").content.decode()
    # a request of another order is not found through this order's page
    wrong = {"action": "dispute", "request": rejected.number, "reason": "It was new"}
    assert buyer.post(f"/orders/{order.number}/", wrong).status_code == 404
    with committed():
        buyer.post(f"/orders/{second.number}/", wrong)
    rejected.refresh_from_db()
    assert rejected.status == AfterSalesStatus.DISPUTED


# --- the address book ------------------------------------------------------------------------


def test_address_book_add_edit_default_delete(fan):
    buyer = _logged_in(fan)
    data = {k: v for k, v in NEW_ADDRESS.items() if k != "address"}
    assert buyer.post("/addresses/", data).status_code == 302
    assert buyer.post("/addresses/", {**data, "name": "Wang Wu"}).status_code == 302
    first, second = Address.objects.order_by("pk")
    assert first.is_default and not second.is_default
    html = buyer.get("/addresses/").content.decode()
    assert "Li Hua" in html and "Wang Wu" in html
    assert buyer.post(f"/addresses/{second.pk}/", {"action": "default"}).status_code == 302
    second.refresh_from_db()
    assert second.is_default
    edit = buyer.post(
        f"/addresses/{first.pk}/", {**data, "detail": "9 Nanshan Road", "action": "save"}
    )
    assert edit.status_code == 302
    first.refresh_from_db()
    assert first.detail == "9 Nanshan Road"
    assert buyer.post(f"/addresses/{first.pk}/", {**data, "mobile": "1"}).status_code == 400
    assert buyer.post(f"/addresses/{first.pk}/", {"action": "delete"}).status_code == 302
    assert list(Address.objects.all()) == [second]


def test_another_users_address_is_404(fan):
    theirs = make_address(make_user())
    buyer = _logged_in(fan)
    assert buyer.get(f"/addresses/{theirs.pk}/").status_code == 404
    assert buyer.post(f"/addresses/{theirs.pk}/", {"action": "delete"}).status_code == 404
    assert Address.objects.filter(pk=theirs.pk).exists()
