"""Fixtures for the JSON API tests: clients logged in as each member of the cast, and small
helpers that send JSON the way mobile clients do."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.factories import make_supplier, make_user
from vshop.accounts.models import User
from vshop.catalog.models import Supplier
from vshop.shops.models import Shop


class ApiClient(Client):
    """A Django test client whose unsafe methods send JSON bodies by default."""

    def post(self, path: str, data: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        if "content_type" not in kwargs and not _is_multipart(data):
            kwargs["content_type"] = "application/json"
            data = json.dumps(data if data is not None else {})
        return super().post(path, data, **kwargs)

    def patch(self, path: str, data: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("content_type", "application/json")
        return super().patch(path, json.dumps(data if data is not None else {}), **kwargs)


def _is_multipart(data: Any) -> bool:
    return isinstance(data, dict) and any(hasattr(v, "read") for v in data.values())


def client_for(user: User | None) -> ApiClient:
    client = ApiClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def anon() -> ApiClient:
    return ApiClient()


@pytest.fixture
def owner_client(shop: Shop) -> ApiClient:
    """The owner of ``shop`` (lily-picks)."""
    return client_for(shop.owner)


@pytest.fixture
def rival_client(other_shop: Shop) -> ApiClient:
    """Another shop's owner: she must never see or change the first shop's rows."""
    return client_for(other_shop.owner)


@pytest.fixture
def supplier_client(supplier: Supplier) -> ApiClient:
    return client_for(supplier.owner)


@pytest.fixture
def rival_supplier(operator: User) -> Supplier:
    return make_supplier(operator=operator)


@pytest.fixture
def rival_supplier_client(rival_supplier: Supplier) -> ApiClient:
    return client_for(rival_supplier.owner)


@pytest.fixture
def operator_client(operator: User) -> ApiClient:
    return client_for(operator)


@pytest.fixture
def fan_client(fan: User) -> ApiClient:
    return client_for(fan)


@pytest.fixture
def nobody_client(db) -> ApiClient:
    """A logged-in account with no shop, no supplier and no staff rights."""
    return client_for(make_user())
