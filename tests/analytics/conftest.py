"""Each test starts with a process that remembers no visit keys and no shops."""

from __future__ import annotations

import pytest

from vshop.analytics import visits


@pytest.fixture(autouse=True)
def _fresh_visit_memory():
    visits.forget()
    yield
    visits.forget()
