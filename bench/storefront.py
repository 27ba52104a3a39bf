"""Storefront benchmark: the shop home and a listing page under a production server.

Sets up a shop with 1,000 listings on the configured PostgreSQL database (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/vshop_bench, created if missing), starts gunicorn with
DEBUG=False, and drives each page with 32 concurrent keep-alive clients for a fixed time with
wrk (Debian package `wrk`). A trivial Django view (/hello/) is measured the same way in the same
run as the yardstick. The last line printed is one JSON object with the figures.

    .venv/bin/python bench/storefront.py [--seconds 15] [--clients 32]

Target on a 2-core machine: listing_rps >= 0.4 * hello_rps, p99 < 100 ms at 32 clients.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from _common import ensure_database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/vshop_bench"
LISTINGS = 1000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def setup_data() -> tuple[str, int]:
    """A supplier with 1,000 products and one shop listing all of them. Returns (slug, listing id)."""
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--no-input", "-v", "0")
    call_command("createcachetable")
    from vshop.shops.models import Shop

    slug = "bench-shop"
    shop = Shop.objects.filter(slug=slug).first()
    if shop is None or shop.listings.count() < LISTINGS:
        shop = _make_shop(slug, shop)
    listing_id = shop.listings.order_by("-created_at").values_list("pk", flat=True).first()
    # Fresh planner statistics, as autovacuum would have them on a live database; without them
    # PostgreSQL plans the 1,000-row shop as if it had one row.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return slug, listing_id


def _make_shop(slug: str, shop: object | None) -> object:
    """Create what is missing of the bench shop and its 1,000 listings."""
    from vshop.accounts import services as accounts
    from vshop.catalog import services as catalog
    from vshop.catalog.models import Category
    from vshop.shops import services as shops

    tag = secrets.token_hex(3)
    operator = accounts.operator_create(
        identifier=f"bench-op-{tag}@vshop.test", password="Bench-pass-2026"
    )
    supplier_user = accounts.account_sign_up(
        identifier=f"bench-sup-{tag}@vshop.test", password="Bench-pass-2026"
    )
    supplier = catalog.supplier_apply(
        user=supplier_user,
        company_name="Bench Supply",
        contact_name="Bench",
        contact_phone="13800138000",
        licence_number=f"BENCH{tag.upper()}0000",
    )
    catalog.supplier_approve(supplier=supplier, operator=operator)
    category, _ = Category.objects.get_or_create(
        slug="bench", defaults={"name_zh": "测试", "name_en": "Bench"}
    )
    if shop is None:
        owner = accounts.account_sign_up(
            identifier=f"bench-owner-{tag}@vshop.test", password="Bench-pass-2026"
        )
        shop = shops.shop_open(owner=owner, name="Bench shop", slug=slug, bio="1,000 listings.")
    from io import BytesIO

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = BytesIO()
    Image.new("RGB", (600, 600), (230, 120, 90)).save(buf, format="JPEG")
    photo = buf.getvalue()
    have = shop.listings.count()
    for n in range(have, LISTINGS):
        product = catalog.product_create(
            actor=supplier_user,
            title=f"Bench product {n}",
            category_id=category.pk,
            description_html="<p>A product for the benchmark.</p>",
            skus=[
                catalog.SkuInput(
                    code=f"S{n}-{c}",
                    supply_price=1000,
                    min_price=1500,
                    max_price=3000,
                    suggested_price=1990 + c * 100,
                    stock=50,
                    options={"colour": color},
                )
                for c, color in enumerate(["red", "blue", "green"])
            ],
        )
        if n % 10 == 0:  # a tenth with photos: enough to exercise image URLs without slow setup
            catalog.product_image_add(
                product=product,
                actor=supplier_user,
                upload=SimpleUploadedFile("p.jpg", photo, content_type="image/jpeg"),
            )
        catalog.product_publish(product=product, actor=supplier_user)
        shops.listing_add_from_catalog(
            shop=shop,
            actor=shop.owner,
            product_id=product.pk,
            endorsement="I use it every day.",
            is_pinned=n < 4,
        )
    return shop


_LAT = re.compile(r"^\s+(\d+)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def drive(url: str, *, seconds: int, clients: int) -> dict[str, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "--timeout", "5s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lat = {int(p): _ms(v, u) for p, v, u in _LAT.findall(out)}
    non2xx = int(m.group(1)) if (m := _NON2XX.search(out)) else 0
    errors = sum(int(x) for x in m.groups()) if (m := _ERRORS.search(out)) else 0
    return {
        "rps": float(_RPS.search(out).group(1)),
        "p50_ms": lat[50],
        "p99_ms": lat[99],
        "bad": non2xx + errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", 3)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", 4)))
    args = parser.parse_args()
    if not shutil.which("wrk"):
        print("bench/storefront.py needs wrk: apt-get install wrk", file=sys.stderr)
        return 2

    db_url = os.environ.get("DATABASE_URL") or DEFAULT_DB
    if not db_url.startswith("postgres"):
        print(
            "bench/storefront.py measures on PostgreSQL: set DATABASE_URL=postgres://...",
            file=sys.stderr,
        )
        return 2
    ensure_database(db_url)
    data_dir = Path(os.environ.get("VSHOP_DATA_DIR") or tempfile.mkdtemp(prefix="vshop-bench-"))
    env = dict(
        os.environ,
        DATABASE_URL=db_url,
        DEBUG="False",
        SECRET_KEY=os.environ.get("SECRET_KEY") or secrets.token_urlsafe(50),
        SECURE_COOKIES="False",
        VSHOP_DATA_DIR=str(data_dir),
        MEDIA_ROOT=str(data_dir / "media"),
        DJANGO_SETTINGS_MODULE="vshop.settings",
        PYTHONPATH=str(ROOT / "src"),
    )
    os.environ.update(env)
    sys.path.insert(0, str(ROOT / "src"))
    t0 = time.monotonic()
    slug, listing_id = setup_data()
    setup_s = time.monotonic() - t0
    subprocess.run(
        [sys.executable, "-m", "django", "collectstatic", "--no-input", "-v", "0"],
        env=env,
        check=True,
    )

    port = _free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "vshop.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--keep-alive",
            "5",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            "-",
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    urls = {
        "hello": f"{base}/hello/",
        "home": f"{base}/s/{slug}/",
        "listing": f"{base}/s/{slug}/l/{listing_id}/",
    }
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(urls["hello"], timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        for url in urls.values():  # warm every worker's caches and connections
            for _ in range(20):
                with urllib.request.urlopen(url, timeout=10) as response:
                    assert response.status == 200, url
        results = {
            name: drive(url, seconds=args.seconds, clients=args.clients)
            for name, url in urls.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=20)

    figures = {
        "bench": "storefront",
        "home_rps": round(results["home"]["rps"], 1),
        "listing_rps": round(results["listing"]["rps"], 1),
        "home_p99_ms": round(results["home"]["p99_ms"], 1),
        "listing_p99_ms": round(results["listing"]["p99_ms"], 1),
        "hello_rps": round(results["hello"]["rps"], 1),
        "hello_p99_ms": round(results["hello"]["p99_ms"], 1),
        "listing_vs_hello": round(results["listing"]["rps"] / results["hello"]["rps"], 3),
        "home_vs_hello": round(results["home"]["rps"] / results["hello"]["rps"], 3),
        "errors": sum(int(r["bad"]) for r in results.values()),
        "listings": LISTINGS,
        "clients": args.clients,
        "seconds": args.seconds,
        "workers": args.workers,
        "threads": args.threads,
        "cache": "redis" if os.environ.get("REDIS_URL") else "database",
        "setup_s": round(setup_s, 1),
    }
    for name, r in results.items():
        print(
            f"{name:8s} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:6.1f} ms  p99 {r['p99_ms']:6.1f} ms  errors {r['bad']}"
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
