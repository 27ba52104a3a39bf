"""Email or mobile: how a person identifies herself at sign-up and login."""

from __future__ import annotations

from dataclasses import dataclass

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from vshop.errors import ValidationFailed

DEFAULT_REGION = "CN"


@dataclass(frozen=True)
class Identifier:
    kind: str  # "email" or "mobile"
    value: str


def normalize_mobile(raw: str) -> str:
    """A mobile number in E.164 (``+8613800138000``); numbers without a country code are Chinese."""
    try:
        number = phonenumbers.parse(raw, DEFAULT_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed(_("Enter a valid mobile number."), field="mobile") from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(_("Enter a valid mobile number."), field="mobile")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_identifier(raw: str) -> Identifier:
    raw = (raw or "").strip()
    if not raw:
        raise ValidationFailed(_("Enter your email or mobile number."), field="identifier")
    if "@" in raw:
        try:
            validate_email(raw)
        except ValidationError as exc:
            raise ValidationFailed(_("Enter a valid email address."), field="identifier") from exc
        local, _at, domain = raw.rpartition("@")
        return Identifier("email", f"{local}@{domain.lower()}")
    return Identifier("mobile", normalize_mobile(raw))
