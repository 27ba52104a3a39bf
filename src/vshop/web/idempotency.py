"""``Idempotency-Key`` on API writes: a retry with the same key gets the first answer again.

A client (a phone on a bad network) that does not know whether its POST arrived sends it again
with the same key: the order, payment or refund is made once, and the retry answers exactly what
the first request answered. The same key with a different body is refused (422); a retry while
the first is still running gets 409. Answers are kept ``VSHOP_IDEMPOTENCY_HOURS`` (24 h).

Done as middleware, so it sees the final answer of any endpoint under ``/api/``. Server errors
(5xx) and authentication refusals are not kept: the retry runs again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from vshop.web.models import IdempotentRequest

HEADER = "Idempotency-Key"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
# A request still running after this long is taken to have died with its process.
ABANDONED_AFTER = timedelta(minutes=5)
NOT_KEPT = {401, 403, 409, 429}


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"code": code, "message": message, "field": HEADER}, status=status)


def _client(request: HttpRequest) -> str | None:
    """Whose key it is: the token's or the session's account, else the guest's session."""
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        from vshop.accounts.services import api_token_authenticate

        user = api_token_authenticate(auth[7:].strip())
        return f"user:{user.pk}" if user is not None else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    session = getattr(request, "session", None)
    if session is not None and session.session_key:
        return f"session:{hashlib.sha256(session.session_key.encode()).hexdigest()[:40]}"
    return None


class IdempotencyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if (
            key is None
            or request.method not in WRITE_METHODS
            or not request.path.startswith("/api/")
        ):
            return self.get_response(request)
        key = key.strip()
        if not 1 <= len(key) <= 100 or not key.isprintable():
            return _error(400, "invalid", _("An Idempotency-Key is 1 to 100 printable characters."))
        client = _client(request)
        if client is None:
            return self.get_response(request)  # nobody to remember it for; 401 follows anyway
        digest = hashlib.sha256()
        digest.update(f"{request.method} {request.path}\n".encode())
        digest.update(request.body)
        fingerprint = digest.hexdigest()

        record = self._claim(client, key, fingerprint)
        if isinstance(record, HttpResponse):
            return record
        try:
            response = self.get_response(request)
        except BaseException:
            record.delete()
            raise
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.streaming:
            record.delete()
            return response
        record.status = response.status_code
        record.content_type = response.get("Content-Type", "application/json")
        record.body = kept_body(response.content)
        record.save(update_fields=["status", "content_type", "body"])
        return response

    def _claim(self, client: str, key: str, fingerprint: str) -> IdempotentRequest | HttpResponse:
        now = timezone.now()
        try:
            with transaction.atomic():
                return IdempotentRequest.objects.create(
                    client=client, key=key, fingerprint=fingerprint, created_at=now
                )
        except IntegrityError:
            pass
        seen = IdempotentRequest.objects.filter(client=client, key=key).first()
        if seen is None:  # pruned meanwhile
            return self._claim(client, key, fingerprint)
        kept = timedelta(hours=settings.VSHOP_IDEMPOTENCY_HOURS)
        expired = seen.created_at < now - kept
        abandoned = seen.status == 0 and seen.created_at < now - ABANDONED_AFTER
        gone = (expired or abandoned) and IdempotentRequest.objects.filter(
            pk=seen.pk, created_at=seen.created_at
        ).delete()[0]
        if gone:
            return self._claim(client, key, fingerprint)
        if seen.fingerprint != fingerprint:
            return _error(
                422,
                "idempotency_key_reused",
                _("This Idempotency-Key was used for a different request; use a new key."),
            )
        if seen.status == 0:
            return _error(
                409, "request_in_progress", _("The first request with this key is still running.")
            )
        response = HttpResponse(
            bytes(seen.body), status=seen.status, content_type=seen.content_type
        )
        response["Idempotent-Replayed"] = "true"
        return response


# Answers that carry a payment secret (Stripe's client secret) are kept without it: secrets
# never touch VShop's database. A replay of such an answer says so with an empty value.
_SECRET_FIELDS = ("client_secret",)


def kept_body(body: bytes) -> bytes:
    if not any(f.encode() in body for f in _SECRET_FIELDS):
        return body
    try:
        data = json.loads(body)
    except ValueError:
        return b""
    if isinstance(data, dict):
        for field in _SECRET_FIELDS:
            if data.get(field):
                data[field] = ""
    return json.dumps(data).encode()


def idempotency_prune() -> int:
    cutoff = timezone.now() - timedelta(hours=settings.VSHOP_IDEMPOTENCY_HOURS)
    deleted, _n = IdempotentRequest.objects.filter(created_at__lt=cutoff).delete()
    return deleted
