"""Load, reset and describe the demo: every row is made through the services, as a person using
VShop would make it, so the demo obeys every rule the product enforces.

Deterministic: one seeded ``Random`` drives every choice, so two loads give the same shops,
products, prices and fans (only the random file names of uploaded images differ).
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.test.utils import override_settings
from huey.contrib.djhuey import HUEY

from vshop.accounts import services as accounts
from vshop.accounts.identifiers import normalize_mobile
from vshop.accounts.models import User
from vshop.campaigns.models import DailyMessageCount, ShopSendProfile
from vshop.catalog import services as catalog
from vshop.catalog.models import Category, Product, ProductImage, Sku, Supplier, SupplierStatus
from vshop.circle import timelines
from vshop.circle.models import TimelineEntry
from vshop.demo import buying, circle, data, drawings, keeping, promoting, reaching
from vshop.fans import services as fans
from vshop.fans.models import ActivityDay, ActivityEvent, ActivityHour, Follow
from vshop.ledger.maintenance import purge_books
from vshop.orders.models import AfterSalesPhoto, Checkout, DeliveryRule, Order
from vshop.payments.models import Payment, PaymentNotification, Refund, SandboxTransaction
from vshop.shops import services as shops
from vshop.shops.models import Listing, Shop

logger = logging.getLogger("vshop.demo")

SEED = 20250611
FAN_COUNT = 200
# A pending application, so the operator console has a supplier waiting for review.
APPLICANT = data.SupplierRow(
    "xiaoxiang",
    f"apply@{data.DEMO_DOMAIN}",
    "小象智能 Xiaoxiang Tech",
    "深圳小象智能科技有限公司",
    "黄磊 Huang Lei",
    "13528812345",
    "91440300MA5G7T2Y8K",
)


@dataclass(frozen=True)
class DemoSummary:
    """What the demo holds, counted in the database."""

    suppliers_approved: int
    suppliers_pending: int
    categories: int
    catalogue_products: int
    product_images: int
    shops: int
    listings: int
    own_goods_listings: int
    fans: int
    follows: int
    orders: int = 0
    fan_orders: int = 0
    delivery_rules: int = 0
    seconds: float = 0.0


# --- who the demo is -------------------------------------------------------------------------


def fan_rows() -> list[tuple[str, str]]:
    """The 200 fans as (identifier, display name). Pure and seeded: reset recomputes it to find
    the demo's accounts without any marker column."""
    rng = random.Random(SEED + 1)
    rows = [(data.FAN_EMAIL, "小美 Xiaomei")]
    seen: set[str] = {data.FAN_EMAIL}
    n = 0
    while len(rows) < FAN_COUNT:
        n += 1
        if rng.random() < 0.7:
            (sur, sur_py), (given, given_py) = (
                rng.choice(data.SURNAMES),
                rng.choice(data.GIVEN_NAMES),
            )
            name, latin = sur + given, f"{given_py}.{sur_py}"
        else:
            first, last = rng.choice(data.ENGLISH_FIRST), rng.choice(data.ENGLISH_LAST)
            name, latin = f"{first} {last}", f"{first}.{last}".lower()
        if rng.random() < 0.6:
            local = latin + rng.choice(["", str(rng.randint(1, 99))])
            domain = rng.choice(data.FAN_EMAIL_DOMAINS)
            ident = f"{local}@{domain}"
            while ident in seen:  # two fans with the same name: number the second
                local += str(n)
                ident = f"{local}@{domain}"
        else:
            ident = f"{data.FAN_MOBILE_PREFIX}{n:04d}"
        seen.add(ident)
        rows.append((ident, name))
    return rows


def _staff_emails() -> list[str]:
    return [
        data.OPERATOR_EMAIL,
        APPLICANT.email,
        *(s.email for s in data.SUPPLIERS),
        *(s.email for s in data.SHOPS),
    ]


def _demo_accounts() -> Q:
    emails = _staff_emails()
    mobiles = []
    for ident, _name in fan_rows():
        if "@" in ident:
            emails.append(ident)
        else:
            mobiles.append(normalize_mobile(ident))
    return Q(email__in=emails) | Q(mobile__in=mobiles)


def demo_is_loaded() -> bool:
    """One indexed query: the first demo shop, owned by its demo owner."""
    first = data.SHOPS[0]
    return Shop.objects.filter(slug=first.slug, owner__email=first.email).exists()


# --- prices, stock and SKUs --------------------------------------------------------------------


def _sku_inputs(rng: random.Random, row: data.ProductRow, code: str) -> list[catalog.SkuInput]:
    """Suggested price from the table; supply 52–68 % of it; bounds −15 % / +50 % (whole yuan).

    One supply ratio per product so that every variant earns the owner the same share.
    """
    ratio = rng.uniform(0.52, 0.68)
    variants = data.OPTION_SETS[row.options] or [{}]
    skus = []
    for i, variant in enumerate(variants, start=1):
        suggested = (row.yuan + sum(extra for _value, extra in variant.values())) * 100
        supply = round(suggested * ratio / 10) * 10
        min_price = max(supply, suggested * 85 // 100 // 100 * 100)
        max_price = -(-suggested * 150 // 100 // 100) * 100  # round up to whole yuan
        roll = rng.random()
        stock = 0 if roll < 0.05 else rng.randint(1, 4) if roll < 0.15 else rng.randint(20, 300)
        skus.append(
            catalog.SkuInput(
                code=f"{code}-{i}",
                supply_price=supply,
                min_price=min_price,
                max_price=max_price,
                suggested_price=suggested,
                stock=stock,
                weight_grams=rng.randint(8, 150) * 10,
                options={name: value for name, (value, _extra) in variant.items()},
            )
        )
    return skus


def _owner_price(rng: random.Random, sku: Sku) -> int | None:
    """Most owners keep the suggested price; some round it to their own, inside the bounds."""
    if rng.random() < 0.6:
        return None
    wanted = round(sku.suggested_price * rng.uniform(0.9, 1.2) / 100) * 100 - 10
    return min(max(wanted, sku.min_price), sku.max_price)


# --- the load ------------------------------------------------------------------------------


def _categories() -> dict[str, Category]:
    # Categories are platform reference data; there is no service for them yet (operators add
    # them in the console), so the demo writes them directly, idempotently.
    result = {}
    for position, (slug, zh, en) in enumerate(data.CATEGORIES):
        category, _created = Category.objects.update_or_create(
            slug=slug, defaults={"name_zh": zh, "name_en": en, "position": position}
        )
        result[slug] = category
    return result


def _supplier(row: data.SupplierRow, password_hash: str) -> Supplier:
    user = accounts.account_import(
        identifier=row.email, password_hash=password_hash, display_name=row.display_name
    )
    return catalog.supplier_apply(
        user=user,
        company_name=row.company_name,
        contact_name=row.contact_name,
        contact_phone=row.contact_phone,
        licence_number=row.licence_number,
    )


def _description(blurb: str) -> str:
    return (
        f"<p>{blurb}</p><p><strong>发货 Shipping:</strong> 供应商仓库 48 小时内发出。"
        "Ships from the supplier's warehouse within 48 hours.</p>"
    )


def _load(rng: random.Random) -> None:
    hashes = {role: make_password(pw) for role, pw in data.PASSWORDS.items() if role != "operator"}
    categories = _categories()
    operator = accounts.operator_create(
        identifier=data.OPERATOR_EMAIL,
        password=data.PASSWORDS["operator"],
        display_name="运营小陈 Ops Chen",
    )

    suppliers: dict[str, Supplier] = {}
    for row in data.SUPPLIERS:
        supplier = _supplier(row, hashes["supplier"])
        suppliers[row.key] = catalog.supplier_approve(supplier=supplier, operator=operator)
    _supplier(APPLICANT, hashes["supplier"])

    products_by_category: dict[str, list[Product]] = {slug: [] for slug in categories}
    for n, product_row in enumerate(data.PRODUCTS, start=1):
        supplier = suppliers[product_row.supplier]
        product = catalog.product_create(
            actor=supplier.owner,
            title=product_row.title,
            category_id=categories[product_row.category].pk,
            description_html=_description(product_row.blurb),
            skus=_sku_inputs(rng, product_row, f"{product_row.supplier[:2].upper()}{n:03d}"),
        )
        count = rng.choice((1, 2, 2, 3, 3))
        for photo in drawings.product_photos(rng, shape=product_row.shape, count=count):
            catalog.product_image_add(product=product, actor=supplier.owner, upload=photo)
        catalog.product_publish(product=product, actor=supplier.owner)
        products_by_category[product_row.category].append(product)

    demo_shops = []
    for i, shop_row in enumerate(data.SHOPS):
        owner = accounts.account_import(
            identifier=shop_row.email,
            password_hash=hashes["shop_owner"],
            display_name=shop_row.owner_name,
        )
        hue = i / len(data.SHOPS) + 0.05
        shop = shops.shop_open(
            owner=owner,
            name=shop_row.name,
            slug=shop_row.slug,
            bio=shop_row.bio,
            category_id=categories[shop_row.category].pk,
            avatar=drawings.avatar(rng, hue=hue),
            cover=drawings.cover(rng, hue=hue),
        )
        if shop_row.verified:
            shop = shops.shop_set_verified(shop=shop, operator=operator, verified=True)
        _fill_shop(rng, shop, shop_row, products_by_category, categories)
        demo_shops.append(shop)

    fan_hash = hashes["fan"]
    fan_users = []
    # Shops are not equally popular: a verified mum blogger draws more fans than a carpenter.
    weights = [0.3, 0.2, 0.25, 0.1, 0.15]
    for index, (identifier, name) in enumerate(fan_rows()):
        fan = accounts.account_import(
            identifier=identifier, password_hash=fan_hash, display_name=name
        )
        fan_users.append(fan)
        if index == 0:  # the demo fan login follows every shop
            followed = demo_shops
        else:
            k = rng.choice((1, 1, 2, 2, 3))
            followed = []
            while len(followed) < k:
                pick = rng.choices(demo_shops, weights=weights)[0]
                if pick not in followed:
                    followed.append(pick)
        for shop in followed:
            fans.fan_follow(fan=fan, shop=shop)

    shops_by_slug = {shop.slug: shop for shop in demo_shops}
    promoting.load_promoters(rng, shops_by_slug=shops_by_slug, fans=fan_users)
    keeping.load_loyalty(shops_by_slug=shops_by_slug)
    buying.load_buying(rng, suppliers=suppliers, shops_by_slug=shops_by_slug, fans=fan_users)
    keeping.load_keeping(rng, shops_by_slug=shops_by_slug, fans=fan_users)
    # After keeping's roll-up (on commit too, registered first): the model learns from it.
    transaction.on_commit(lambda: reaching.load_campaigns(rng, shops_by_slug=shops_by_slug))
    circle.load_circle(rng, shops_by_slug=shops_by_slug, fans=fan_users)


def _fill_shop(
    rng: random.Random,
    shop: Shop,
    row: data.ShopRow,
    products_by_category: dict[str, list[Product]],
    categories: dict[str, Category],
) -> None:
    """Her catalogue listings (most from her main category, two pinned), then her own goods."""
    primary = list(products_by_category[row.picks[0]])
    others = [p for slug in row.picks[1:] for p in products_by_category[slug]]
    rng.shuffle(primary)
    rng.shuffle(others)
    from_primary = min(len(primary), -(-row.listings * 2 // 3))
    chosen = primary[:from_primary] + others[: row.listings - from_primary]
    for position, product in enumerate(chosen):
        prices = {}
        for sku in product.skus.all():
            price = _owner_price(rng, sku)
            if price is not None:
                prices[sku.pk] = price
        texts = data.ENDORSEMENTS[product.category.slug]
        shops.listing_add_from_catalog(
            shop=shop,
            actor=shop.owner,
            product_id=product.pk,
            endorsement=rng.choice(texts) if rng.random() < 0.85 else "",
            prices=prices,
            is_pinned=position < 2,
        )
    for n, goods in enumerate(row.own_goods, start=1):
        listing = shops.listing_create_own_goods(
            shop=shop,
            actor=shop.owner,
            title=goods.title,
            category_id=categories[goods.category].pk,
            skus=[shops.OwnSkuInput(code=f"OWN-{n}", price=goods.yuan * 100, stock=goods.stock)],
            description_html=f"<p>{goods.endorsement}</p><p>店主自己发货。Shipped by the owner.</p>",
            endorsement=goods.endorsement,
        )
        for photo in drawings.product_photos(rng, shape=goods.shape, count=2):
            catalog.product_image_add(product=listing.product, actor=shop.owner, upload=photo)


def _delete_orders(
    users: QuerySet[User], demo_shops: QuerySet[Shop], product_ids: list[int]
) -> list[str]:
    """Delete every checkout that touches the demo (a demo buyer, a demo shop, a demo supplier
    or product) with its orders, payments, refunds and the sandbox's record of them. Orders,
    payments and refunds protect what they point at, so they go first. Returns the files of
    after-sales photos to remove."""
    touching = Order.objects.filter(
        Q(buyer__in=users)
        | Q(shop__in=demo_shops)
        | Q(supplier__owner__in=users)
        | Q(lines__sku__product_id__in=product_ids)
    )
    checkout_ids = set(touching.values_list("checkout_id", flat=True))
    checkout_ids |= set(Checkout.objects.filter(buyer__in=users).values_list("pk", flat=True))
    paid = Payment.objects.filter(checkout_id__in=checkout_ids)
    numbers = list(paid.values_list("number", flat=True))
    Refund.objects.filter(payment__in=paid).delete()
    PaymentNotification.objects.filter(payment__in=paid).delete()
    paid.delete()
    SandboxTransaction.objects.filter(payment_number__in=numbers).delete()
    files = [
        name
        for pair in AfterSalesPhoto.objects.filter(
            request__order__checkout_id__in=checkout_ids
        ).values_list("image", "thumbnail")
        for name in pair
    ]
    # The demo's part of the book goes with its orders and accounts (and the platform's fee
    # and gateway balances are recomputed without it).
    purge_books(
        accounts=Q(user__in=users) | Q(supplier__owner__in=users),
        order_ids=list(
            Order.objects.filter(checkout_id__in=checkout_ids).values_list("pk", flat=True)
        ),
    )
    Order.objects.filter(checkout_id__in=checkout_ids).delete()
    Checkout.objects.filter(pk__in=checkout_ids).delete()
    return files


def _delete_demo() -> None:
    """Delete the demo accounts and everything they own: shops (with listings, own goods and
    follows), suppliers and their products, other shops' listings of those products, and every
    checkout with an order of the demo's (a real fan's order from a demo shop goes too: its shop
    and products go, and orders protect them).

    Nothing else is touched. There are no delete services for these rows (people never delete
    them), so this maintenance step deletes through the ORM, children first.
    """
    users = User.objects.filter(_demo_accounts())
    demo_shops = Shop.objects.filter(owner__in=users)
    products = Product.objects.filter(
        Q(supplier__owner__in=users) | Q(shop__owner__in=users)
    ).values_list("pk", flat=True)
    product_ids = list(products)
    files = _delete_orders(users, demo_shops, product_ids)
    files += [
        name
        for pair in ProductImage.objects.filter(product_id__in=product_ids).values_list(
            "image", "thumbnail"
        )
        for name in pair
    ]
    files += [name for pair in demo_shops.values_list("avatar", "cover") for name in pair if name]
    # Real shops that listed demo products lose those listings: refresh their cached pages.
    other_shop_ids = list(
        Listing.objects.filter(product_id__in=product_ids)
        .exclude(shop__in=demo_shops)
        .values_list("shop_id", flat=True)
    )
    Listing.objects.filter(Q(shop__in=demo_shops) | Q(product_id__in=product_ids)).delete()
    shops.shop_pages_changed(shop_ids=other_shop_ids)
    Follow.objects.filter(Q(fan__in=users) | Q(shop__in=demo_shops)).delete()
    # Activity rows carry plain ids (no foreign keys, to stay cheap to write): by hand.
    shop_ids = list(demo_shops.values_list("pk", flat=True))
    user_ids = list(users.values_list("pk", flat=True))
    for model in (ActivityEvent, ActivityHour, ActivityDay):
        model.objects.filter(Q(shop_id__in=shop_ids) | Q(user_id__in=user_ids)).delete()
    DailyMessageCount.objects.filter(Q(shop_id__in=shop_ids) | Q(user_id__in=user_ids)).delete()
    ShopSendProfile.objects.filter(shop_id__in=shop_ids).delete()
    TimelineEntry.objects.filter(Q(shop_id__in=shop_ids) | Q(user_id__in=user_ids)).delete()
    for user_id in user_ids:  # their Redis timelines too
        timelines.timeline_forget(user_id=user_id)
    Product.objects.filter(pk__in=product_ids).delete()
    demo_shops.delete()
    Supplier.objects.filter(owner__in=users).delete()
    users.delete()

    def remove_files() -> None:
        for name in files:
            default_storage.delete(name)

    # Files go only once the rows are gone for good; a rolled-back reset keeps its pictures.
    transaction.on_commit(remove_files)


def demo_summary() -> DemoSummary:
    users = User.objects.filter(_demo_accounts())
    demo_shops = Shop.objects.filter(owner__in=users)
    suppliers = Supplier.objects.filter(owner__in=users)
    products = Product.objects.filter(supplier__in=suppliers)
    listings = Listing.objects.filter(shop__in=demo_shops)
    return DemoSummary(
        suppliers_approved=suppliers.filter(status=SupplierStatus.APPROVED).count(),
        suppliers_pending=suppliers.filter(status=SupplierStatus.PENDING).count(),
        categories=Category.objects.filter(slug__in=[c[0] for c in data.CATEGORIES]).count(),
        catalogue_products=products.count(),
        product_images=ProductImage.objects.filter(
            Q(product__in=products) | Q(product__shop__in=demo_shops)
        ).count(),
        shops=demo_shops.count(),
        listings=listings.count(),
        own_goods_listings=listings.filter(product__shop__isnull=False).count(),
        fans=users.filter(roles__role="fan", shops__isnull=True, supplier__isnull=True)
        .exclude(is_staff=True)
        .count(),
        follows=Follow.objects.filter(shop__in=demo_shops).count(),
        orders=Order.objects.filter(buyer__in=users).count(),
        fan_orders=Order.objects.filter(buyer__email=data.FAN_EMAIL).count(),
        delivery_rules=DeliveryRule.objects.filter(
            Q(supplier__in=suppliers) | Q(shop__in=demo_shops)
        ).count(),
    )


@contextmanager
def _contained() -> Iterator[None]:
    """While the demo loads and commits, what the services do after a commit happens here and
    now, and stays inside: Huey tasks run in this thread (the sandbox's notifications, inbox
    emails) from a queue in memory, the sandbox notifies at once and once, and emails go to
    memory, never to a mail server. Everything is put back afterwards. The worker's and the
    payments' logs of each of those steps are kept to warnings meanwhile."""
    immediate, storage = HUEY.immediate, HUEY.storage
    HUEY.immediate = True
    HUEY.storage = HUEY.get_immediate_storage()
    loggers = [logging.getLogger(name) for name in ("huey", "vshop.payments")]
    levels = [log.level for log in loggers]
    for log in loggers:
        log.setLevel(max(log.getEffectiveLevel(), logging.WARNING))
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            VSHOP_SANDBOX_MAX_DELAY_SECONDS=0,
            VSHOP_SANDBOX_DUPLICATE_RATE=0,
        ):
            yield
    finally:
        HUEY.immediate = immediate
        HUEY.storage = storage
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


def demo_load(*, reset: bool = False) -> DemoSummary:
    """Load the demo (or, with ``reset``, delete the demo's rows first and load it again).

    Does nothing but count when the demo is already there and ``reset`` is false. Everything
    happens in one transaction: a failure leaves the database as it was.
    """
    started = time.monotonic()
    with _contained(), transaction.atomic():
        if reset:
            _delete_demo()
        elif demo_is_loaded():
            logger.info("The demo data is already loaded; `vshop demo --reset` loads it afresh.")
            return demo_summary()
        _load(random.Random(SEED))
    summary = demo_summary()
    seconds = round(time.monotonic() - started, 1)
    logger.info(
        "Demo loaded in %.1f s: %d suppliers, %d products, %d shops, %d listings, %d fans, "
        "%d orders.",
        seconds,
        summary.suppliers_approved,
        summary.catalogue_products,
        summary.shops,
        summary.listings,
        summary.fans,
        summary.orders,
    )
    return DemoSummary(**{**summary.__dict__, "seconds": seconds})


def print_demo_logins() -> None:
    """The demo logins as a small table, with where to use each one."""
    host = os.environ.get("VSHOP_HOST", "127.0.0.1")
    if host in ("0.0.0.0", "::", ""):
        host = "127.0.0.1"
    base = f"http://{host}:{os.environ.get('VSHOP_PORT', '8000')}"
    lily = data.SHOPS[0]
    rows = [
        ("operator", data.OPERATOR_EMAIL, data.PASSWORDS["operator"], f"{base}/operator/"),
        ("supplier", data.SUPPLIERS[0].email, data.PASSWORDS["supplier"], f"{base}/supplier/"),
        ("shop owner", lily.email, data.PASSWORDS["shop_owner"], f"{base}/me/shop/"),
        ("fan", data.FAN_EMAIL, data.PASSWORDS["fan"], f"{base}/s/{lily.slug}/"),
        ("promoter", fan_rows()[2][0], data.PASSWORDS["fan"], f"{base}/me/promoting/"),
    ]
    widths = [
        max(len(r[i]) for r in [("role", "login", "password", "where"), *rows]) for i in range(4)
    ]
    lines = [f"VShop demo: open {base}/  (log in at {base}/accounts/login/)"]
    for r in [("role", "login", "password", "where"), *rows]:
        lines.append("  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    others = ", ".join(s.email for s in data.SHOPS[1:])
    lines.append(f"  Other shop owners ({others}) use the shop-owner password;")
    lines.append("  other demo fans use the fan password.")
    lines.append(
        f"  Buying: the fan's orders in every state are at {base}/orders/ (pay with the sandbox);"
    )
    lines.append(
        f"  the supplier and Lily ship from {base}/fulfilment/; everyone's news is at {base}/inbox/."
    )
    print("\n".join(lines), flush=True)
