"""Template helpers shared by every page: money, images."""

from __future__ import annotations

from django import template

from vshop.money import format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "CNY") -> str:
    """``{{ 1990|money }}`` → ``¥19.90``."""
    return format_money(minor, currency or "CNY")


@register.filter
def yuan(minor: int | None) -> str:
    """Minor units as a plain decimal for form inputs: ``1990`` → ``19.90``."""
    if minor is None:
        return ""
    return f"{minor // 100}.{minor % 100:02d}"


@register.simple_tag
def price_range(low: int | None, high: int | None, currency: str = "CNY") -> str:
    if low is None:
        return ""
    if high is None or high == low:
        return format_money(low, currency)
    return f"{format_money(low, currency)}–{format_money(high, currency)}"
