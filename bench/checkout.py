"""Checkout benchmark: buyers checking out and paying, and a crowd racing for one hot SKU.

Sets up, on the configured PostgreSQL database (DATABASE_URL; by default the local server's
database vshop_bench over its Unix socket, created if missing), 1,000 SKUs of four suppliers
listed by one shop, 1,000 buyers with addresses (made once, reused by later runs) and a fresh hot
SKU of 1,000 units. Two worker processes of two threads, as a 2-core web server runs, serve the
buyers in turn. Then:

(a) buyers "buy now" 1–3 random SKUs (a checkout makes one order per supplier: 1.7 on
    average), open a sandbox payment and pay it; the sandbox's signed notification is verified
    and applied the way the web tier handles a provider's callback (the sandbox repeats 5% of
    its notifications, as providers sometimes do), inbox messages are written and emails
    "sent" inline. Measured: paid orders per second, and the p99 time from "buy now" to paid.
(b) 64 buyers race for the hot SKU, one unit each, checking out and paying, until it is sold
    out, served by the same workers. Measured: paid orders per second for that one SKU. For
    comparison it also runs the worst case, 64 connections each hammering that row at once
    (``hot_64_connections_orders_per_s``); tests/orders/test_stock_races.py proves exactness with
    50 threads on their own connections.

Afterwards it checks every SKU it touched: stock on hand + reserved + sold equals what there was,
no more units sold than there were (``oversold``), and no checkout kept more money than it was
worth (``duplicate_charges``). Emails go to Django's dummy backend (no SMTP server is measured).
The last line printed is one JSON object with the figures.

    .venv/bin/python bench/checkout.py [--seconds 20] [--processes 2] [--threads 2]

Targets on a 2-core machine: orders_per_s >= 150, hot_sku_orders_per_s >= 100, oversold 0,
duplicate_charges 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import DEFAULT_DB, ensure_database

ROOT = Path(__file__).resolve().parent.parent
SKUS = 1000
HOT_UNITS = 1000
STOCK_PER_SKU = 1_000_000
BUYERS = 200
HOT_BUYERS = 64


def _django() -> None:
    import django

    django.setup()
    # The sandbox provider notifies at once; the web tier applies it in the same process.
    from django.conf import settings
    from huey.contrib.djhuey import HUEY

    settings.VSHOP_SANDBOX_MAX_DELAY_SECONDS = 0
    settings.VSHOP_SANDBOX_DUPLICATE_RATE = 0.05
    HUEY.immediate = True


# --- set-up --------------------------------------------------------------------------------


SUPPLIERS = 4
SHOP_SLUG = "checkout-bench"


def setup_data(tag: str) -> dict[str, object]:
    """The catalogue (1,000 SKUs of 4 suppliers, listed by one shop) and the buyers, made once and
    reused by later runs; a fresh hot SKU of 1,000 units for every run."""
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    call_command("createcachetable")
    from vshop.accounts.models import User
    from vshop.catalog.models import Supplier
    from vshop.shops.models import Shop

    shop = Shop.objects.filter(slug=SHOP_SLUG).first()
    if shop is None:
        _make_catalogue(tag)
        shop = Shop.objects.get(slug=SHOP_SLUG)
    suppliers = list(
        Supplier.objects.filter(licence_number__startswith="COBENCH")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    offers = [
        (listing.pk, sku.pk)
        for listing in shop.listings.exclude(
            product__title__startswith="Hot item"
        ).prefetch_related("product__skus")
        for sku in listing.product.skus.all()
    ]
    buyers = [
        (u.pk, u.addresses.values_list("pk", flat=True).first())
        for u in User.objects.filter(email__startswith="co-buyer-").order_by("pk")
    ]
    hot = _product(
        shop, Supplier.objects.get(pk=suppliers[0]), f"Hot item {tag}", [(f"HOT-{tag}", HOT_UNITS)]
    )
    data_hot = (hot[0], hot[1][0])
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "offers": offers,
        "hot": data_hot,
        "hots": [data_hot],
        "buyers": buyers,
        "suppliers": suppliers,
    }


def _fresh_hot_sku(data: dict) -> tuple[int, int]:
    from vshop.catalog.models import Supplier
    from vshop.shops.models import Shop

    tag = secrets.token_hex(3)
    listing_id, [sku_id] = _product(
        Shop.objects.get(slug=SHOP_SLUG),
        Supplier.objects.get(pk=data["suppliers"][0]),
        f"Hot item {tag}",
        [(f"HOT-{tag}", HOT_UNITS)],
    )
    data["hots"].append((listing_id, sku_id))
    return listing_id, sku_id


def _product(shop, supplier, title: str, skus: list[tuple[str, int]]) -> tuple[int, list[int]]:
    from vshop.catalog import services as catalog
    from vshop.catalog.models import Category
    from vshop.shops import services as shops

    category, _ = Category.objects.get_or_create(
        slug="bench", defaults={"name_zh": "测试", "name_en": "Bench"}
    )
    p = catalog.product_create(
        actor=supplier.owner,
        title=title,
        category_id=category.pk,
        description_html="",
        skus=[
            catalog.SkuInput(
                code=code,
                supply_price=1000,
                min_price=1500,
                max_price=3000,
                suggested_price=1990,
                stock=stock,
                options={"size": code},
            )
            for code, stock in skus
        ],
    )
    catalog.product_publish(product=p, actor=supplier.owner)
    listing = shops.listing_add_from_catalog(shop=shop, actor=shop.owner, product_id=p.pk)
    return listing.pk, list(p.skus.order_by("pk").values_list("pk", flat=True))


def _make_catalogue(tag: str) -> None:
    from vshop.accounts import services as accounts
    from vshop.catalog import services as catalog
    from vshop.orders import services as orders
    from vshop.shops import services as shops

    password = "Bench-pass-2026"
    operator = accounts.operator_create(identifier=f"co-op-{tag}@vshop.test", password=password)
    owner = accounts.account_sign_up(identifier=f"co-owner-{tag}@vshop.test", password=password)
    shop = shops.shop_open(owner=owner, name="Checkout bench", slug=SHOP_SLUG, bio="Bench.")
    per_supplier = SKUS // SUPPLIERS
    for s in range(SUPPLIERS):
        user = accounts.account_sign_up(
            identifier=f"co-sup-{tag}-{s}@vshop.test", password=password
        )
        supplier = catalog.supplier_apply(
            user=user,
            company_name=f"Checkout Bench Supply {s}",
            contact_name="Bench",
            contact_phone="13800138000",
            licence_number=f"COBENCH{tag.upper()}{s}",
        )
        catalog.supplier_approve(supplier=supplier, operator=operator)
        orders.delivery_rule_set(actor=user, flat_fee=800, free_over=9900)
        for n in range(0, per_supplier, 5):  # products of 5 SKUs
            _product(
                shop,
                supplier,
                f"Bench product {s}-{n}",
                [(f"S{s}-{n + k}", STOCK_PER_SKU) for k in range(5)],
            )
    for n in range(max(BUYERS, HOT_BUYERS)):
        user = accounts.account_sign_up(
            identifier=f"co-buyer-{tag}-{n}@vshop.test", password=password
        )
        orders.address_create(
            user=user,
            data=orders.AddressInput(
                name="李华",
                mobile="13800138000",
                province="浙江省",
                city="杭州市",
                district="西湖区",
                detail=f"灵隐路 {n} 号",
            ),
        )


# --- one buyer -----------------------------------------------------------------------------


def buy_once(user_id: int, address_id: int, lines: list[tuple[int, int, int]]) -> str:
    """ "Buy now" → checkout → payment page → paid. Returns the checkout number."""
    from vshop.accounts.models import User
    from vshop.orders import services as orders
    from vshop.payments import services as payments
    from vshop.payments.gateways.sandbox import sandbox_pay

    user = User.objects.get(pk=user_id)
    checkout = orders.checkout_place(buyer=user, address_id=address_id, items=lines)
    payment, _start = payments.payment_start(
        buyer=user, checkout_number=checkout.number, gateway="sandbox"
    )
    sandbox_pay(payment_number=payment.number)
    return checkout.number


def _worker(job: dict) -> dict:
    """One process: ``threads`` buyers in parallel, until the deadline or the hot SKU sells out."""
    os.environ.update(job["env"])
    sys.path.insert(0, str(ROOT / "src"))
    _django()
    from vshop.gunicorn_conf import post_worker_init

    post_worker_init(None)  # as `vshop serve` prepares each web worker
    from django.db import connections

    from vshop.errors import DomainError

    latencies: list[float] = []
    checkouts: list[str] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(job["threads"])

    def run(pool: list[tuple[int, int]]) -> None:
        rng = random.Random(f"{pool[0][0]}")
        barrier.wait()
        time.sleep(max(0.0, job["start"] - time.time()))  # every process starts together
        n = 0
        while time.time() < job["deadline"]:
            buyer = pool[n % len(pool)]  # each connection serves many buyers in turn
            n += 1
            if job["hot"]:
                lines = [(job["hot"][0], job["hot"][1], 1)]
            else:
                lines = [
                    (*rng.choice(job["offers"]), rng.randint(1, 2))
                    for _ in range(rng.randint(1, 3))
                ]
            started = time.perf_counter()
            try:
                number = buy_once(buyer[0], buyer[1], lines)
            except DomainError as exc:
                with lock:
                    errors[exc.code] = errors.get(exc.code, 0) + 1
                if job["hot"] and exc.code == "out_of_stock":
                    break  # sold out
                continue
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                checkouts.append(number)
        connections.close_all()

    threads = [threading.Thread(target=run, args=(pool,)) for pool in job["buyers"]]
    cpu = time.process_time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "latencies": latencies,
        "checkouts": checkouts,
        "errors": errors,
        "ended": time.time(),
        "cpu_s": time.process_time() - cpu,
    }


def run_phase(
    *, env: dict, data: dict, processes: int, threads: int, seconds: float, hot: bool
) -> dict:
    """``processes`` × ``threads`` connections at once, each serving its share of the buyers."""
    connections_ = processes * threads
    pools = [data["buyers"][i::connections_] for i in range(connections_)]
    start = time.time() + 6.0  # every process is set up before the clock starts
    jobs = [
        {
            "env": env,
            "offers": data["offers"],
            "hot": data["hot"] if hot else None,
            "buyers": pools[p * threads : (p + 1) * threads],
            "threads": threads,
            "start": start,
            "deadline": start + seconds,
        }
        for p in range(processes)
    ]
    ctx = multiprocessing.get_context("spawn")
    machine_before = _machine_cpu()
    with ctx.Pool(processes) as pool:
        pending = pool.map_async(_worker, jobs)
        results = pending.get()
    machine_cpu = _machine_cpu() - machine_before
    latencies = [x for r in results for x in r["latencies"]]
    checkouts = [x for r in results for x in r["checkouts"]]
    errors: dict[str, int] = {}
    for r in results:
        for code, n in r["errors"].items():
            errors[code] = errors.get(code, 0) + n
    ended = max(r["ended"] for r in results)  # the clock runs until the last buyer stops
    return {
        "latencies": latencies,
        "checkouts": checkouts,
        "errors": errors,
        "wall_s": ended - start,
        "buyer_cpu_s": sum(r["cpu_s"] for r in results),
        "machine_cpu_s": machine_cpu,
    }


def _machine_cpu() -> float:
    """CPU seconds used by the whole machine (user + system), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = f.readline().split()[1:]
    user, nice, system = (int(x) for x in fields[:3])
    return (user + nice + system) / os.sysconf("SC_CLK_TCK")


# --- checks --------------------------------------------------------------------------------


def verify(data: dict, numbers: list[str]) -> dict[str, int]:
    from django.db.models import Sum

    from vshop.inventory.models import Stock
    from vshop.orders.models import Checkout, CheckoutStatus, OrderLine
    from vshop.payments.models import Payment, PaymentStatus

    hot_skus = {s for _l, s in data["hots"]}
    sku_ids = [s for _l, s in data["offers"]] + list(hot_skus)
    oversold = 0
    for stock in Stock.objects.filter(sku_id__in=sku_ids):
        initial = HOT_UNITS if stock.sku_id in hot_skus else STOCK_PER_SKU
        taken = (
            OrderLine.objects.filter(sku_id=stock.sku_id)
            .exclude(order__status="cancelled", order__paid_at__isnull=True)
            .aggregate(n=Sum("quantity"))["n"]
            or 0
        )
        if (
            stock.quantity + stock.reserved + stock.sold != initial
            or taken > initial
            or stock.quantity < 0
        ):
            oversold += 1
    duplicate_charges = 0
    checkouts = Checkout.objects.filter(number__in=numbers)
    for checkout in checkouts.iterator():
        kept = sum(
            p.amount - p.refunded_amount
            for p in Payment.objects.filter(checkout=checkout, status=PaymentStatus.SUCCEEDED)
        )
        worth = checkout.total if checkout.status == CheckoutStatus.PAID else 0
        if kept > worth:
            duplicate_charges += 1
    unpaid = checkouts.exclude(status=CheckoutStatus.PAID).count()
    return {"oversold": oversold, "duplicate_charges": duplicate_charges, "unpaid": unpaid}


def _p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    # Like a web server on 2 cores: two worker processes of two threads; each connection serves
    # its buyers in turn, as a server's workers take requests from the queue.
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    if not db_url.startswith("postgres"):
        print(
            "bench/checkout.py measures on PostgreSQL: set DATABASE_URL=postgres://...",
            file=sys.stderr,
        )
        return 2
    ensure_database(db_url)
    data_dir = Path(os.environ.get("VSHOP_DATA_DIR") or tempfile.mkdtemp(prefix="vshop-bench-"))
    env = {
        "DATABASE_URL": db_url,
        "DEBUG": "False",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        "VSHOP_DATA_DIR": str(data_dir),
        "MEDIA_ROOT": str(data_dir / "media"),
        "DJANGO_SETTINGS_MODULE": "vshop.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "VSHOP_SANDBOX_PAYMENTS": "1",  # off by default with DEBUG=False
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    _django()
    t0 = time.monotonic()
    data = setup_data(secrets.token_hex(3))
    setup_s = time.monotonic() - t0
    from django.db import connections

    connections.close_all()

    many = run_phase(
        env=env,
        data=data,
        processes=args.processes,
        threads=args.threads,
        seconds=args.seconds,
        hot=False,
    )
    # (b) 64 buyers at once for the hot SKU, served by the same worker pool (as a 2-core server
    # serves them: its workers take the requests in turn) ...
    hot_buyers = {**data, "buyers": data["buyers"][:HOT_BUYERS]}
    hot = run_phase(
        env=env,
        data=hot_buyers,
        processes=args.processes,
        threads=args.threads,
        seconds=120,
        hot=True,
    )
    # ... and, for comparison, the worst case: 64 connections each hammering the row at once.
    stampede = run_phase(
        env=env,
        data={**hot_buyers, "hot": _fresh_hot_sku(data)},
        processes=2,
        threads=HOT_BUYERS // 2,
        seconds=120,
        hot=True,
    )
    checks = verify(data, many["checkouts"] + hot["checkouts"] + stampede["checkouts"])
    from vshop.orders.models import Order

    orders = Order.objects.filter(checkout__number__in=many["checkouts"]).count()
    orders_per_s = orders / many["wall_s"]
    hot_orders = len(hot["checkouts"])
    figures = {
        "bench": "checkout",
        "orders_per_s": round(orders_per_s, 1),
        "hot_sku_orders_per_s": round(hot_orders / hot["wall_s"], 1),
        "p99_ms": round(_p(many["latencies"], 0.99) * 1000, 1),
        "oversold": checks["oversold"],
        "duplicate_charges": checks["duplicate_charges"],
        "p50_ms": round(_p(many["latencies"], 0.50) * 1000, 1),
        "hot_p99_ms": round(_p(hot["latencies"], 0.99) * 1000, 1),
        "hot_64_connections_orders_per_s": round(
            len(stampede["checkouts"]) / stampede["wall_s"], 1
        ),
        "checkouts_per_s": round(len(many["checkouts"]) / many["wall_s"], 1),
        "orders": orders,
        "checkouts": len(many["checkouts"]),
        "hot_orders": hot_orders,
        "hot_64_connections_orders": len(stampede["checkouts"]),
        "hot_units": HOT_UNITS,
        "unpaid_checkouts": checks["unpaid"],
        "refused": {**many["errors"], **{f"hot_{k}": v for k, v in hot["errors"].items()}},
        "buyers": len(data["buyers"]),
        "connections": args.processes * args.threads,
        "hot_buyers": HOT_BUYERS,
        "setup_s": round(setup_s, 1),
        "cpu_ms_per_checkout": {
            "vshop": round(many["buyer_cpu_s"] / max(1, len(many["checkouts"])) * 1000, 1),
            "machine": round(many["machine_cpu_s"] / max(1, len(many["checkouts"])) * 1000, 1),
        },
        "mean_ms": round(statistics.fmean(many["latencies"]) * 1000, 1) if many["latencies"] else 0,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
