"""Product photos, avatars and covers for the demo, drawn with Pillow: nothing is downloaded.

Each picture is a gradient backdrop with a simple object (a bottle, a mug, a bag …), drawn at
twice the size and halved so edges come out smooth. Colours come from the caller's seeded
``Random``, so the same demo draws the same pictures. No text is drawn: no CJK font is needed.
"""

from __future__ import annotations

import colorsys
import io
import math
import random
from collections.abc import Callable

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw, ImageFilter

RGB = tuple[int, int, int]
SS = 2  # supersampling factor: draw at twice the size, then halve
PRODUCT_SIDE = 640


def _hsv(h: float, s: float, v: float) -> RGB:
    r, g, b = colorsys.hsv_to_rgb(h % 1.0, max(0.0, min(1.0, s)), max(0.0, min(1.0, v)))
    return (round(r * 255), round(g * 255), round(b * 255))


def _shade(c: RGB, factor: float) -> RGB:
    """Darker (<1) or lighter (>1) version of a colour, for highlights and outlines."""
    if factor >= 1:
        return tuple(round(x + (255 - x) * (factor - 1)) for x in c)  # type: ignore[return-value]
    return tuple(round(x * factor) for x in c)  # type: ignore[return-value]


def _gradient(size: tuple[int, int], top: RGB, bottom: RGB) -> Image.Image:
    """Top-to-bottom gradient: a one-pixel column stretched sideways, much cheaper than a
    full-size composite (the demo draws a few hundred of these)."""
    w, h = size
    column = Image.new("RGB", (1, 256))
    column.putdata(
        [
            tuple(round(t + (b - t) * i / 255) for t, b in zip(top, bottom, strict=True))
            for i in range(256)
        ]
    )
    return column.resize((1, h), Image.Resampling.BILINEAR).resize((w, h), Image.Resampling.NEAREST)


def _shadow(img: Image.Image, box: tuple[float, float, float, float]) -> None:
    """A soft contact shadow under the object, blurred at a quarter size (blur is dear) and only
    around the ellipse, then pasted back at full size."""
    pad = 24  # quarter-size pixels around the ellipse for the blur to fade into
    x0, y0, x1, y1 = (int(v / 4) for v in box)
    small = Image.new("L", (x1 - x0 + 2 * pad, y1 - y0 + 2 * pad), 0)
    ImageDraw.Draw(small).ellipse([pad, pad, pad + x1 - x0, pad + y1 - y0], fill=90)
    small = small.filter(ImageFilter.GaussianBlur(6))
    mask = small.resize((small.width * 4, small.height * 4), Image.Resampling.BILINEAR)
    img.paste((60, 50, 60), ((x0 - pad) * 4, (y0 - pad) * 4), mask=mask)


# --- objects: each draws centred at (cx, cy), sized by the unit u --------------------------

Draw = ImageDraw.ImageDraw
Shape = Callable[[Draw, float, float, float, RGB, RGB], None]


def _bottle(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.rounded_rectangle([cx - 2.2 * u, cy - 2 * u, cx + 2.2 * u, cy + 4.6 * u], 1.2 * u, fill=main)
    d.rectangle([cx - 2.4 * u, cy - 3 * u, cx + 2.4 * u, cy - 1.8 * u], fill=accent)
    d.ellipse([cx - 1.2 * u, cy - 5.4 * u, cx + 1.2 * u, cy - 2.6 * u], fill=_shade(accent, 1.35))
    for i in range(4):
        y = cy - 0.6 * u + i * 1.2 * u
        d.line([cx - 1.6 * u, y, cx - 0.6 * u, y], fill=_shade(main, 0.75), width=int(0.18 * u))
    d.rounded_rectangle(
        [cx + 0.9 * u, cy - 1.4 * u, cx + 1.5 * u, cy + 3.8 * u], 0.3 * u, fill=_shade(main, 1.3)
    )


def _romper(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    pts = [
        (cx - 1.4 * u, cy - 4 * u),
        (cx - 4.2 * u, cy - 2.6 * u),
        (cx - 3.4 * u, cy - 0.6 * u),
        (cx - 2.2 * u, cy - 1.2 * u),
        (cx - 2.4 * u, cy + 3.2 * u),
        (cx - 0.5 * u, cy + 4.4 * u),
        (cx + 0.5 * u, cy + 4.4 * u),
        (cx + 2.4 * u, cy + 3.2 * u),
        (cx + 2.2 * u, cy - 1.2 * u),
        (cx + 3.4 * u, cy - 0.6 * u),
        (cx + 4.2 * u, cy - 2.6 * u),
        (cx + 1.4 * u, cy - 4 * u),
    ]
    d.polygon(pts, fill=main)
    d.chord([cx - 1.4 * u, cy - 5 * u, cx + 1.4 * u, cy - 3 * u], 0, 180, fill=accent)
    for i in range(3):
        d.ellipse(
            [cx - 0.22 * u, cy - 1.6 * u + i * u, cx + 0.22 * u, cy - 1.16 * u + i * u],
            fill=accent,
        )


def _jar(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.rounded_rectangle([cx - 3.2 * u, cy - 1 * u, cx + 3.2 * u, cy + 3.6 * u], 1 * u, fill=main)
    d.rounded_rectangle(
        [cx - 3.4 * u, cy - 2.6 * u, cx + 3.4 * u, cy - 0.6 * u], 0.5 * u, fill=accent
    )
    d.rounded_rectangle(
        [cx - 2 * u, cy + 0.4 * u, cx + 2 * u, cy + 2.2 * u], 0.4 * u, fill=_shade(main, 1.45)
    )


def _lipstick(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.rounded_rectangle([cx - 1.5 * u, cy, cx + 1.5 * u, cy + 4.6 * u], 0.4 * u, fill=accent)
    d.rectangle([cx - 1.2 * u, cy - 1.6 * u, cx + 1.2 * u, cy + 0.2 * u], fill=_shade(accent, 1.4))
    d.polygon(
        [
            (cx - 1.0 * u, cy - 1.6 * u),
            (cx - 1.0 * u, cy - 3.6 * u),
            (cx + 1.0 * u, cy - 4.8 * u),
            (cx + 1.0 * u, cy - 1.6 * u),
        ],
        fill=main,
    )


def _dropper(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.rounded_rectangle([cx - 2 * u, cy - 1.5 * u, cx + 2 * u, cy + 4.4 * u], 0.8 * u, fill=main)
    d.rectangle([cx - 1 * u, cy - 2.8 * u, cx + 1 * u, cy - 1.4 * u], fill=accent)
    d.rounded_rectangle(
        [cx - 0.8 * u, cy - 5 * u, cx + 0.8 * u, cy - 2.6 * u], 0.8 * u, fill=accent
    )
    d.ellipse([cx - 1 * u, cy + 0.4 * u, cx + 1 * u, cy + 2.4 * u], fill=_shade(main, 1.5))


def _snack_bag(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    top, bottom, half = cy - 4 * u, cy + 4 * u, 3 * u
    zig = [(cx - half + i * half / 5, top - (0.4 * u if i % 2 else 0)) for i in range(11)]
    d.polygon(
        [*zig, (cx + half + 0.3 * u, bottom), (cx - half - 0.3 * u, bottom)],
        fill=main,
    )
    d.ellipse([cx - 1.8 * u, cy - 1.4 * u, cx + 1.8 * u, cy + 2.2 * u], fill=_shade(main, 1.5))
    d.ellipse([cx - 1 * u, cy - 0.6 * u, cx + 1 * u, cy + 1.4 * u], fill=accent)
    d.rectangle([cx - half, top + 0.6 * u, cx + half, top + 1 * u], fill=accent)


def _cookie(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    for k, (dx, dy) in enumerate(((-1.4, 0.8), (1.6, 1.4), (0, -1.2))):
        r = 2.6 * u
        x, y = cx + dx * u, cy + dy * u
        d.ellipse([x - r, y - r, x + r, y + r], fill=_shade(main, 1 - 0.08 * k))
        for a in range(5):
            ang = a * 1.3 + k
            px, py = x + math.cos(ang) * 1.4 * u, y + math.sin(ang) * 1.4 * u
            d.ellipse([px - 0.3 * u, py - 0.3 * u, px + 0.3 * u, py + 0.3 * u], fill=accent)


def _honey(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.rounded_rectangle([cx - 2.8 * u, cy - 2 * u, cx + 2.8 * u, cy + 4.2 * u], 1.4 * u, fill=main)
    d.rectangle([cx - 2.2 * u, cy - 3.4 * u, cx + 2.2 * u, cy - 1.8 * u], fill=accent)
    d.polygon(
        [(cx - 1.2 * u, cy - 3.4 * u), (cx + 1.2 * u, cy - 3.4 * u), (cx, cy - 4.6 * u)],
        fill=_shade(accent, 1.3),
    )
    d.ellipse([cx - 1.4 * u, cy, cx + 1.4 * u, cy + 2.4 * u], fill=_shade(main, 1.4))


def _mug(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.ellipse(
        [cx + 1.4 * u, cy - 1.2 * u, cx + 4.4 * u, cy + 2.4 * u], outline=main, width=int(0.7 * u)
    )
    d.rounded_rectangle([cx - 3 * u, cy - 2.6 * u, cx + 2.4 * u, cy + 3.6 * u], 0.8 * u, fill=main)
    d.rectangle([cx - 3 * u, cy - 0.2 * u, cx + 2.4 * u, cy + 0.6 * u], fill=accent)
    for i in range(3):  # steam
        x = cx - 1.6 * u + i * 1.4 * u
        d.arc(
            [x - 0.5 * u, cy - 5.2 * u, x + 0.5 * u, cy - 3.2 * u],
            90,
            270,
            fill=_shade(main, 1.5),
            width=int(0.2 * u),
        )


def _plant(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    leaf = _shade(accent, 0.9)
    for ang in (-60, -25, 0, 25, 60):
        rad = math.radians(ang - 90)
        x, y = cx + math.cos(rad) * 2.6 * u, cy - 0.6 * u + math.sin(rad) * 2.6 * u
        d.ellipse([x - 1.1 * u, y - 1.1 * u, x + 1.1 * u, y + 1.1 * u], fill=leaf)
        d.line([cx, cy, x, y], fill=leaf, width=int(0.3 * u))
    d.polygon(
        [
            (cx - 2.6 * u, cy),
            (cx + 2.6 * u, cy),
            (cx + 1.8 * u, cy + 4.2 * u),
            (cx - 1.8 * u, cy + 4.2 * u),
        ],
        fill=main,
    )
    d.rectangle([cx - 2.8 * u, cy - 0.4 * u, cx + 2.8 * u, cy + 0.5 * u], fill=_shade(main, 0.8))


def _tshirt(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    pts = [
        (cx - 1.4 * u, cy - 4 * u),
        (cx - 4.6 * u, cy - 2.6 * u),
        (cx - 3.6 * u, cy - 0.4 * u),
        (cx - 2.6 * u, cy - 0.8 * u),
        (cx - 2.6 * u, cy + 4.2 * u),
        (cx + 2.6 * u, cy + 4.2 * u),
        (cx + 2.6 * u, cy - 0.8 * u),
        (cx + 3.6 * u, cy - 0.4 * u),
        (cx + 4.6 * u, cy - 2.6 * u),
        (cx + 1.4 * u, cy - 4 * u),
    ]
    d.polygon(pts, fill=main)
    d.chord([cx - 1.4 * u, cy - 5 * u, cx + 1.4 * u, cy - 3 * u], 0, 180, fill=accent)
    d.rectangle([cx - 2.6 * u, cy + 3.4 * u, cx + 2.6 * u, cy + 4.2 * u], fill=_shade(main, 0.85))


def _handbag(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.arc(
        [cx - 2.2 * u, cy - 5 * u, cx + 2.2 * u, cy - 0.2 * u],
        180,
        360,
        fill=accent,
        width=int(0.5 * u),
    )
    d.rounded_rectangle([cx - 4 * u, cy - 2.6 * u, cx + 4 * u, cy + 3.6 * u], 0.9 * u, fill=main)
    d.rounded_rectangle(
        [cx - 4 * u, cy - 2.6 * u, cx + 4 * u, cy - 0.4 * u], 0.9 * u, fill=_shade(main, 0.85)
    )
    d.rounded_rectangle(
        [cx - 0.7 * u, cy - 0.9 * u, cx + 0.7 * u, cy + 0.3 * u], 0.2 * u, fill=accent
    )


def _sneaker(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.polygon(
        [
            (cx - 4.4 * u, cy + 1.8 * u),
            (cx - 4.2 * u, cy - 2 * u),
            (cx - 1.6 * u, cy - 2 * u),
            (cx + 0.6 * u, cy - 0.2 * u),
            (cx + 4 * u, cy + 0.6 * u),
            (cx + 4.6 * u, cy + 1.8 * u),
        ],
        fill=main,
    )
    d.rounded_rectangle(
        [cx - 4.6 * u, cy + 1.6 * u, cx + 4.8 * u, cy + 2.6 * u], 0.4 * u, fill=accent
    )
    for i in range(3):
        x = cx - 1.8 * u + i * 0.8 * u
        d.line([x, cy - 1.6 * u, x + 0.6 * u, cy - 0.6 * u], fill=accent, width=int(0.25 * u))


def _capsules(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    """Three two-tone capsules: thick round-capped strokes, so any tilt stays smooth."""
    r = 1.2 * u
    for k, (dx, dy, tilt) in enumerate(((-1.6, 0.6, 30), (1.8, -0.4, -35), (0.2, 2.8, 80))):
        ang = math.radians(tilt)
        x, y = cx + dx * u, cy + dy * u
        ex, ey = math.cos(ang) * 1.8 * u, math.sin(ang) * 1.8 * u
        (x0, y0), (x1, y1) = (x - ex, y - ey), (x + ex, y + ey)
        second = _shade(accent, 1 + 0.1 * k)
        d.line([x0, y0, x, y], fill=main, width=int(2 * r))
        d.ellipse([x0 - r, y0 - r, x0 + r, y0 + r], fill=main)
        d.line([x, y, x1, y1], fill=second, width=int(2 * r))
        d.ellipse([x1 - r, y1 - r, x1 + r, y1 + r], fill=second)


def _pill_bottle(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.rounded_rectangle([cx - 2.6 * u, cy - 2 * u, cx + 2.6 * u, cy + 4.4 * u], 0.8 * u, fill=main)
    d.rounded_rectangle(
        [cx - 2.8 * u, cy - 3.8 * u, cx + 2.8 * u, cy - 1.8 * u], 0.4 * u, fill=accent
    )
    d.rectangle([cx - 0.4 * u, cy - 0.2 * u, cx + 0.4 * u, cy + 2.6 * u], fill=(255, 255, 255))
    d.rectangle([cx - 1.6 * u, cy + 0.8 * u, cx + 1.6 * u, cy + 1.6 * u], fill=(255, 255, 255))


def _paw(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.ellipse([cx - 2.4 * u, cy - 0.4 * u, cx + 2.4 * u, cy + 3.6 * u], fill=main)
    for dx, dy in ((-2.8, -1.6), (-1, -3.2), (1, -3.2), (2.8, -1.6)):
        x, y = cx + dx * u, cy + dy * u
        d.ellipse([x - 1 * u, y - 1.2 * u, x + 1 * u, y + 1.2 * u], fill=accent)


def _bone(d: Draw, cx: float, cy: float, u: float, main: RGB, accent: RGB) -> None:
    d.rounded_rectangle(
        [cx - 3.2 * u, cy - 0.8 * u, cx + 3.2 * u, cy + 0.8 * u], 0.6 * u, fill=main
    )
    for dx in (-3.4, 3.4):
        for dy in (-0.9, 0.9):
            x, y = cx + dx * u, cy + dy * u
            d.ellipse([x - 1.2 * u, y - 1.2 * u, x + 1.2 * u, y + 1.2 * u], fill=main)
    d.ellipse([cx - 0.6 * u, cy - 0.3 * u, cx + 0.6 * u, cy + 0.3 * u], fill=accent)


SHAPES: dict[str, Shape] = {
    "bottle": _bottle,
    "romper": _romper,
    "jar": _jar,
    "lipstick": _lipstick,
    "dropper": _dropper,
    "snack_bag": _snack_bag,
    "cookie": _cookie,
    "honey": _honey,
    "mug": _mug,
    "plant": _plant,
    "tshirt": _tshirt,
    "handbag": _handbag,
    "sneaker": _sneaker,
    "capsules": _capsules,
    "pill_bottle": _pill_bottle,
    "paw": _paw,
    "bone": _bone,
}


def _jpeg_upload(img: Image.Image, name: str) -> SimpleUploadedFile:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=90)
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def product_photos(rng: random.Random, *, shape: str, count: int) -> list[SimpleUploadedFile]:
    """``count`` photos of one product: the object on its own, then closer and on a pattern."""
    draw_object = SHAPES[shape]
    hue = rng.random()
    main = _hsv(hue + rng.uniform(0.4, 0.6), rng.uniform(0.45, 0.7), rng.uniform(0.7, 0.9))
    accent = _hsv(hue + rng.uniform(-0.1, 0.1), rng.uniform(0.5, 0.8), rng.uniform(0.55, 0.8))
    photos = []
    side = PRODUCT_SIDE * SS
    for shot in range(count):
        top = _hsv(hue + 0.03 * shot, 0.12 + 0.06 * shot, 0.99)
        bottom = _hsv(hue + 0.08, 0.3 + 0.05 * shot, 0.9 - 0.03 * shot)
        img = _gradient((side, side), top, bottom)
        d = ImageDraw.Draw(img)
        if shot == 2:  # a patterned backdrop, like a styled flat-lay
            dot = _shade(bottom, 0.94)
            for y in range(0, side, side // 10):
                for x in range((y // (side // 10)) % 2 * side // 20, side, side // 10):
                    d.ellipse([x - 6, y - 6, x + 6, y + 6], fill=dot)
        u = side / (13 if shot == 0 else 10.5)  # the second and third shots are closer
        cx = side / 2 + (shot == 1) * side * 0.04
        cy = side / 2 - 0.3 * u
        _shadow(img, (cx - 4.4 * u, cy + 4.2 * u, cx + 4.4 * u, cy + 5.4 * u))
        d = ImageDraw.Draw(img)
        draw_object(d, cx, cy, u, main, accent)
        img = img.reduce(SS)
        photos.append(_jpeg_upload(img, f"{shape}-{shot}.jpg"))
    return photos


def avatar(rng: random.Random, *, hue: float) -> SimpleUploadedFile:
    """A friendly head-and-shoulders silhouette on a gradient: a stand-in for a selfie."""
    side = 480 * SS
    img = _gradient((side, side), _hsv(hue, 0.25, 1.0), _hsv(hue + 0.1, 0.55, 0.85))
    d = ImageDraw.Draw(img)
    skin = _hsv(0.07, rng.uniform(0.25, 0.4), rng.uniform(0.85, 0.97))
    hair = _hsv(rng.uniform(0.02, 0.1), rng.uniform(0.3, 0.6), rng.uniform(0.15, 0.35))
    shirt = _hsv(hue + 0.5, 0.55, 0.75)
    c = side / 2
    d.ellipse([c - 0.36 * side, 0.68 * side, c + 0.36 * side, 1.3 * side], fill=shirt)
    d.rectangle([c - 0.06 * side, 0.5 * side, c + 0.06 * side, 0.74 * side], fill=skin)
    d.ellipse([c - 0.2 * side, 0.14 * side, c + 0.2 * side, 0.58 * side], fill=hair)
    d.ellipse([c - 0.16 * side, 0.22 * side, c + 0.16 * side, 0.62 * side], fill=skin)
    d.chord([c - 0.19 * side, 0.13 * side, c + 0.19 * side, 0.45 * side], 180, 360, fill=hair)
    for dx in (-0.06, 0.06):  # eyes and a smile
        d.ellipse(
            [c + (dx - 0.015) * side, 0.4 * side, c + (dx + 0.015) * side, 0.43 * side],
            fill=(60, 45, 40),
        )
    d.arc(
        [c - 0.05 * side, 0.44 * side, c + 0.05 * side, 0.52 * side],
        20,
        160,
        fill=(170, 80, 80),
        width=6,
    )
    return _jpeg_upload(img.reduce(SS), "avatar.jpg")


def cover(rng: random.Random, *, hue: float) -> SimpleUploadedFile:
    """A wide banner: a sunset-like gradient, soft light circles and rolling hills."""
    w, h = 1200, 480
    base = _gradient((w, h), _hsv(hue, 0.35, 1.0), _hsv(hue + 0.12, 0.6, 0.85)).convert("RGBA")
    glow = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    g = ImageDraw.Draw(glow)
    for _ in range(9):
        r = rng.uniform(30, 110)
        x, y = rng.uniform(0, w), rng.uniform(0, h * 0.7)
        g.ellipse([x - r, y - r, x + r, y + r], fill=(255, 255, 255, rng.randint(30, 70)))
    base.alpha_composite(glow)
    d = ImageDraw.Draw(base)
    for layer in range(3):
        colour = (*_hsv(hue + 0.35 + 0.05 * layer, 0.35 + 0.1 * layer, 0.8 - 0.12 * layer), 255)
        y0 = h * (0.62 + 0.1 * layer)
        phase = rng.uniform(0, math.tau)
        pts = [
            (x, y0 + math.sin(x / w * math.tau * 1.3 + phase) * 22) for x in range(0, w + 40, 40)
        ]
        d.polygon([*pts, (w, h), (0, h)], fill=colour)
    return _jpeg_upload(base.convert("RGB"), "cover.jpg")
