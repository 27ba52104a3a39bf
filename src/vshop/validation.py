"""Small checks of what people type, shared by the services; each raises ``ValidationFailed``."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    """Strip the text; refuse it when required and empty, or longer than ``max_length``."""
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(_("This field is required."), field=field)
    if len(value) > max_length:
        raise ValidationFailed(
            _("Too long: %(n)s characters at most.") % {"n": max_length}, field=field
        )
    return value


def local_datetime(value: str | None, *, field: str, what: str, zone: tzinfo) -> datetime | None:
    """A form's ``datetime-local`` value as an aware time in her zone (None when empty); one
    with an offset is taken as it is. Anything else: "<what>: enter a date and time." """
    text = (value or "").strip()
    if not text:
        return None
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            _("%(what)s: enter a date and time.") % {"what": what}, field=field
        ) from None
    return at.replace(tzinfo=zone) if at.tzinfo is None else at
