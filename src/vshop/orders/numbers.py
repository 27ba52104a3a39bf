"""Order, checkout, payment and refund numbers: sortable by time, unguessable, unique (a UNIQUE
constraint guards them; a collision of 10^8 random tails within one second is not expected)."""

from __future__ import annotations

import secrets

from django.utils import timezone


def new_number(prefix: str) -> str:
    """``O2611271530454821337`` — prefix, UTC time to the second, 8 random digits."""
    return f"{prefix}{timezone.now():%y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"
