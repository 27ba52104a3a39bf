"""Ledger benchmark: settling 100,000 received orders, reading balances, checking the book.

Sets up, on the configured PostgreSQL database (DATABASE_URL; by default the local server's
database vshop_bench, over its Unix socket when there is one, created if missing), 300 shops and
their owners, 1,000 promoters, 1,000 buyers and 4 suppliers (made once, reused by later runs),
then for every run 100,000 fresh orders, paid and received: orders, lines and checkouts are
bulk-inserted, and the money goes through the real bookings — ``bookings.orders_paid`` (the
splits and their payment, 1,000 orders a payment) and ``bookings.orders_moved_on(to="frozen")``
(1,000 orders a batch) — so the book is the one the shop would have. 60% of the orders came
through a promoter, a third of those with a level-2 recruiter; a tenth are the owners' own goods.
Then:

(a) settlement: every order completes, ``bookings.orders_moved_on(order_ids=chunk,
    to="available")`` over all 100,000 in chunks of 100 (the batch ``orders_complete_due``
    uses), one transaction each, by ``--processes`` processes taking the chunks in turn (2 by
    default: one process alone leaves a core idle while it waits for PostgreSQL). Measured:
    orders settled per second (``settle_per_s``) over the wall time of the whole settlement;
    the statements of one more chunk are counted apart (``queries_per_chunk``).
(b) 10,000 balance reads of random accounts of the run's parties through
    ``ledger.selectors.balance_of`` (``balance_read_p99_ms``), and 10,000 reads of a random
    promoter's three buckets in one query through ``distribution.selectors.commission_balances``
    (``promoter_buckets_p99_ms``).
(c) ``ledger_check()`` over the whole book: every transaction balanced, every cached balance
    equal to the sum of its entries, nobody below zero. ``invariant_violations`` counts the
    problems, plus any of the run's splits not settled or any of its parties' accounts not
    holding what the splits say.

The last line printed is one JSON object with the figures.

    .venv/bin/python bench/ledger.py [--orders 100000] [--chunk 100] [--processes 2]

Targets on a 2-core machine with PostgreSQL: settle_per_s >= 1000, balance_read_p99_ms < 5,
invariant_violations 0.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_DB, ensure_database

ROOT = Path(__file__).resolve().parent.parent
SHOPS = 300
PROMOTERS = 1000
BUYERS = 1000
SUPPLIERS = 4
SETUP_BATCH = 1000  # orders per payment and per receipt batch while setting up
READS = 10_000
PREFIX = "lb-"  # the bench's own users, shops and suppliers


def _django() -> None:
    import django

    django.setup()


# --- the cast, made once -------------------------------------------------------------------


def setup_cast() -> dict[str, list]:
    """Owners with their shops, promoters, buyers, and suppliers with one product each (made
    once, reused). Users and shops are bulk-inserted: settling money needs their keys, not their
    sign-up flow; suppliers and products go through the services."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    call_command("createcachetable")
    from vshop.accounts.models import User
    from vshop.catalog.models import Supplier
    from vshop.shops.models import Shop

    if not Shop.objects.filter(slug=f"{PREFIX}shop-{SHOPS - 1}").exists():
        password = make_password(None)  # unusable: nobody logs in as them
        tag = secrets.token_hex(3)
        people = [
            User(
                email=f"{PREFIX}{role}-{n}-{tag}@vshop.test",
                display_name=f"{role} {n}",
                password=password,
            )
            for role, count in (("owner", SHOPS), ("promoter", PROMOTERS), ("buyer", BUYERS))
            for n in range(count)
        ]
        User.objects.bulk_create(people, batch_size=1000)
        owners = list(
            User.objects.filter(email__startswith=f"{PREFIX}owner-").order_by("pk")[:SHOPS]
        )
        Shop.objects.bulk_create(
            Shop(owner=o, name=f"Ledger bench {n}", slug=f"{PREFIX}shop-{n}")
            for n, o in enumerate(owners)
        )
        _make_suppliers(tag)
    shops = list(
        Shop.objects.filter(slug__startswith=f"{PREFIX}shop-")
        .order_by("pk")
        .values_list("pk", "owner_id")
    )
    suppliers = list(
        Supplier.objects.filter(licence_number__startswith="LEDGERBENCH")
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    from vshop.catalog.models import Sku

    skus = {
        s.product.supplier_id: (s.pk, s.supply_price)
        for s in Sku.objects.filter(product__supplier_id__in=suppliers).select_related("product")
    }
    own_sku = Sku.objects.filter(product__shop_id=shops[0][0]).values_list("pk", flat=True).first()

    def users(role: str) -> list[int]:
        return list(
            User.objects.filter(email__startswith=f"{PREFIX}{role}-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )

    return {
        "shops": shops,
        "suppliers": [(s, *skus[s]) for s in suppliers],
        "own_sku": [own_sku],
        "promoters": users("promoter"),
        "buyers": users("buyer"),
    }


def _make_suppliers(tag: str) -> None:
    from vshop.accounts import services as accounts
    from vshop.catalog import services as catalog
    from vshop.catalog.models import Category
    from vshop.shops import services as shops
    from vshop.shops.models import Shop

    password = "Bench-pass-2026"
    operator = accounts.operator_create(
        identifier=f"{PREFIX}op-{tag}@vshop.test", password=password
    )
    category, _ = Category.objects.get_or_create(
        slug="bench", defaults={"name_zh": "测试", "name_en": "Bench"}
    )
    for n in range(SUPPLIERS):
        user = accounts.account_sign_up(
            identifier=f"{PREFIX}supplier-{n}-{tag}@vshop.test", password=password
        )
        supplier = catalog.supplier_apply(
            user=user,
            company_name=f"Ledger Bench Supply {n}",
            contact_name="Bench",
            contact_phone="13800138000",
            licence_number=f"LEDGERBENCH{tag.upper()}{n}",
        )
        catalog.supplier_approve(supplier=supplier, operator=operator)
        product = catalog.product_create(
            actor=user,
            title=f"Ledger bench product {n}",
            category_id=category.pk,
            description_html="",
            skus=[
                catalog.SkuInput(
                    code=f"LB{n}",
                    supply_price=1000 + 137 * n,
                    min_price=1500 + 137 * n,
                    max_price=9000,
                    suggested_price=1990 + 137 * n,
                    stock=0,
                )
            ],
        )
        catalog.product_publish(product=product, actor=user)
    first = Shop.objects.get(slug=f"{PREFIX}shop-0")
    shops.listing_create_own_goods(
        shop=first,
        actor=first.owner,
        title="Hand-made soap",
        category_id=category.pk,
        skus=[shops.OwnSkuInput(code="LBOWN", price=1000, stock=0)],
    )


# --- the run's orders: paid and received ---------------------------------------------------


def setup_orders(cast: dict, *, count: int, tag: str, rng: random.Random) -> list[int]:
    """``count`` orders, paid and received, booked through ``vshop.ledger.bookings``.
    Returns their ids in the order they were made."""
    from django.db import transaction
    from django.utils import timezone

    from vshop.ledger import bookings
    from vshop.ledger.bookings import LineRates, split_amounts
    from vshop.ledger.models import OrderSplit, SplitStage
    from vshop.orders.models import Checkout, CheckoutStatus, Order, OrderLine
    from vshop.orders.states import OrderStatus

    fee_rate = bookings.platform_fee_rate()
    ids: list[int] = []
    for start in range(0, count, SETUP_BATCH):
        n = min(SETUP_BATCH, count - start)
        now = timezone.now()
        plans = []
        for k in range(n):
            shop_id, owner_id = rng.choice(cast["shops"])
            own = rng.random() < 0.1
            if own:
                supplier_id, sku_id, supply = None, cast["own_sku"][0], 0
                price = rng.randint(500, 5000)
            else:
                supplier_id, sku_id, supply = rng.choice(cast["suppliers"])
                price = supply + rng.randint(200, 3000)
            quantity = rng.randint(1, 3)
            items = price * quantity
            delivery = 0 if items >= 9900 else 800
            promoter = rng.choice(cast["promoters"]) if rng.random() < 0.6 else None
            promoter2 = (
                rng.choice([p for p in rng.sample(cast["promoters"], 2) if p != promoter])
                if promoter and rng.random() < 1 / 3
                else None
            )
            plans.append(
                {
                    "number": f"LB{tag}{start + k:07d}",
                    "buyer": rng.choice(cast["buyers"]),
                    "shop": shop_id,
                    "owner": owner_id,
                    "supplier": supplier_id,
                    "sku": sku_id,
                    "price": price,
                    "supply": supply,
                    "quantity": quantity,
                    "items": items,
                    "delivery": delivery,
                    "promoter": promoter,
                    "promoter2": promoter2,
                    "rate1": rng.choice([500, 1000, 1500, 2000]),
                    "rate2": rng.choice([300, 500]),
                }
            )
        with transaction.atomic():
            checkouts = Checkout.objects.bulk_create(
                Checkout(
                    number=f"C{p['number']}",
                    buyer_id=p["buyer"],
                    status=CheckoutStatus.PAID,
                    items_total=p["items"],
                    delivery_total=p["delivery"],
                    total=p["items"] + p["delivery"],
                    created_at=now,
                    pay_by=now,
                    paid_at=now,
                )
                for p in plans
            )
            orders = Order.objects.bulk_create(
                Order(
                    number=p["number"],
                    checkout=c,
                    buyer_id=p["buyer"],
                    shop_id=p["shop"],
                    supplier_id=p["supplier"],
                    status=OrderStatus.DELIVERED,
                    items_total=p["items"],
                    delivery_fee=p["delivery"],
                    total=p["items"] + p["delivery"],
                    ship_name="李华",
                    ship_mobile="13800138000",
                    ship_province="浙江省",
                    ship_city="杭州市",
                    ship_district="西湖区",
                    ship_detail="灵隐路 1 号",
                    created_at=now,
                    paid_at=now,
                    shipped_at=now,
                    delivered_at=now,
                    after_sales_until=now,
                )
                for p, c in zip(plans, checkouts, strict=True)
            )
            lines = OrderLine.objects.bulk_create(
                OrderLine(
                    order=o,
                    sku_id=p["sku"],
                    title="Ledger bench item",
                    sku_code="LB",
                    unit_price=p["price"],
                    supply_price=p["supply"],
                    quantity=p["quantity"],
                    line_total=p["items"],
                )
                for p, o in zip(plans, orders, strict=True)
            )
            splits = []
            for p, o, x in zip(plans, orders, lines, strict=True):
                rates = [
                    LineRates(
                        line_id=x.pk,
                        listing_id=None,
                        margin=(p["price"] - p["supply"]) * p["quantity"],
                        supply=p["supply"] * p["quantity"],
                        rate1=p["rate1"] if p["promoter"] else 0,
                        rate2=p["rate2"] if p["promoter2"] else 0,
                    )
                ]
                splits.append(
                    OrderSplit(
                        order=o,
                        gateway="sandbox",
                        owner_id=p["owner"],
                        supplier_id=p["supplier"],
                        promoter_id=p["promoter"],
                        promoter2_id=p["promoter2"],
                        total=o.total,
                        fee_rate=fee_rate,
                        rates=[r.as_json() for r in rates],
                        **split_amounts(
                            lines=rates,
                            delivery_fee=p["delivery"],
                            supplier_ships=p["supplier"] is not None,
                            has_promoter=p["promoter"] is not None,
                            has_promoter2=p["promoter2"] is not None,
                            fee_rate=fee_rate,
                        ),
                    )
                )
            bookings.orders_paid(
                payment_number=f"P{tag}{start:07d}", gateway="sandbox", splits=splits
            )
        batch = [o.pk for o in orders]
        bookings.orders_moved_on(order_ids=batch, to=SplitStage.FROZEN)
        ids.extend(batch)
    return ids


# --- (a) settlement ------------------------------------------------------------------------


def _settle_worker(job: dict) -> dict:
    """One process: its share of the chunks, one ``orders_moved_on`` (one transaction) each."""
    os.environ.update(job["env"])
    sys.path.insert(0, str(ROOT / "src"))
    _django()
    from django.db import connection

    from vshop.ledger import bookings
    from vshop.ledger.models import SplitStage

    connection.ensure_connection()
    time.sleep(max(0.0, job["start"] - time.time()))
    moved = 0
    cpu = time.process_time()
    for chunk in job["chunks"]:
        moved += bookings.orders_moved_on(order_ids=chunk, to=SplitStage.AVAILABLE)
    return {"moved": moved, "ended": time.time(), "cpu_s": time.process_time() - cpu}


def settle(*, env: dict, ids: list[int], chunk: int, processes: int) -> dict:
    chunks = [ids[i : i + chunk] for i in range(0, len(ids), chunk)]
    start = time.time() + 4.0  # every process is connected before the clock starts
    jobs = [{"env": env, "chunks": chunks[p::processes], "start": start} for p in range(processes)]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(processes) as pool:
        results = pool.map(_settle_worker, jobs)
    wall = max(r["ended"] for r in results) - start
    return {
        "moved": sum(r["moved"] for r in results),
        "wall_s": wall,
        "cpu_s": sum(r["cpu_s"] for r in results),
        "chunks": len(chunks),
    }


def queries_per_chunk(ids: list[int], chunk: int) -> dict:
    """Settle one more chunk (orders made for it) under CaptureQueriesContext: how many
    statements it costs, by statement and table."""
    import re
    from collections import Counter

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vshop.ledger import bookings
    from vshop.ledger.models import SplitStage

    with CaptureQueriesContext(connection) as ctx:
        bookings.orders_moved_on(order_ids=ids[:chunk], to=SplitStage.AVAILABLE)
    kinds: Counter[str] = Counter()
    for q in ctx.captured_queries:
        found = re.match(r'\s*(\w+)(?:.*?(?:FROM|INTO|UPDATE)\s+"?(\w+)"?)?', q["sql"], re.S)
        verb, table = (found.group(1), found.group(2) or "") if found else ("?", "")
        if verb.upper() == "UPDATE":
            table = re.match(r'\s*UPDATE\s+"?(\w+)"?', q["sql"]).group(1)  # type: ignore[union-attr]
        kinds[f"{verb.upper()} {table}".strip()] += 1
    return {"queries": len(ctx.captured_queries), **dict(kinds.most_common())}


# --- (b) balance reads ---------------------------------------------------------------------


def _p(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0


def balance_reads(cast: dict, rng: random.Random) -> dict:
    from django.db.models import Q

    from vshop.accounts.models import User
    from vshop.distribution.selectors import commission_balances
    from vshop.ledger.models import Account
    from vshop.ledger.selectors import balance_of

    party_ids = [owner for _shop, owner in cast["shops"]] + cast["promoters"]
    suppliers = [s for s, *_rest in cast["suppliers"]]
    accounts = list(
        Account.objects.filter(Q(user_id__in=party_ids) | Q(supplier_id__in=suppliers))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    one: list[float] = []
    for pk in rng.choices(accounts, k=READS):
        t = time.perf_counter()
        balance_of(Account(pk=pk))
        one.append(time.perf_counter() - t)
    three: list[float] = []
    for pk in rng.choices(cast["promoters"], k=READS):
        t = time.perf_counter()
        commission_balances(user=User(pk=pk))
        three.append(time.perf_counter() - t)
    return {
        "accounts": len(accounts),
        "balance_read_p99_ms": round(_p(one, 0.99) * 1000, 3),
        "balance_read_p50_ms": round(_p(one, 0.50) * 1000, 3),
        "promoter_buckets_p99_ms": round(_p(three, 0.99) * 1000, 3),
        "promoter_buckets_p50_ms": round(_p(three, 0.50) * 1000, 3),
    }


# --- (c) the book is sound ----------------------------------------------------------------


def check(ids: list[int], cast: dict) -> dict:
    """``ledger_check`` over the whole book; and the bench's own books: every split of the run
    settled, and every bucket of every bench party holding exactly the shares of the splits in
    that stage (no refunds, no withdrawals here), over this run and the earlier ones."""
    from django.db.models import Sum

    from vshop.ledger.checks import ledger_check
    from vshop.ledger.models import Account, OrderSplit, SplitStage

    t = time.perf_counter()
    problems = ledger_check()
    check_s = time.perf_counter() - t
    unsettled = (
        OrderSplit.objects.filter(order_id__in=ids).exclude(stage=SplitStage.AVAILABLE).count()
    )
    splits = OrderSplit.objects.filter(owner_id__in=[owner for _shop, owner in cast["shops"]])
    owed: dict[str, int] = {}
    for part, holder, code in (
        ("owner_amount", "owner_id", "owner:{}:earnings:{}"),
        ("supply", "supplier_id", "supplier:{}:payable:{}"),
        ("commission1", "promoter_id", "promoter:{}:commission:{}"),
        ("commission2", "promoter2_id", "promoter:{}:commission:{}"),
    ):
        rows = (
            splits.filter(**{f"{holder}__isnull": False})
            .order_by()
            .values_list(holder, "stage")
            .annotate(total=Sum(part))
        )
        for pk, stage, total in rows:
            key = code.format(pk, stage)
            owed[key] = owed.get(key, 0) + total
    party_accounts = dict(
        Account.objects.filter(code__in=list(owed)).values_list("code", "balance")
    )
    wrong = sum(1 for key, total in owed.items() if party_accounts.get(key, 0) != total)
    return {
        "ledger_check_problems": len(problems),
        "unsettled": unsettled,
        "party_balances_wrong": wrong,
        "party_balances_checked": len(owed),
        "ledger_check_s": round(check_s, 2),
        "problems": problems[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=100)
    # Two processes on two cores: one alone waits for PostgreSQL half of the time.
    parser.add_argument("--processes", type=int, default=2)
    args = parser.parse_args()

    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    if not db_url.startswith("postgres"):
        print(
            "bench/ledger.py measures on PostgreSQL: set DATABASE_URL=postgres://...",
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
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    _django()
    rng = random.Random(int(time.time()))
    tag = secrets.token_hex(3)

    t0 = time.monotonic()
    cast = setup_cast()
    ids = setup_orders(cast, count=args.orders + args.chunk, tag=tag, rng=rng)
    spare, ids = ids[-args.chunk :], ids[: -args.chunk]
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    setup_s = time.monotonic() - t0
    profile = queries_per_chunk(spare, args.chunk)
    connections.close_all()

    settled = settle(env=env, ids=ids, chunk=args.chunk, processes=args.processes)
    reads = balance_reads(cast, rng)
    checks = check(ids + spare, cast)
    violations = (
        checks["ledger_check_problems"] + checks["unsettled"] + checks["party_balances_wrong"]
    )
    figures = {
        "bench": "ledger",
        "settle_per_s": round(settled["moved"] / settled["wall_s"], 1),
        "balance_read_p99_ms": reads["balance_read_p99_ms"],
        "invariant_violations": violations,
    }
    details = {
        "orders": settled["moved"],
        "chunk": args.chunk,
        "processes": args.processes,
        "settle_wall_s": round(settled["wall_s"], 1),
        "settle_cpu_ms_per_chunk": round(settled["cpu_s"] / settled["chunks"] * 1000, 1),
        "queries_per_chunk": profile,
        **{k: v for k, v in reads.items() if k != "balance_read_p99_ms"},
        **{k: v for k, v in checks.items() if k != "problems"},
        "setup_s": round(setup_s, 1),
    }
    print(json.dumps(details))
    if checks["problems"]:
        print("\n".join(checks["problems"]), file=sys.stderr)
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
