"""Stock stays exact when many connections change it at once (real threads, real PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from tests.factories import make_product, make_supplier, sku_input
from vshop.errors import ValidationFailed
from vshop.inventory import services
from vshop.inventory.models import Stock


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_write_offs_racing_for_ten_units_take_exactly_ten():
    supplier = make_supplier()
    product = make_product(supplier, skus=[sku_input("LAST", stock=10)])
    sku = product.skus.get()
    barrier = threading.Barrier(20)
    results: list[str] = []
    lock = threading.Lock()

    def take_one() -> None:
        try:
            barrier.wait()
            services.stock_add(sku=sku, quantity=-1)
            outcome = "took"
        except ValidationFailed as exc:
            outcome = exc.code
        finally:
            connections.close_all()  # each thread had its own connection
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=take_one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert connection.vendor == "postgresql"
    assert results.count("took") == 10
    assert results.count("out_of_stock") == 10
    assert Stock.objects.get(sku=sku).quantity == 0


@pytest.mark.django_db
def test_the_database_itself_refuses_negative_stock():
    from django.db import IntegrityError

    supplier = make_supplier()
    sku = make_product(supplier, skus=[sku_input("X", stock=1)]).skus.get()

    with pytest.raises(IntegrityError):
        Stock.objects.filter(sku=sku).update(quantity=-1)
