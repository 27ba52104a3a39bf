"""Inbox fixtures: the real SMTP server (shared with other packages through ``tests.smtp``), a
mail server that is down, and people to notify."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.factories import make_user
from tests.smtp import (
    HOST,
    free_port,
    huey_immediate,
    smtp_server,  # noqa: F401
)
from vshop.accounts.models import User


@pytest.fixture
def smtp_down(settings) -> Iterator[None]:
    """Django sends to a port nobody listens on (connection refused), Huey tasks run at once."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = HOST
    settings.EMAIL_PORT = free_port()
    with huey_immediate():
        yield


@pytest.fixture
def buyer(db) -> User:
    return make_user("buyer@example.com", name="Buyer")


@pytest.fixture
def stranger(db) -> User:
    """Somebody else: she must never see or change the buyer's messages."""
    return make_user("stranger@example.com", name="Stranger")
