"""Fixtures shared by the whole suite, and the rule that service-backed tests never skip in CI.

Tests marked ``postgres``, ``redis`` or ``browser`` skip with a reason when the service is not
configured; with ``VSHOP_REQUIRE_SERVICES=1`` (set by ``.ci/run``) they fail instead.
"""

from __future__ import annotations

import copy
import os
import shutil
import uuid

import pytest
from django.conf import settings

from tests.factories import *  # noqa: F403  (fixtures)
from tests.smtp import huey_immediate, smtp_server  # noqa: F401

REQUIRE_SERVICES = os.environ.get("VSHOP_REQUIRE_SERVICES") == "1"


def _missing_service(item: pytest.Item) -> str | None:
    if item.get_closest_marker("postgres") and not settings.IS_POSTGRES:
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (CI does)"
    if item.get_closest_marker("redis") and not settings.REDIS_URL:
        return "needs Redis: set REDIS_URL=redis://... (CI does)"
    if item.get_closest_marker("browser") and not shutil.which("chromium"):
        return "needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)"
    return None


def pytest_runtest_setup(item: pytest.Item) -> None:
    reason = _missing_service(item)
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"VSHOP_REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture(autouse=True)
def _isolated_cache_and_media(settings, tmp_path) -> None:
    """Each test gets its own cache namespace (Redis is shared by xdist workers) and media dir."""
    from django.utils import translation

    # Assertions read English; tests/web/test_i18n.py proves the Chinese pages.
    settings.LANGUAGE_CODE = "en"
    translation.activate("en")

    settings.MEDIA_ROOT = str(tmp_path / "media")
    # Real hashing costs ~0.2 s per account; the suite makes hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # A new key prefix through the setting, not on the cache object: Django gives each thread
    # its own cache object, and the live server's thread (browser tests) must see the prefix
    # too, or it reads pages cached by another test, another worker or an earlier run.
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches
    yield


@pytest.fixture(autouse=True)
def _worker_runs_inline(settings):
    """Background jobs run in the test's thread as they are queued (delayed ones wait in an
    in-memory schedule), and the sandbox gateway notifies at once and exactly once unless a
    test asks for it to be late or to repeat itself."""
    settings.VSHOP_SANDBOX_MAX_DELAY_SECONDS = 0
    settings.VSHOP_SANDBOX_DUPLICATE_RATE = 0
    with huey_immediate():
        yield
