"""Uploaded images: checked for size and type, re-encoded (which drops anything hidden in the
file), resized, with a thumbnail. Used for product photos and shop avatars and covers."""

from __future__ import annotations

import io
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from vshop.errors import ValidationFailed

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# Decompression bombs: refuse anything over 40 megapixels before decoding it.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class ProcessedImage:
    full: ContentFile
    thumbnail: ContentFile
    width: int
    height: int


def _encode(img: Image.Image, name: str) -> ContentFile:
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(buf.getvalue(), name=name)


def process_image(
    upload: UploadedFile, *, field: str = "image", max_side: int = 1200, thumb_side: int = 400
) -> ProcessedImage:
    """Validate an uploaded file and return a resized JPEG and a square-ish thumbnail.

    Raises ``ValidationFailed`` for a file that is too large, not an image, or not JPEG, PNG,
    WebP or GIF.
    """
    size = getattr(upload, "size", None)
    if size is None:
        raise ValidationFailed(_("Choose an image file."), field=field)
    if size > settings.VSHOP_IMAGE_MAX_BYTES:
        limit_mb = settings.VSHOP_IMAGE_MAX_BYTES // (1024 * 1024)
        raise ValidationFailed(
            _("The image is too large: %(mb)s MB at most.") % {"mb": limit_mb}, field=field
        )
    try:
        upload.seek(0)
        probe = Image.open(upload)
        fmt = probe.format
        if fmt not in ALLOWED_FORMATS:
            raise ValidationFailed(_("Use a JPEG, PNG, WebP or GIF image."), field=field)
        if probe.width * probe.height > MAX_PIXELS:
            raise ValidationFailed(_("The image has too many pixels."), field=field)
        probe.verify()
        upload.seek(0)
        img: Image.Image = Image.open(upload)
        img.load()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ValidationFailed(_("This file is not an image we can read."), field=field) from exc
    img = ImageOps.exif_transpose(img)
    if img.mode not in ("RGB",):
        background = Image.new("RGB", img.size, (255, 255, 255))
        rgba = img.convert("RGBA")
        background.paste(rgba, mask=rgba.split()[-1])
        img = background
    stem = uuid.uuid4().hex[:16]
    full = img.copy()
    full.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(img, (thumb_side, thumb_side), Image.Resampling.LANCZOS)
    return ProcessedImage(
        full=_encode(full, f"{stem}.jpg"),
        thumbnail=_encode(thumb, f"{stem}_t.jpg"),
        width=full.width,
        height=full.height,
    )
