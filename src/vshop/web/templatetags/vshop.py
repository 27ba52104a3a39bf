"""Template helpers shared by every page: money, images."""

from __future__ import annotations

import zlib
from typing import TYPE_CHECKING

from django import template
from django.utils.html import format_html

from vshop.money import format_money

if TYPE_CHECKING:
    from vshop.shops.models import Shop

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


@register.filter
def initials(name: str) -> str:
    """What an avatar placeholder shows: the first character of a Chinese name, else up to two
    initials (``Lily Chen`` → ``LC``)."""
    name = (name or "").strip()
    if not name:
        return "?"
    if not name[0].isascii():
        return name[0]
    words = [w for w in name.replace("-", " ").split() if w]
    return "".join(w[0] for w in words[:2]).upper()


@register.filter
def hue(seed: str) -> int:
    """A stable colour (0–359) per shop, so its placeholder looks the same on every page."""
    return zlib.crc32(str(seed).encode()) % 360


@register.simple_tag
def shop_avatar(shop: Shop, size: str = "md") -> str:
    """The shop's avatar, or its initials in a coloured circle when it has none."""
    if shop.avatar:
        return format_html(
            '<img class="avatar avatar-{}" src="{}" alt="" width="96" height="96" loading="lazy">',
            size,
            shop.avatar.url,
        )
    return format_html(
        '<span class="avatar avatar-{} avatar-initials" style="--hue:{}" aria-hidden="true">'
        "{}</span>",
        size,
        hue(shop.slug),
        initials(shop.name),
    )
