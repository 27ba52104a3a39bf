"""Every money test ends with a sound book: balanced transactions, cached balances equal to
their entries, no person's account below zero."""

from __future__ import annotations

import pytest

from vshop.ledger.checks import ledger_check


@pytest.fixture(autouse=True)
def _book_is_sound_afterwards(db):
    yield
    assert ledger_check() == []
