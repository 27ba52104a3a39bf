"""Small checks of what people type, shared by the services; each raises ``ValidationFailed``."""

from __future__ import annotations

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
