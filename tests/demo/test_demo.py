"""The demo loader: it makes what it promises (3 suppliers, ~60 products in 6+ categories with
pictures, 5 shops, 200 fans), through the services so every rule holds, the same way each time;
and a reset replaces the demo without touching anyone else's data.

The full load runs once per test here (about 10 s), so the checks share one test each.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.contrib.auth import password_validation
from django.core.files.storage import default_storage

from tests.factories import make_shop
from vshop.accounts.models import Role, User
from vshop.catalog.models import Category, Product, ProductStatus, Sku, SupplierStatus
from vshop.demo import data, demo_is_loaded, demo_load, demo_summary, print_demo_logins
from vshop.fans.models import Follow
from vshop.inventory.models import Stock
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


def test_demo_loads_what_it_promises_and_every_rule_holds(capsys):
    # given an empty database
    assert not demo_is_loaded()
    # when the demo loads
    summary = demo_load()
    # then it holds what the issue promises, within the time budget, obeying every rule
    assert demo_is_loaded()
    assert_promised_counts(summary)
    assert summary.seconds < 30
    assert_rules_hold()
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


def test_reset_loads_the_demo_afresh_and_leaves_other_data_alone():
    demo_load()
    first_shop_ids = set(Shop.objects.values_list("pk", flat=True))
    # given a real shop owner who listed a demo product
    real = make_shop(slug="real-shop")
    demo_product = Product.objects.filter(supplier__isnull=False).first()
    shops.listing_add_from_catalog(shop=real, actor=real.owner, product_id=demo_product.pk)
    # when the demo is reset
    summary = demo_load(reset=True)
    # then the demo is whole again, with new rows, and the real shop and owner are still there
    assert_promised_counts(summary)
    assert not first_shop_ids & set(Shop.objects.values_list("pk", flat=True))
    real.refresh_from_db()
    assert User.objects.filter(pk=real.owner_id).exists()
    assert not real.listings.exists()  # its listing of the old demo product went with it
    assert replace(summary, seconds=0.0) == demo_summary()
