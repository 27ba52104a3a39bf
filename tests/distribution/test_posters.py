"""Share posters: a 750×1200 PNG whose QR code scans back to the share link, whose Chinese is
drawn with the bundled font (never boxes), and whose long or broken input is cut or replaced
rather than overflowing or failing."""

from __future__ import annotations

import io
from dataclasses import replace
from functools import lru_cache

import qrcode
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from vshop.distribution import posters
from vshop.distribution.posters import PosterContent, poster_png

URL = "https://vshop.example.com/s/k3J9xQ?p=2841&r=77ab1c"


@lru_cache(maxsize=1)
def _photo() -> bytes:
    """A photo-like JPEG: gradient backdrop, a bottle, a table edge, a little sensor noise.
    Made once, since the noise is random and comparisons need the same photo."""
    img = Image.linear_gradient("L").resize((900, 700)).convert("RGB")
    img = Image.blend(img, Image.new("RGB", img.size, (240, 200, 160)), 0.6)
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 500, 900, 700), fill=(150, 105, 70))
    draw.rounded_rectangle((360, 120, 540, 520), 50, fill=(40, 120, 90))
    img = img.filter(ImageFilter.GaussianBlur(2))
    img = Image.blend(img, Image.effect_noise(img.size, 30).convert("RGB"), 0.05)
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _content(**changes: object) -> PosterContent:
    content = PosterContent(
        share_url=URL,
        shop_name="小林的山野好物店",
        headline="云南古树普洱熟茶 357克七子饼",
        price_text="¥129.00",
        endorsement="我家喝了三年的口粮茶，汤色红浓透亮。",
        sharer_name="阿梅 推荐",
        product_image=_photo(),
        avatar_image=None,
        caption="长按识别二维码",
    )
    return replace(content, **changes)


def _render(content: PosterContent) -> Image.Image:
    img = Image.open(io.BytesIO(poster_png(content)))
    img.load()
    return img


def _same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and a.tobytes() == b.tobytes()


def _glyph(font: ImageFont.FreeTypeFont, text: str) -> bytes:
    canvas = Image.new("L", (80, 80))
    ImageDraw.Draw(canvas).text((8, 8), text, 255, font)
    return canvas.tobytes()


def _qr_modules(poster: Image.Image, count: int) -> list[list[bool]]:
    """Read the QR code back from the footer by sampling the centre of every module."""
    # The footer's right end holds only the QR code and its light grey caption.
    left = posters.MARGIN + posters.COLUMN - posters.QR_MAX
    top = posters.HEIGHT - posters.PAD_BOTTOM - posters.QR_MAX - 40
    region = poster.convert("L").crop((left, top, posters.WIDTH, posters.HEIGHT))
    box = region.point(lambda v: 255 if v < 100 else 0).getbbox()
    assert box is not None, "no QR code in the footer"
    left, upper, right, lower = box
    assert right - left == lower - upper, "the QR code is not square"
    module = (right - left) / count
    assert module == int(module) and module >= 3, f"modules are {module} px, not whole pixels"
    return [
        [
            region.getpixel((int(left + (col + 0.5) * module), int(upper + (row + 0.5) * module)))
            < 128
            for col in range(count)
        ]
        for row in range(count)
    ]


def _expected_matrix(url: str) -> list[list[bool]]:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return code.get_matrix()


def test_poster_is_a_750_by_1200_rgb_png():
    img = _render(_content())

    assert img.format == "PNG"
    assert img.size == (750, 1200)
    assert img.mode == "RGB"


def test_qr_code_in_the_poster_encodes_the_share_url_at_error_correction_m():
    expected = _expected_matrix(URL)
    other = _expected_matrix("https://vshop.example.com/s/somebody-else?p=0000&r=000000")
    assert len(other) == len(expected)  # same size, so the comparison below can tell them apart

    seen = _qr_modules(_render(_content()), len(expected))

    assert seen == expected
    assert seen != other


def test_qr_code_stays_readable_with_the_longest_texts():
    content = _content(
        headline="超长标题" * 500,
        endorsement="很长的推荐语" * 500,
        shop_name="Northern Lights Outdoor Supply 北极光户外用品旗舰店" * 3,
        sharer_name="Emily Zhang 推荐" * 5,
    )
    expected = _expected_matrix(URL)

    assert _qr_modules(_render(content), len(expected)) == expected


def test_bundled_fonts_draw_every_gb2312_hanzi_as_a_real_glyph():
    for path in (posters.FONT_REGULAR, posters.FONT_BOLD):
        font = ImageFont.truetype(str(path), 32)
        notdef = _glyph(font, "\ue000")  # private use: not in the font, so its box glyph
        hanzi = [
            bytes([row, col]).decode("gb2312")
            for row in range(0xB0, 0xF8)
            for col in range(0xA1, 0xFF)
            if (row, col) not in {(0xD7, c) for c in range(0xFA, 0xFF)}  # unassigned codes
        ]
        assert len(hanzi) == 6763
        missing = [c for c in hanzi if _glyph(font, c) == notdef]
        assert missing == [], f"{path.name} lacks {''.join(missing[:20])}"
        for extra in "¥￥，。“”…—·（）A z é 0":
            assert _glyph(font, extra) != notdef, extra


def test_distinct_chinese_characters_get_distinct_glyphs():
    font = ImageFont.truetype(str(posters.FONT_REGULAR), 32)
    text = "长按识别二维码推荐小林的山野好物店起"

    bitmaps = {_glyph(font, c) for c in text}

    assert len(bitmaps) == len(text)
    assert all(any(b) for b in bitmaps)


def test_poster_without_photo_or_avatar_still_renders_with_placeholder_and_initial():
    content = _content(product_image=None, avatar_image=None, price_text="", endorsement="")

    img = _render(content)

    assert img.size == (750, 1200)
    assert _qr_modules(img, len(_expected_matrix(URL))) == _expected_matrix(URL)


def test_unreadable_image_bytes_fall_back_to_the_placeholder():
    garbage = b"\x89PNG\r\n\x1a\n" + b"definitely not pixels" * 50

    broken = _render(_content(product_image=garbage, avatar_image=b"GIF89a\x00\x00"))
    placeholder = _render(_content(product_image=None, avatar_image=None))

    assert _same_pixels(broken, placeholder)


def test_huge_title_and_endorsement_are_cut_to_the_same_poster_as_merely_long_ones():
    long = _render(_content(headline="超长标题" * 40, endorsement="很长的推荐语" * 40))
    huge = _render(_content(headline="超长标题" * 5000, endorsement="很长的推荐语" * 5000))
    short = _render(_content(headline="超长标题", endorsement="很长的推荐语"))

    assert _same_pixels(long, huge)
    assert not _same_pixels(long, short)


def test_huge_endorsement_stays_inside_its_box_and_the_margin_stays_empty():
    img = _render(_content(headline="超长标题" * 5000, endorsement="很长的推荐语" * 5000))
    rgb = img.load()
    # Inside the box, right of the text and clear of the rounded corners.
    x = posters.MARGIN + posters.COLUMN - 20
    box_rows = [y for y in range(img.height) if rgb[x, y] == posters.QUOTE_BOX]
    assert box_rows, "no endorsement box"
    box_bottom = max(box_rows)
    assert box_bottom - min(box_rows) >= posters.QUOTE_LINES * posters.QUOTE_LINE

    # Nothing drawn in the gap between the box and the footer, across the full width.
    for y in range(box_bottom + 2, box_bottom + posters.GAP_FOOTER - 2):
        assert all(rgb[x, y] == posters.WHITE for x in range(img.width)), f"ink at row {y}"
    # Nothing in the right margin of the sheet below the photo, where an unwrapped line would go.
    for y in range(box_bottom - 200, img.height):
        for x in range(posters.MARGIN + posters.COLUMN + 1, img.width):
            assert rgb[x, y] == posters.WHITE, f"ink at {x},{y}"


def test_emoji_are_dropped_rather_than_drawn_as_boxes():
    with_emoji = _render(_content(endorsement="超好喝👍🏻❤️", shop_name="小林🍵好物"))
    without = _render(_content(endorsement="超好喝", shop_name="小林好物"))

    assert _same_pixels(with_emoji, without)


def test_chinese_wraps_between_characters_within_the_measured_width():
    font = posters._font(False, 30)
    text = "汤色红浓透亮，泡到第八泡还有甜味。老茶客都说值这个价，新手也很容易上手。"

    lines = posters._wrap(text, font, 300, 10)

    assert "".join(lines) == text
    assert len(lines) > 2
    assert all(font.getlength(line) <= 300 for line in lines)
    assert not any(line[0] in posters.NO_LINE_START for line in lines)


def test_latin_wraps_between_words_and_splits_only_a_word_longer_than_a_line():
    font = posters._font(False, 30)
    text = "Ultralight waterproof hiking backpack Supercalifragilisticexpialidociousness"

    lines = posters._wrap(text, font, 300, 10)

    assert lines[0] == "Ultralight waterproof"
    assert lines[1] == "hiking backpack"
    assert "".join(lines[2:]) == "Supercalifragilisticexpialidociousness"
    assert all(font.getlength(line) <= 300 for line in lines)


def test_text_cut_at_the_line_limit_ends_with_an_ellipsis():
    font = posters._font(False, 30)

    lines = posters._wrap("好" * 100, font, 300, 2)

    assert len(lines) == 2
    assert lines[-1].endswith("…")
    assert font.getlength(lines[-1]) <= 300
