"""Share posters: the PNG a shop owner or promoter saves and posts in WeChat, with the product
photo, price, title, the owner's endorsement and a QR code back to the share link.

Pure rendering, no database: the caller loads the bytes and translated strings. The fonts are
subsets of Noto Sans CJK SC (GB2312 hanzi, Latin-1, punctuation; licence in fonts/OFL.txt)
shipped inside the package, so a fresh install renders Chinese without fetching anything. They
were cut from Debian's fonts-noto-cjk (face 2 of NotoSansCJK-{Regular,Bold}.ttc) with fontTools'
``Subsetter`` keeping only the ``kern`` layout feature; redo it that way to add characters.
"""

from __future__ import annotations

import io
import logging
import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import qrcode
from PIL import Image, ImageDraw, ImageFilter, ImageFont, ImageOps

from vshop.images import MAX_PIXELS

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 750, 1200
FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT_REGULAR = FONT_DIR / "NotoSansSC-Regular-subset.otf"
FONT_BOLD = FONT_DIR / "NotoSansSC-Bold-subset.otf"

RGB = tuple[int, int, int]
WHITE: RGB = (255, 255, 255)
INK: RGB = (34, 34, 34)
PRICE_RED: RGB = (226, 44, 36)
QUOTE_BOX: RGB = (247, 245, 242)
QUOTE_MARK: RGB = (240, 160, 150)
QUOTE_INK: RGB = (88, 88, 88)
MUTED: RGB = (140, 140, 140)
CAPTION: RGB = (150, 150, 150)
# Initial-letter avatars pick one of these by a stable hash of the shop name.
AVATAR_COLOURS: tuple[RGB, ...] = (
    (232, 93, 74),
    (240, 148, 60),
    (76, 175, 125),
    (66, 133, 214),
    (129, 102, 204),
    (210, 90, 150),
)

# Geometry (px). The photo square shrinks to whatever the text below leaves, so the longest
# title and endorsement still fit; short content lets it grow up to PHOTO_MAX.
MARGIN = 40  # sheet's left/right text margin
COLUMN = WIDTH - 2 * MARGIN
PHOTO_TOP = 32
PHOTO_MAX = 640
PHOTO_RADIUS = 20
SHEET_RADIUS = 28
GAP_PHOTO_TEXT = 26
PRICE_SIZE, PRICE_SYMBOL_SIZE, PRICE_SUFFIX_SIZE, PRICE_LINE = 56, 34, 26, 64
HEADLINE_SIZE, HEADLINE_LINE, HEADLINE_LINES = 30, 44, 2
GAP_PRICE_HEADLINE = 6
GAP_BLOCK = 20
QUOTE_SIZE, QUOTE_LINE, QUOTE_LINES = 25, 37, 3
QUOTE_PAD_Y, QUOTE_PAD_LEFT, QUOTE_PAD_RIGHT = 16, 58, 24
GAP_FOOTER = 28
# The QR image carries a 2-module quiet zone; the white sheet around it supplies the rest.
QR_TARGET, QR_MAX, QR_QUIET = 212, 236, 2
CAPTION_SIZE, CAPTION_GAP, CAPTION_LINE = 20, 6, 28
AVATAR = 88
SHOP_SIZE, SHOP_LINE, SHOP_LINES, SHARER_SIZE, SHARER_LINE = 28, 38, 2, 22, 36
PAD_BOTTOM = 26
ELLIPSIS = "…"

# Characters that must not begin a line in Chinese typesetting (避头点); the character before
# them is carried down with them instead.
NO_LINE_START = frozenset("，。、；：？！）】》」』〕”’…—～·,.;:?!)]}%")
_CJK = "\u2e80-\u9fff\u3000-\u303f\uf900-\ufaff\uff00-\uffef"
# A Latin word (with its trailing punctuation), a single CJK character, or a run of spaces.
_TOKEN = re.compile(rf"\s+|[{_CJK}]|[^\s{_CJK}]+")
_TOKEN_CJK = re.compile(rf"[{_CJK}]")
_SPACE_AFTER_FULL_STOP = re.compile(r"(?<=[，。、；：？！）】》」』”]) +")


@dataclass(frozen=True)
class PosterContent:
    share_url: str  # what the QR code encodes
    shop_name: str
    headline: str  # product title, or the shop's bio line for a shop poster
    price_text: str  # e.g. "¥129.00" or "¥89.00 起"; may be "" for a shop poster
    endorsement: str  # the owner's "why I recommend it" line; may be ""
    sharer_name: str  # "xx 推荐" line; may be ""
    product_image: bytes | None  # original image file bytes (any format Pillow reads) or None
    avatar_image: bytes | None  # shop avatar bytes or None (an initial-letter circle then)
    caption: str  # small text under the QR, e.g. "长按识别二维码", translated by the caller


def poster_png(content: PosterContent) -> bytes:
    """Render the 750×1200 share poster as an optimised RGB PNG.

    Text is cut to fit (title 2 lines, endorsement 3, shop name 2, the rest 1, each with an
    ellipsis), and characters the bundled font lacks, such as emoji, are dropped rather than
    drawn as boxes. An image that cannot be read gets the placeholder, never an error.
    """
    headline_font = _font(False, HEADLINE_SIZE)
    headline = _wrap(
        _clean(content.headline, keep_newlines=False), headline_font, COLUMN, HEADLINE_LINES
    )
    quote_font = _font(False, QUOTE_SIZE)
    quote_width = COLUMN - QUOTE_PAD_LEFT - QUOTE_PAD_RIGHT
    quote = _wrap(
        _clean(content.endorsement, keep_newlines=True), quote_font, quote_width, QUOTE_LINES
    )
    price = _clean(content.price_text, keep_newlines=False).strip()
    qr = _qr_image(content.share_url)

    text_height = GAP_PHOTO_TEXT
    if price:
        text_height += PRICE_LINE + (GAP_PRICE_HEADLINE if headline else GAP_BLOCK)
    if headline:
        text_height += len(headline) * HEADLINE_LINE + GAP_BLOCK
    if quote:
        text_height += len(quote) * QUOTE_LINE + 2 * QUOTE_PAD_Y + GAP_BLOCK
    footer_height = max(qr.height + CAPTION_GAP + CAPTION_LINE, AVATAR)
    text_height += GAP_FOOTER - GAP_BLOCK + footer_height + PAD_BOTTOM
    side = max(0, min(PHOTO_MAX, HEIGHT - PHOTO_TOP - text_height))
    # Short content leaves room even under the largest photo: a third of it goes above the
    # photo, the rest stays between the text and the footer, which keeps to the bottom.
    photo_top = PHOTO_TOP + (HEIGHT - PHOTO_TOP - text_height - side) // 3

    photo = _open_image(content.product_image, side)
    poster = _backdrop(photo, sheet_top=photo_top + side * 2 // 3)
    _paste_photo(poster, photo, side, photo_top)

    draw = ImageDraw.Draw(poster)
    y = photo_top + side + GAP_PHOTO_TEXT
    if price:
        _draw_price(draw, price, y)
        y += PRICE_LINE + (GAP_PRICE_HEADLINE if headline else GAP_BLOCK)
    for line in headline:
        baseline = _baseline(y, HEADLINE_LINE, HEADLINE_SIZE)
        draw.text((MARGIN, baseline), line, INK, headline_font, "ls")
        y += HEADLINE_LINE
    if headline:
        y += GAP_BLOCK
    if quote:
        _draw_quote(draw, quote, quote_font, y)

    _draw_footer(poster, draw, content, qr, HEIGHT - PAD_BOTTOM - footer_height)

    out = io.BytesIO()
    poster.save(out, format="PNG", optimize=True)
    return out.getvalue()


# --- fonts and text -------------------------------------------------------------------------


@lru_cache(maxsize=32)
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_BOLD if bold else FONT_REGULAR), size)


def _glyph_bitmap(char: str) -> bytes:
    canvas = Image.new("L", (64, 64))
    ImageDraw.Draw(canvas).text((16, 16), char, 255, _font(False, 32))
    return canvas.tobytes()


@lru_cache(maxsize=1)
def _notdef_bitmap() -> bytes:
    # U+E000 is private use and absent from the subset, so it renders as .notdef (a box).
    return _glyph_bitmap("\ue000")


@lru_cache(maxsize=8192)
def _renderable(char: str) -> bool:
    if char.isspace():
        return True
    if unicodedata.category(char) in {"Cc", "Cf", "Cs", "Co", "Cn", "Mn"}:
        return False
    return _glyph_bitmap(char) != _notdef_bitmap()


def _clean(text: str, *, keep_newlines: bool) -> str:
    """NFC text with only characters the font can draw; emoji would come out as boxes."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    if not keep_newlines:
        text = text.replace("\n", " ")
    lines = ["".join(c for c in line if _renderable(c)) for line in text.split("\n")]
    text = "\n".join(" ".join(line.split()) for line in lines).strip()
    # Full-width punctuation carries its own space; one left after it (often where an emoji
    # was dropped) shows as a hole.
    return _SPACE_AFTER_FULL_STOP.sub("", text)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Break ``text`` into at most ``max_lines`` lines no wider than ``width`` as measured with
    ``font``: Chinese between any two characters, Latin between words (a word longer than a line
    is split by character), closing punctuation never first on a line, and an ellipsis on the
    last line when something was cut."""
    lines: list[str] = []
    truncated = False
    for paragraph in text.split("\n"):
        if len(lines) == max_lines:
            truncated = True
            break
        line = ""
        tokens = _TOKEN.findall(paragraph)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token.isspace():
                line += " " if line else ""
                i += 1
                continue
            fits = font.getlength(line + token) <= width
            if fits or not line.strip():
                if not fits and len(token) > 1:
                    # A word wider than a whole line: split it into characters in place.
                    tokens[i : i + 1] = list(token)
                    continue
                line += token
                i += 1
                continue
            carried = ""
            kept = line.rstrip()
            if token[0] in NO_LINE_START and len(kept) > 1 and _TOKEN_CJK.fullmatch(kept[-1]):
                carried, line = kept[-1], kept[:-1]
            lines.append(line.rstrip())
            if len(lines) == max_lines:
                truncated = True
                break
            line = carried
        else:
            if line.strip():
                lines.append(line.rstrip())
            continue
        break
    if truncated and lines:
        lines[-1] = _with_ellipsis(lines[-1], font, width)
    return lines


def _with_ellipsis(line: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    full = line
    while line and font.getlength(line + ELLIPSIS) > width:
        line = line[:-1]
    cut_mid_word = line != full and line[-1:].isascii() and full[len(line)].isascii()
    space = line.rfind(" ")
    if cut_mid_word and line[-1:].isalnum() and space > len(line) * 2 // 3:
        line = line[:space]
    return line.rstrip(" ，。、；：,;:—-") + ELLIPSIS


def _fit_line(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    lines = _wrap(text, font, width, 1)
    return lines[0] if lines else ""


def _ink_offset(text: str, font: ImageFont.FreeTypeFont) -> tuple[int, int]:
    # FreeType's box for a full-width “ spans the whole em; where the ink starts needs a render.
    size = round(font.size * 2)
    canvas = Image.new("L", (size, size))
    ImageDraw.Draw(canvas).text((0, 0), text, 255, font)
    box = canvas.getbbox() or (0, 0, 0, 0)
    return box[0], box[1]


def _baseline(top: int, line_height: int, size: int) -> int:
    # CJK glyphs sit in an em box whose baseline is ~0.88 em down; centre that box in the line.
    return top + (line_height - size) // 2 + round(size * 0.88)


# --- images ---------------------------------------------------------------------------------


def _open_image(data: bytes | None, side: int) -> Image.Image | None:
    """The image as a ``side``-square RGB cover crop, or None for missing or unreadable bytes."""
    if not data or side <= 0:
        return None
    try:
        probe = Image.open(io.BytesIO(data))
        if probe.width * probe.height > MAX_PIXELS:
            return None
        probe.draft("RGB", (side, side))  # JPEG: decode at a reduced scale, much faster
        img: Image.Image = ImageOps.exif_transpose(probe)
        if img.mode.startswith("I"):
            # 16-bit greyscale: a plain convert would clip everything above 255 to white.
            img = img.convert("I").point(lambda v: v / 256).convert("L")
        if img.mode != "RGB":
            rgba = img.convert("RGBA")
            img = Image.new("RGB", rgba.size, WHITE)
            img.paste(rgba, mask=rgba.getchannel("A"))
        return ImageOps.fit(img, (side, side), Image.Resampling.LANCZOS)
    except Exception:
        # Stored bytes come from many places over the years; a bad one must not block sharing.
        logger.warning("poster: product or avatar image could not be read", exc_info=True)
        return None


def _round_mask(size: tuple[int, int], radius: int, *, top_only: bool = False) -> Image.Image:
    # Drawn at 4× and scaled down: Pillow's shapes have no anti-aliasing of their own.
    scale = 4
    big = Image.new("L", (size[0] * scale, size[1] * scale))
    corners = (True, True, False, False) if top_only else None
    ImageDraw.Draw(big).rounded_rectangle(
        (0, 0, big.width - 1, big.height - 1), radius * scale, 255, corners=corners
    )
    return big.resize(size, Image.Resampling.LANCZOS)


def _circle_mask(side: int) -> Image.Image:
    scale = 4
    big = Image.new("L", (side * scale, side * scale))
    ImageDraw.Draw(big).ellipse((0, 0, big.width - 1, big.height - 1), 255)
    return big.resize((side, side), Image.Resampling.LANCZOS)


def _backdrop(photo: Image.Image | None, *, sheet_top: int) -> Image.Image:
    """A soft blur of the photo (or a neutral gradient) behind the top, and the white sheet."""
    poster = Image.new("RGB", (WIDTH, HEIGHT), WHITE)
    if photo is not None:
        # Blurred at a tenth of the size: the same look as a large blur, for a fraction of the time.
        # Fit a little larger and crop, so the blur has real colour to pull in at the edges.
        band = (WIDTH // 10, (sheet_top + SHEET_RADIUS) // 10 + 1)
        pad = 8
        small = ImageOps.fit(photo, (band[0] + 2 * pad, band[1] + 2 * pad))
        small = small.filter(ImageFilter.GaussianBlur(6)).crop(
            (pad, pad, pad + band[0], pad + band[1])
        )
        blurred = small.resize((WIDTH, band[1] * 10), Image.Resampling.BICUBIC)
        poster.paste(Image.blend(blurred, Image.new("RGB", blurred.size, WHITE), 0.35))
    else:
        top, bottom = (241, 242, 245), (228, 231, 236)
        gradient = Image.linear_gradient("L").resize((WIDTH, HEIGHT))
        poster = Image.composite(
            Image.new("RGB", (WIDTH, HEIGHT), bottom),
            Image.new("RGB", (WIDTH, HEIGHT), top),
            gradient,
        )
    sheet = (WIDTH, HEIGHT - sheet_top)
    poster.paste(WHITE, (0, sheet_top), _round_mask(sheet, SHEET_RADIUS, top_only=True))
    return poster


def _placeholder(side: int) -> Image.Image:
    """A quiet grey tile with a picture outline, for a product without a usable photo."""
    tile = Image.new("RGB", (side, side), (236, 238, 241))
    draw = ImageDraw.Draw(tile)
    ink = (205, 209, 215)
    icon = side // 3
    x0, y0 = (side - icon) // 2, (side - icon * 4 // 5) // 2
    x1, y1 = x0 + icon, y0 + icon * 4 // 5
    width = max(2, side // 90)
    draw.rounded_rectangle((x0, y0, x1, y1), radius=icon // 10, outline=ink, width=width)
    sun = icon // 9
    draw.ellipse((x1 - 3 * sun, y0 + sun, x1 - sun, y0 + 3 * sun), fill=ink)
    draw.polygon(
        [
            (x0 + width, y1 - width),
            (x0 + icon * 2 // 5, y0 + icon * 2 // 5),
            (x1 - width, y1 - width),
        ],
        fill=ink,
    )
    return tile


def _paste_photo(poster: Image.Image, photo: Image.Image | None, side: int, top: int) -> None:
    if side <= 0:
        return
    tile = photo if photo is not None else _placeholder(side)
    left = (WIDTH - side) // 2
    mask = _round_mask((side, side), PHOTO_RADIUS)
    # A soft shadow lifts the photo off the backdrop and the sheet it overlaps.
    shadow = Image.new("L", poster.size)
    shadow.paste(mask.point(lambda v: v * 60 // 255), (left, top + 10))
    shadow = shadow.filter(ImageFilter.GaussianBlur(14))
    poster.paste((0, 0, 0), (0, 0), shadow)
    poster.paste(tile, (left, top), mask)


def _qr_image(url: str) -> Image.Image:
    """The QR code drawn with whole-pixel modules (crisp to scan), about QR_TARGET px wide."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QR_QUIET)
    code.add_data(url)
    code.make(fit=True)
    matrix = code.get_matrix()
    count = len(matrix)
    module = max(1, round(QR_TARGET / count))
    if module > 1 and module * count > QR_MAX:
        module -= 1
    img = Image.new("1", (count, count), 1)
    img.putdata([0 if dark else 1 for row in matrix for dark in row])
    return img.resize((count * module, count * module), Image.Resampling.NEAREST).convert("RGB")


# --- blocks -----------------------------------------------------------------------------------


def _draw_price(draw: ImageDraw.ImageDraw, price: str, top: int) -> None:
    """Currency sign small, amount large, anything after it ("起") small, on one baseline."""
    baseline = _baseline(top, PRICE_LINE, PRICE_SIZE)
    match = re.fullmatch(r"([¥￥$€£]?)\s*([\d.,]+)(.*)", price)
    if match is None:
        big = _font(True, PRICE_SIZE)
        draw.text((MARGIN, baseline), _fit_line(price, big, COLUMN), PRICE_RED, big, "ls")
        return
    symbol, amount, suffix = match.groups()
    x: float = MARGIN
    parts = (
        (symbol, _font(True, PRICE_SYMBOL_SIZE), 4),
        (amount, _font(True, PRICE_SIZE), 8),
        (suffix.strip(), _font(False, PRICE_SUFFIX_SIZE), 0),
    )
    for text, font, gap in parts:
        if text:
            text = _fit_line(text, font, round(MARGIN + COLUMN - x))
            draw.text((x, baseline), text, PRICE_RED, font, "ls")
            x += font.getlength(text) + gap


def _draw_quote(
    draw: ImageDraw.ImageDraw, lines: list[str], font: ImageFont.FreeTypeFont, top: int
) -> None:
    """The endorsement in a light box with a large opening quote mark."""
    bottom = top + len(lines) * QUOTE_LINE + 2 * QUOTE_PAD_Y
    draw.rounded_rectangle((MARGIN, top, MARGIN + COLUMN, bottom), 16, QUOTE_BOX)
    mark_font = _font(True, 72)
    ink_left, ink_top = _ink_offset("“", mark_font)
    draw.text((MARGIN + 18 - ink_left, top + 14 - ink_top), "“", QUOTE_MARK, mark_font)
    y = top + QUOTE_PAD_Y
    for line in lines:
        baseline = _baseline(y, QUOTE_LINE, QUOTE_SIZE)
        draw.text((MARGIN + QUOTE_PAD_LEFT, baseline), line, QUOTE_INK, font, "ls")
        y += QUOTE_LINE


def _draw_footer(
    poster: Image.Image,
    draw: ImageDraw.ImageDraw,
    content: PosterContent,
    qr: Image.Image,
    top: int,
) -> None:
    """Avatar, shop name and sharer on the left; the QR code and its caption on the right."""
    qr_left = MARGIN + COLUMN - qr.width
    poster.paste(qr, (qr_left, top))
    caption_font = _font(False, CAPTION_SIZE)
    caption = _fit_line(_clean(content.caption, keep_newlines=False), caption_font, qr.width + 20)
    caption_y = _baseline(top + qr.height + CAPTION_GAP, CAPTION_LINE, CAPTION_SIZE)
    draw.text((qr_left + qr.width / 2, caption_y), caption, CAPTION, caption_font, "ms")

    avatar_top = top + (qr.height - AVATAR) // 2
    _paste_avatar(poster, content, (MARGIN, avatar_top))

    text_left = MARGIN + AVATAR + 20
    text_width = qr_left - 28 - text_left
    name = _clean(content.shop_name, keep_newlines=False)
    name_font = _font(True, SHOP_SIZE)
    names = _wrap(name, name_font, text_width, SHOP_LINES)
    sharer_font = _font(False, SHARER_SIZE)
    sharer = _fit_line(_clean(content.sharer_name, keep_newlines=False), sharer_font, text_width)
    block = len(names) * SHOP_LINE + (SHARER_LINE if sharer else 0)
    y = avatar_top + (AVATAR - block) // 2
    for line in names:
        draw.text((text_left, _baseline(y, SHOP_LINE, SHOP_SIZE)), line, INK, name_font, "ls")
        y += SHOP_LINE
    if sharer:
        baseline = _baseline(y, SHARER_LINE, SHARER_SIZE)
        draw.text((text_left, baseline), sharer, MUTED, sharer_font, "ls")


def _paste_avatar(poster: Image.Image, content: PosterContent, at: tuple[int, int]) -> None:
    avatar = _open_image(content.avatar_image, AVATAR)
    if avatar is None:
        name = _clean(content.shop_name, keep_newlines=False)
        colour = AVATAR_COLOURS[zlib.crc32(name.encode()) % len(AVATAR_COLOURS)]
        avatar = Image.new("RGB", (AVATAR, AVATAR), colour)
        initial = name[:1].upper() or "V"
        ImageDraw.Draw(avatar).text(
            (AVATAR / 2, AVATAR / 2), initial, WHITE, _font(True, AVATAR * 2 // 5), "mm"
        )
    poster.paste(avatar, at, _circle_mask(AVATAR))
