"""Page helpers: avatar placeholders."""

from __future__ import annotations

from vshop.shops.models import Shop
from vshop.web.templatetags.vshop import hue, initials, shop_avatar


def test_initials_of_latin_and_chinese_names():
    assert initials("Lily Chen") == "LC"
    assert initials("lily") == "L"
    assert initials("王小美") == "王"
    assert initials("") == "?"


def test_placeholder_colour_is_stable_per_shop():
    assert hue("lily") == hue("lily")
    assert 0 <= hue("lily") < 360


def test_avatar_placeholder_escapes_the_shop_name():
    html = shop_avatar(Shop(name="<b>Evil</b>", slug="evil"))
    assert "<b>" not in html
    assert "avatar-initials" in html
