"""Shops and listings: opening a shop, listing from the catalogue inside the supplier's bounds,
own goods, pinning and ordering, and that one owner never changes another's shop."""

from __future__ import annotations

import pytest

from tests.factories import make_listing, make_product, make_shop, make_user, sku_input
from vshop.catalog import services as catalog
from vshop.catalog.models import Product
from vshop.errors import NotFound, ValidationFailed
from vshop.inventory.models import Stock
from vshop.shops import selectors, services
from vshop.shops.errors import (
    AlreadyListed,
    PriceOutOfBounds,
    ProductNotAvailable,
    ShopSuspended,
    SlugTaken,
)
from vshop.shops.models import Listing, ListingPrice, Shop

pytestmark = pytest.mark.django_db


def test_open_a_shop_makes_the_account_a_shop_owner():
    owner = make_user()

    shop = services.shop_open(owner=owner, name="Lily 的好物", slug="Lily-Picks", bio="Mum of two.")

    assert shop.slug == "lily-picks"
    assert owner.has_role("shop_owner")


@pytest.mark.parametrize("slug", ["ab", "-lily", "lily_picks", "莉莉", "admin", "api"])
def test_bad_or_reserved_short_addresses_are_refused(slug):
    with pytest.raises((ValidationFailed, SlugTaken)):
        services.shop_open(owner=make_user(), name="Shop", slug=slug)

    assert Shop.objects.count() == 0


def test_a_short_address_is_taken_once(shop):
    with pytest.raises(SlugTaken) as exc:
        services.shop_open(owner=make_user(), name="Copy", slug=shop.slug)

    assert exc.value.status == 409


def test_adding_a_catalogue_product_takes_the_suggested_prices(shop, product):
    listing = make_listing(shop, product)

    prices = {p.sku.code: p.retail_price for p in listing.prices.select_related("sku")}
    assert prices == {"RED-M": 1990, "BLUE-L": 2190}
    product.refresh_from_db()
    assert product.listing_count == 1


def test_the_owner_sets_her_price_inside_the_bounds(shop, product):
    sku = product.skus.get(code="RED-M")

    listing = make_listing(shop, product, prices={sku.pk: 2500}, endorsement="Soft!")

    assert ListingPrice.objects.get(listing=listing, sku=sku).retail_price == 2500


@pytest.mark.parametrize("price", [1499, 3001], ids=["below-min", "above-max"])
def test_a_price_outside_the_bounds_is_refused_and_nothing_is_written(shop, product, price):
    sku = product.skus.get(code="RED-M")

    with pytest.raises(PriceOutOfBounds) as exc:
        make_listing(shop, product, prices={sku.pk: price})

    assert exc.value.details == {"sku_id": sku.pk, "min": 1500, "max": 3000}
    assert Listing.objects.count() == 0
    assert ListingPrice.objects.count() == 0


def test_an_unknown_sku_is_refused(shop, product, other_shop):
    foreign = make_product(product.supplier, title="Other")

    with pytest.raises(ValidationFailed, match="Unknown SKU"):
        make_listing(shop, product, prices={foreign.skus.first().pk: 2000})

    assert Listing.objects.count() == 0


def test_a_product_is_listed_once_per_shop(listing):
    with pytest.raises(AlreadyListed):
        make_listing(listing.shop, listing.product)


def test_drafts_cannot_be_listed(shop, supplier):
    draft = make_product(supplier, publish=False)

    with pytest.raises(ProductNotAvailable):
        make_listing(shop, draft)


def test_another_owner_cannot_change_a_listing_or_shop(listing, other_shop):
    rival = other_shop.owner
    sku = listing.product.skus.first()

    with pytest.raises(NotFound):
        services.listing_update(
            listing=listing, actor=rival, prices={sku.pk: 1500}, endorsement="spam"
        )
    with pytest.raises(NotFound):
        services.listing_remove(listing=listing, actor=rival)
    with pytest.raises(NotFound):
        services.shop_update(shop=listing.shop, actor=rival, name="Taken over")
    with pytest.raises(NotFound):
        services.listing_add_from_catalog(
            shop=listing.shop, actor=rival, product_id=listing.product_id
        )
    with pytest.raises(NotFound):
        services.listing_reorder(shop=other_shop, actor=rival, listing_ids=[listing.pk])
    with pytest.raises(NotFound):
        selectors.listing_of_owner(owner=rival, listing_id=listing.pk)

    listing.refresh_from_db()
    assert listing.endorsement == "My daughter wears it every day."
    assert ListingPrice.objects.get(listing=listing, sku=sku).retail_price == 1990
    assert Shop.objects.get(pk=listing.shop_id).name.startswith("Shop")


def test_pin_and_order_listings(shop, supplier):
    a, b, c = (make_listing(shop, make_product(supplier, title=t)) for t in "ABC")

    services.listing_reorder(shop=shop, actor=shop.owner, listing_ids=[c.pk, a.pk, b.pk])
    services.listing_update(listing=b, actor=shop.owner, is_pinned=True)

    ordered = [listing.product.title for listing in Listing.objects.filter(shop=shop)]
    assert ordered == ["B", "C", "A"]


def test_own_goods_are_listed_with_her_own_price_and_stock(shop, category):
    listing = services.listing_create_own_goods(
        shop=shop,
        actor=shop.owner,
        title="Hand-knitted scarf",
        category_id=category.pk,
        skus=[services.OwnSkuInput(code="GREY", price=8800, stock=3, options={"colour": "grey"})],
        endorsement="I knit each one myself.",
    )

    product = listing.product
    assert product.shop == shop and product.supplier is None
    assert Stock.objects.get(sku__product=product).quantity == 3
    offer = selectors_offer(listing)
    assert offer.price_from == 8800 and offer.skus[0].margin == 8800


def test_own_goods_are_not_in_the_supplier_catalogue(shop, category):
    services.listing_create_own_goods(
        shop=shop,
        actor=shop.owner,
        title="Jam",
        category_id=category.pk,
        skus=[services.OwnSkuInput(code="J", price=3000, stock=1)],
    )

    from vshop.catalog.selectors import catalogue_browse

    assert list(catalogue_browse()) == []


def test_a_suspended_shop_cannot_list(shop, product, operator):
    services.shop_suspend(shop=shop, operator=operator, reason="counterfeits")

    with pytest.raises(ShopSuspended):
        make_listing(shop, product)


def test_supplier_narrowing_bounds_moves_shop_prices_inside(listing):
    product = listing.product
    supplier_owner = product.supplier.owner
    sku = product.skus.get(code="RED-M")
    services.listing_update(listing=listing, actor=listing.shop.owner, prices={sku.pk: 2900})

    catalog.product_update(
        product=product,
        actor=supplier_owner,
        skus=[sku_input("RED-M", hi=2500), sku_input("BLUE-L", suggested=2190)],
    )

    assert ListingPrice.objects.get(listing=listing, sku=sku).retail_price == 2500


def test_every_change_bumps_the_shop_pages_version(listing):
    shop = listing.shop
    before = Shop.objects.get(pk=shop.pk).content_version

    services.listing_update(listing=listing, actor=shop.owner, endorsement="Even better")
    catalog.product_unpublish(product=listing.product, actor=listing.product.supplier.owner)

    assert Shop.objects.get(pk=shop.pk).content_version == before + 2


def test_remove_a_listing_gives_back_the_popularity(listing):
    services.listing_remove(listing=listing, actor=listing.shop.owner)

    assert Product.objects.get(pk=listing.product_id).listing_count == 0


def selectors_offer(listing):
    from vshop.shops.strategy import strategy_for

    loaded = selectors.listing_offer_queryset(Listing.objects.filter(pk=listing.pk)).get()
    return strategy_for().offer_for(loaded)


def test_editing_the_persona_keeps_fans_and_a_suspension_that_came_meanwhile(shop, fan, operator):
    from vshop.fans.services import fan_follow

    stale = Shop.objects.get(pk=shop.pk)  # the owner's form was loaded before these happened
    fan_follow(fan=fan, shop=shop)
    services.shop_suspend(shop=Shop.objects.get(pk=shop.pk), operator=operator, reason="checks")

    services.shop_update(shop=stale, actor=shop.owner, name="New name", bio="New bio")

    saved = Shop.objects.get(pk=shop.pk)
    assert (saved.name, saved.bio) == ("New name", "New bio")
    assert saved.fan_count == 1
    assert saved.status == "suspended"


def test_editing_a_listing_keeps_a_reorder_and_popularity_that_came_meanwhile(shop, supplier):
    a, b = (make_listing(shop, make_product(supplier, title=t)) for t in "AB")
    stale_a = Listing.objects.get(pk=a.pk)
    stale_product = Product.objects.get(pk=a.product_id)
    services.listing_reorder(shop=shop, actor=shop.owner, listing_ids=[b.pk, a.pk])
    make_listing(make_shop(), a.product)  # another shop lists the same product

    services.listing_update(listing=stale_a, actor=shop.owner, endorsement="Still love it")
    catalog.product_update(product=stale_product, actor=supplier.owner, title="A, renamed")

    assert Listing.objects.get(pk=a.pk).position == 2
    assert Product.objects.get(pk=a.product_id).listing_count == 2
