"""Account writes: sign-up, login (rate limited), passwords, roles and personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_ratelimit import ALL
from django_ratelimit.core import get_usage

from vshop.accounts.errors import (
    AccountExists,
    BadPassword,
    InvalidCredentials,
    LoginRateLimited,
)
from vshop.accounts.identifiers import parse_identifier
from vshop.accounts.models import AccountRole, ApiToken, Role, User
from vshop.errors import NotFound, ValidationFailed

TOKEN_PREFIX = "vs_"


def _check_password(password: str, user: User | None = None) -> None:
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise BadPassword(" ".join(exc.messages), field="password") from exc


def account_sign_up(*, identifier: str, password: str, display_name: str = "") -> User:
    """Create an account that logs in with an email or a mobile number; every account is a fan."""
    ident = parse_identifier(identifier)
    display_name = display_name.strip()[:60]
    candidate = User(**{ident.kind: ident.value}, display_name=display_name)
    _check_password(password, candidate)
    if User.objects.filter(**{ident.kind: ident.value}).exists():
        raise AccountExists(field="identifier")
    try:
        with transaction.atomic():
            candidate.set_password(password)
            candidate.save()
            AccountRole.objects.create(user=candidate, role=Role.FAN)
    except IntegrityError as exc:  # a concurrent sign-up with the same identifier
        raise AccountExists(field="identifier") from exc
    return candidate


def account_import(*, identifier: str, password_hash: str, display_name: str = "") -> User:
    """Create a fan account whose password is already hashed (imports, demo data).

    Same rules as ``account_sign_up`` except the password check, which was done when the hash
    was made; taking the hash lets a bulk load hash a shared password once, not per account.
    """
    from django.contrib.auth.hashers import identify_hasher

    ident = parse_identifier(identifier)
    try:
        identify_hasher(password_hash)
    except ValueError as exc:
        raise ValidationFailed(_("Not a password hash."), field="password_hash") from exc
    if User.objects.filter(**{ident.kind: ident.value}).exists():
        raise AccountExists(field="identifier")
    user = User(**{ident.kind: ident.value}, display_name=display_name.strip()[:60])
    user.password = password_hash
    try:
        with transaction.atomic():
            user.save()
            AccountRole.objects.create(user=user, role=Role.FAN)
    except IntegrityError as exc:
        raise AccountExists(field="identifier") from exc
    return user


def _client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _login_usage(request: HttpRequest, key: str, limit: int, *, increment: bool) -> dict:
    return get_usage(
        request,
        group="login",
        key=lambda _group, _request: key,
        rate=f"{limit}/{settings.VSHOP_LOGIN_FAILURE_WINDOW}s",
        method=ALL,
        increment=increment,
    )


def _login_keys(request: HttpRequest, identifier: str) -> list[tuple[str, int]]:
    limit = settings.VSHOP_LOGIN_FAILURE_LIMIT
    who = hashlib.sha256(identifier.strip().lower().encode()).hexdigest()[:32]
    # Per account guards against guessing one password; per address against spraying many.
    return [(f"id:{who}", limit), (f"ip:{_client_ip(request)}", limit * 4)]


def account_log_in_check(*, request: HttpRequest, identifier: str, password: str) -> User:
    """Return the account for these credentials, counting failures.

    After ``VSHOP_LOGIN_FAILURE_LIMIT`` failures for one identifier (or four times as many from
    one address) within ``VSHOP_LOGIN_FAILURE_WINDOW`` seconds, every attempt is refused with 429
    until the window passes, whether the password is right or not.
    """
    keys = _login_keys(request, identifier)
    for key, limit in keys:
        usage = _login_usage(request, key, limit, increment=False)
        if usage and usage["count"] >= limit:
            raise LoginRateLimited()
    user = None
    try:
        ident = parse_identifier(identifier)
    except ValidationFailed:
        ident = None
    if ident is not None and password:
        user = authenticate(request, username=ident.value, password=password)
    if user is None:
        for key, limit in keys:
            _login_usage(request, key, limit, increment=True)
        raise InvalidCredentials()
    return user


def account_change_password(*, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise InvalidCredentials(_("Your current password is not right."), field="old_password")
    _check_password(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password"])


def account_update_profile(*, user: User, display_name: str, time_zone: str | None = None) -> User:
    user.display_name = display_name.strip()[:60]
    fields = ["display_name"]
    if time_zone:
        from zoneinfo import available_timezones

        if time_zone not in available_timezones():
            raise ValidationFailed(_("Unknown time zone."), field="time_zone")
        user.time_zone = time_zone
        fields.append("time_zone")
    user.save(update_fields=fields)
    return user


def role_grant(*, user: User, role: str) -> None:
    AccountRole.objects.get_or_create(user=user, role=role)
    if hasattr(user, "_role_cache"):
        user._role_cache.add(role)


def operator_create(*, identifier: str, password: str, display_name: str = "") -> User:
    """An operator: platform staff with the operator console."""
    user = account_sign_up(identifier=identifier, password=password, display_name=display_name)
    user.is_staff = True
    user.is_superuser = True
    user.save(update_fields=["is_staff", "is_superuser"])
    role_grant(user=user, role=Role.OPERATOR)
    return user


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_create(*, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the raw secret is returned once and only its hash is stored."""
    name = (name or "").strip()
    if not name:
        raise ValidationFailed(
            _("Give the token a name, for example the app that uses it."), field="name"
        )
    if len(name) > 60:
        raise ValidationFailed(_("The name is too long (60 characters at most)."), field="name")
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, key_hash=_hash_token(raw))
    return token, raw


def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(user=user, pk=token_id).first()
    if token is None:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(raw: str) -> User | None:
    """The active account behind a raw token, or None. Marks the token as used (at most once a minute)."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
