"""Small filters for the campaign pages."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def percent(share: float | None) -> str:
    """0.1234 → "12.3%"."""
    return f"{(share or 0) * 100:.1f}%"


@register.filter
def points(share: float | None) -> str:
    """A signed difference of rates in percentage points: 0.02 → "+2.0"."""
    return f"{(share or 0) * 100:+.1f}"
