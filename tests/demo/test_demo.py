"""The demo loader: it makes what it promises (3 suppliers, ~60 products in 6+ categories with
pictures, 5 shops, 200 fans, the fan's orders in every state), through the services so every rule
holds, the same way each time; and a reset replaces the demo without touching anyone else's data.

The full load runs once per test here (about 10 s), so the checks share one test each.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import pytest
from django.contrib.auth import password_validation
from django.core.files.storage import default_storage

from tests.buying import pay, place
from tests.factories import make_shop, make_user
from vshop.accounts.models import Role, User
from vshop.catalog.models import Category, Product, ProductStatus, Sku, SupplierStatus
from vshop.demo import data, demo_is_loaded, demo_load, demo_summary, print_demo_logins
from vshop.fans.models import Follow
from vshop.inventory import services as inventory
from vshop.inventory.models import Stock
from vshop.messaging.models import InboxMessage
from vshop.orders.models import (
    Address,
    AfterSalesKind,
    AfterSalesRequest,
    Checkout,
    CheckoutStatus,
    DeliveryRule,
    Order,
    OrderLine,
)
from vshop.orders.states import AfterSalesStatus, OrderStatus
from vshop.payments.models import Payment, PaymentStatus, SandboxTransaction
from vshop.shops import services as shops
from vshop.shops.models import Listing, ListingPrice, Shop

pytestmark = pytest.mark.django_db


def assert_promised_counts(summary) -> None:
    assert summary.suppliers_approved == 3
    assert summary.suppliers_pending == 1  # an application for the operator to review
    assert summary.categories >= 6
    assert 55 <= summary.catalogue_products <= 65
    assert summary.product_images >= summary.catalogue_products
    assert summary.shops == 5
    assert summary.fans == 200
    assert summary.follows >= 200


def assert_rules_hold() -> None:
    # every listing price lies inside its supplier's bounds, one price per active SKU
    for price in ListingPrice.objects.select_related("sku"):
        assert price.sku.min_price <= price.retail_price <= price.sku.max_price
    for listing in Listing.objects.prefetch_related("prices", "product__skus"):
        assert {p.sku_id for p in listing.prices.all()} == {
            s.pk for s in listing.product.skus.all() if s.is_active
        }
    catalogue_skus = Sku.objects.filter(product__supplier__isnull=False)
    for sku in catalogue_skus:
        assert 0 < sku.supply_price <= sku.min_price <= sku.suggested_price <= sku.max_price
    # most products come in variants with option values (colour, size); a few in one only
    assert catalogue_skus.exclude(options={}).count() > catalogue_skus.count() * 0.8
    assert catalogue_skus.filter(options__has_key="colour").exists()
    assert catalogue_skus.filter(options__has_key="size").exists()
    assert not Stock.objects.filter(quantity__lt=0).exists()
    assert Stock.objects.count() == Sku.objects.count()
    # catalogue products are published by approved suppliers, each with 1–3 pictures on disk
    for product in Product.objects.filter(supplier__isnull=False).prefetch_related("images"):
        assert product.status == ProductStatus.PUBLISHED
        assert product.supplier.status == SupplierStatus.APPROVED
        images = list(product.images.all())
        assert 1 <= len(images) <= 3
        assert all(default_storage.exists(i.image.name) for i in images)
        assert product.listing_count == product.listings.count()
    # categories are named in both languages, and at least six hold products
    assert Category.objects.filter(products__isnull=False).distinct().count() >= 6
    assert not Category.objects.filter(name_zh="").exists()
    assert not Category.objects.filter(name_en="").exists()
    # shops: personas with pictures, 8–15 catalogue listings, pinned ones, endorsements
    verified = 0
    for shop in Shop.objects.all():
        catalogue = shop.listings.filter(product__supplier__isnull=False)
        assert 8 <= catalogue.count() <= 15, shop
        assert shop.listings.filter(is_pinned=True).exists()
        assert catalogue.exclude(endorsement="").count() >= catalogue.count() // 2
        assert shop.bio and shop.avatar and shop.cover
        assert shop.fan_count == Follow.objects.filter(shop=shop).count() > 0
        verified += shop.is_verified
    assert 1 <= verified <= 2
    assert Listing.objects.filter(product__shop__isnull=False).count() >= 3  # own goods, C2C
    # fans log in with an email or a mobile number
    fans = User.objects.filter(roles__role=Role.FAN, shops__isnull=True, supplier__isnull=True)
    assert fans.filter(email__isnull=True).exists()
    assert fans.filter(mobile__isnull=True).exists()


@pytest.fixture
def initial_stock(monkeypatch) -> dict[int, int]:
    """The stock each SKU was created with (sku id → units), as the catalogue set it."""
    levels: dict[int, int] = {}
    real = inventory.stock_set

    def spy(*, sku, quantity):
        levels[sku.pk] = quantity
        return real(sku=sku, quantity=quantity)

    monkeypatch.setattr(inventory, "stock_set", spy)
    return levels


S = OrderStatus
SOLD = (S.PAID, S.SHIPPED, S.DELIVERED, S.COMPLETED)


def assert_stock_adds_up(initial: dict[int, int]) -> None:
    """Each SKU's units are on the shelf, held by unpaid orders or sold to paid ones."""
    reserved: Counter[int] = Counter()
    sold: Counter[int] = Counter()
    for line in OrderLine.objects.select_related("order"):
        if line.order.status == S.PENDING_PAYMENT:
            reserved[line.sku_id] += line.quantity
        elif line.order.status in SOLD:
            sold[line.sku_id] += line.quantity - line.returned_quantity
    assert sum(reserved.values()) and sum(sold.values())
    for stock in Stock.objects.all():
        assert stock.reserved == reserved[stock.sku_id], stock.sku_id
        assert stock.sold == sold[stock.sku_id], stock.sku_id
        assert stock.quantity + stock.reserved + stock.sold == initial[stock.sku_id], stock.sku_id


def assert_buying_works(initial: dict[int, int]) -> None:
    fan = User.objects.get(email=data.FAN_EMAIL)
    supplier_owner = User.objects.get(email=data.SUPPLIERS[0].email)
    lily_shop = Shop.objects.get(slug=data.SHOPS[0].slug)
    # delivery rules: the supplier ¥8, free from ¥99; Lily ¥6 for her own goods
    rule = DeliveryRule.objects.get(supplier__owner=supplier_owner)
    assert (rule.flat_fee, rule.free_over) == (800, 9900)
    rule = DeliveryRule.objects.get(shop=lily_shop)
    assert (rule.flat_fee, rule.free_over) == (600, None)
    # the fan keeps two addresses in Hangzhou, her home the default
    addresses = list(Address.objects.filter(user=fan))
    assert len(addresses) == 2
    (home,) = [a for a in addresses if a.is_default]
    assert (home.province, home.city, home.district) == ("浙江省", "杭州市", "西湖区")
    assert all(a.mobile.startswith("+86138") and len(a.mobile) == 14 for a in addresses)
    # her orders are in every state
    mine = Order.objects.filter(buyer=fan)
    assert set(mine.values_list("status", flat=True)) == {
        S.PENDING_PAYMENT,
        S.PAID,
        S.SHIPPED,
        S.DELIVERED,
        S.COMPLETED,
        S.CANCELLED,
    }
    for order in mine.filter(status__in=(S.SHIPPED, S.DELIVERED, S.COMPLETED)):
        assert order.carrier and order.tracking_number and order.shipped_at
    assert mine.filter(carrier="顺丰速运", tracking_number__startswith="SF").exists()
    assert mine.get(status=S.COMPLETED).completed_at
    assert mine.get(status=S.CANCELLED).paid_at is None
    # a refund request waits for the demo supplier
    request = AfterSalesRequest.objects.get(order__buyer=fan)
    assert request.status == AfterSalesStatus.REQUESTED
    assert request.kind == AfterSalesKind.REFUND_ONLY
    assert request.order.supplier.owner == supplier_owner
    assert request.amount == request.order.total and request.photos.count() == 1
    # one checkout spans two shops and three fulfillers, her own goods among them
    multi = [c for c in Checkout.objects.filter(buyer=fan) if c.orders.count() > 1]
    assert len(multi) == 1
    orders = list(multi[0].orders.all())
    assert len({o.shop_id for o in orders}) == 2
    assert len({o.supplier_id for o in orders}) == 3
    own = next(o for o in orders if o.supplier_id is None)
    assert own.shop == lily_shop and own.delivery_fee == 600
    # other demo fans bought too
    assert Order.objects.exclude(buyer=fan).filter(buyer__isnull=False).count() >= 2
    # every order charged its fulfiller's delivery fee, and adds up
    for order in Order.objects.select_related("supplier__delivery_rule", "shop__delivery_rule"):
        owner = order.supplier or order.shop
        rule = getattr(owner, "delivery_rule", None)
        assert order.delivery_fee == (rule.fee_for(order.items_total) if rule else 0)
        assert order.total == order.items_total + order.delivery_fee
    assert Order.objects.filter(delivery_fee=800).exists()
    assert Order.objects.filter(supplier__owner=supplier_owner, delivery_fee=0).exists()
    # paid checkouts have one succeeded payment that settled them; the others none
    for checkout in Checkout.objects.all():
        succeeded = Payment.objects.filter(checkout=checkout, status=PaymentStatus.SUCCEEDED)
        if checkout.status == CheckoutStatus.PAID:
            (payment,) = succeeded
            assert payment.settles_checkout and payment.amount == checkout.total
            assert payment.refunded_amount == 0
            assert all(o.paid_at for o in checkout.orders.all())
        else:
            assert not succeeded.exists()
    assert_stock_adds_up(initial)
    assert_promoting_works()


def assert_promoting_works() -> None:
    from vshop.analytics.models import Visit
    from vshop.distribution.models import OrderAttribution, Programme, Promoter
    from vshop.ledger.checks import ledger_check
    from vshop.ledger.models import OrderSplit

    lily = Shop.objects.get(slug=data.SHOPS[0].slug)
    assert Programme.objects.get(shop=lily).levels == 2
    recruit = Promoter.objects.get(shop=lily, recruiter__isnull=False)
    assert recruit.is_active and recruit.recruiter.is_active
    assert Promoter.objects.filter(status="applied").exists()  # AJ has an application to decide
    # the demo fan came through the recruit's link: her paid orders at Lily's pay both levels,
    # in every stage of the money's life
    fan = User.objects.get(email=data.FAN_EMAIL)
    paid_at_lily = Order.objects.filter(buyer=fan, shop=lily, paid_at__isnull=False)
    assert OrderAttribution.objects.filter(order__in=paid_at_lily, promoter=recruit).exists()
    splits = OrderSplit.objects.filter(order__in=paid_at_lily, promoter=recruit.user)
    assert {s.stage for s in splits} == {"pending", "frozen", "available"}
    assert all(s.commission2 > 0 and s.promoter2_id == recruit.recruiter.user_id for s in splits)
    assert Visit.objects.filter(shop=lily, channel="moments").exists()
    assert Visit.objects.filter(channel="direct").count() > 50
    assert ledger_check() == []


def assert_campaigns_work() -> None:
    from vshop.campaigns.models import Campaign, CampaignStatus, FanSendProfile, RecipientState

    lily = Shop.objects.get(slug=data.SHOPS[0].slug)
    sale = Campaign.objects.get(shop=lily)
    assert sale.status == CampaignStatus.DONE and sale.variants.count() == 2
    states = set(sale.recipients.values_list("state", flat=True))
    assert RecipientState.DELIVERED in states
    delivered = sale.recipients.filter(state=RecipientState.DELIVERED)
    assert delivered.filter(opened_at__isnull=False).exists()
    assert delivered.filter(clicked_at__isnull=False).exists()
    assert InboxMessage.objects.filter(kind="campaign", shop=lily).count() == delivered.count()
    best = Campaign.objects.get(shop__slug="aj-snacks")
    assert best.status == CampaignStatus.SCHEDULED and best.slots.filter(state="pending").exists()
    assert FanSendProfile.objects.exists()  # learnt from the demo's activity


def assert_circle_works() -> None:
    from vshop.circle import feed
    from vshop.circle.models import Post, PostComment

    lily = Shop.objects.get(slug=data.SHOPS[0].slug)
    assert Post.objects.filter(shop=lily).count() == 2
    assert Post.objects.filter(shop=lily, pinned_at__isnull=False).count() == 1
    assert PostComment.objects.filter(post__shop=lily, reply_to__isnull=False).exists()
    fan = User.objects.get(email=data.FAN_EMAIL)
    page = feed.circle_page(user=fan, mode="newest")
    assert len(page.posts) >= 4  # she follows every demo shop
    assert {p.shop_id for p in page.posts} >= {lily.pk}


def test_demo_loads_what_it_promises_and_every_rule_holds(
    capsys, initial_stock, django_capture_on_commit_callbacks
):
    # given an empty database
    assert not demo_is_loaded()
    # when the demo loads (and commits: what the services do after a commit happens too)
    with django_capture_on_commit_callbacks(execute=True):
        summary = demo_load()
    # then it holds what the issue promises, within the time budget, obeying every rule
    assert demo_is_loaded()
    assert_promised_counts(summary)
    assert summary.seconds < 30
    assert_rules_hold()
    # and buying works: orders in every state, paid for, their stock and fees adding up
    assert summary.fan_orders >= 8 and summary.orders > summary.fan_orders
    assert summary.delivery_rules == 2
    assert_buying_works(initial_stock)
    assert_campaigns_work()
    assert_circle_works()
    # the inbox tells the fan, Lily and the supplier about the orders
    for email in (data.FAN_EMAIL, data.SHOPS[0].email, data.SUPPLIERS[0].email):
        kinds = set(
            InboxMessage.objects.filter(recipient__email=email).values_list("kind", flat=True)
        )
        assert "order.paid" in kinds, email
    fan_kinds = InboxMessage.objects.filter(recipient__email=data.FAN_EMAIL)
    assert {"order.shipped", "order.delivered", "order.cancelled"} <= set(
        fan_kinds.values_list("kind", flat=True)
    )
    assert InboxMessage.objects.filter(
        recipient__email=data.SUPPLIERS[0].email, kind="after_sales.requested"
    ).exists()
    # and its logins work with the printed passwords
    for email, role in (
        (data.OPERATOR_EMAIL, "operator"),
        (data.SUPPLIERS[0].email, "supplier"),
        (data.SHOPS[0].email, "shop_owner"),
        (data.FAN_EMAIL, "fan"),
    ):
        user = User.objects.get(email=email)
        assert user.check_password(data.PASSWORDS[role]), email
        password_validation.validate_password(data.PASSWORDS[role], user)
    assert User.objects.get(email=data.OPERATOR_EMAIL).is_staff
    print_demo_logins()
    printed = capsys.readouterr().out
    assert "http://127.0.0.1:8000/operator/" in printed
    assert all(pw in printed for pw in data.PASSWORDS.values())
    # loading again without reset changes nothing
    assert demo_load() == replace(summary, seconds=0.0)


def test_reset_loads_the_demo_afresh_and_leaves_other_data_alone(initial_stock):
    demo_load()
    first_shop_ids = set(Shop.objects.values_list("pk", flat=True))
    # given a real shop owner who listed a demo product
    real = make_shop(slug="real-shop")
    demo_product = Product.objects.filter(supplier__isnull=False).first()
    shops.listing_add_from_catalog(shop=real, actor=real.owner, product_id=demo_product.pk)
    # and a real buyer who bought in a demo shop
    buyer = make_user("real-buyer@example.com")
    lily_listing = Listing.objects.filter(
        shop__slug=data.SHOPS[0].slug, product__skus__stock__quantity__gte=5
    ).first()
    bought = pay(place(buyer, lily_listing))
    assert bought.status == CheckoutStatus.PAID
    # when the demo is reset
    summary = demo_load(reset=True)
    # then the demo is whole again, with new rows, and the real shop and owner are still there
    assert_promised_counts(summary)
    assert not first_shop_ids & set(Shop.objects.values_list("pk", flat=True))
    real.refresh_from_db()
    assert User.objects.filter(pk=real.owner_id).exists()
    # the real buyer stays; her order from the old demo shop went with the shop
    assert User.objects.filter(pk=buyer.pk).exists()
    assert not Checkout.objects.filter(pk=bought.pk).exists()
    assert not real.listings.exists()  # its listing of the old demo product went with it
    assert replace(summary, seconds=0.0) == demo_summary()
    # the old orders, payments and after-sales went with the old demo; the new ones work
    assert Order.objects.filter(buyer__email=data.FAN_EMAIL).count() == summary.fan_orders
    assert AfterSalesRequest.objects.count() == 1
    assert Payment.objects.count() == Checkout.objects.filter(status=CheckoutStatus.PAID).count()
    assert SandboxTransaction.objects.count() == Payment.objects.count()
    assert_buying_works(initial_stock)
