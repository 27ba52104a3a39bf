"""Builders and fixtures for the common cast: an operator, an approved supplier with products,
shop owners with shops and listings, fans. Everything is made through the services, as in life."""

from __future__ import annotations

import io
import itertools

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from vshop.accounts import services as accounts
from vshop.accounts.models import User
from vshop.catalog import services as catalog
from vshop.catalog.models import Category, Product, Supplier
from vshop.shops import services as shops
from vshop.shops.models import Listing, Shop

PASSWORD = "Correct-horse-9"
_seq = itertools.count(1)


def make_user(identifier: str | None = None, *, name: str = "") -> User:
    n = next(_seq)
    return accounts.account_sign_up(
        identifier=identifier or f"user{n}@example.com",
        password=PASSWORD,
        display_name=name or f"User {n}",
    )


def make_operator() -> User:
    return accounts.operator_create(identifier=f"op{next(_seq)}@vshop.test", password=PASSWORD)


def make_category(slug: str | None = None) -> Category:
    n = next(_seq)
    return Category.objects.create(
        slug=slug or f"cat-{n}", name_zh=f"分类{n}", name_en=f"Category {n}"
    )


def make_supplier(*, approved: bool = True, operator: User | None = None) -> Supplier:
    n = next(_seq)
    user = make_user(f"supplier{n}@example.com")
    supplier = catalog.supplier_apply(
        user=user,
        company_name=f"Supplier {n} Ltd",
        contact_name="Wang Fang",
        contact_phone="13800138000",
        licence_number=f"91310000MA{n:08d}",
    )
    if approved:
        catalog.supplier_approve(supplier=supplier, operator=operator or make_operator())
    return supplier


def sku_input(
    code: str = "S1",
    *,
    supply: int = 1000,
    lo: int = 1500,
    suggested: int = 1990,
    hi: int = 3000,
    stock: int = 10,
    **options: str,
) -> catalog.SkuInput:
    return catalog.SkuInput(
        code=code,
        supply_price=supply,
        min_price=lo,
        max_price=hi,
        suggested_price=suggested,
        stock=stock,
        options=options,
    )


def make_product(
    supplier: Supplier,
    *,
    category: Category | None = None,
    title: str | None = None,
    skus: list[catalog.SkuInput] | None = None,
    publish: bool = True,
) -> Product:
    product = catalog.product_create(
        actor=supplier.owner,
        title=title or f"Product {next(_seq)}",
        category_id=(category or Category.objects.first() or make_category()).pk,
        description_html="<p>Soft and safe.</p>",
        skus=skus
        or [
            sku_input("RED-M", colour="red", size="M"),
            sku_input("BLUE-L", suggested=2190, colour="blue", size="L"),
        ],
    )
    if publish:
        catalog.product_publish(product=product, actor=supplier.owner)
    return product


def make_shop(owner: User | None = None, *, slug: str | None = None) -> Shop:
    n = next(_seq)
    owner = owner or make_user(f"owner{n}@example.com", name=f"Owner {n}")
    return shops.shop_open(
        owner=owner, name=f"Shop {n}", slug=slug or f"shop-{n}", bio="I test things."
    )


def make_listing(shop: Shop, product: Product, **kwargs: object) -> Listing:
    return shops.listing_add_from_catalog(
        shop=shop, actor=shop.owner, product_id=product.pk, **kwargs
    )


def image_upload(
    name: str = "photo.png", *, size: tuple[int, int] = (640, 480), fmt: str = "PNG"
) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 60, 60)).save(buf, format=fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{fmt.lower()}")


@pytest.fixture
def operator(db) -> User:
    return make_operator()


@pytest.fixture
def category(db) -> Category:
    return make_category("baby")


@pytest.fixture
def supplier(db, operator, category) -> Supplier:
    return make_supplier(operator=operator)


@pytest.fixture
def product(supplier, category) -> Product:
    return make_product(supplier, category=category, title="Organic cotton baby romper")


@pytest.fixture
def shop(db) -> Shop:
    return make_shop(slug="lily-picks")


@pytest.fixture
def listing(shop, product) -> Listing:
    return make_listing(shop, product, endorsement="My daughter wears it every day.")


@pytest.fixture
def other_shop(db) -> Shop:
    """A second owner's shop: she must never see or change the first shop's rows."""
    return make_shop(slug="rival-shop")


@pytest.fixture
def fan(db) -> User:
    return make_user("fan@example.com", name="Xiao Mei")
