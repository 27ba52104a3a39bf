"""Domain errors. Services raise them; ``vshop.api`` and ``vshop.web.errors`` map them, in one
place each, to JSON and page answers with the same code, status and message."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A request that the rules refuse. ``status`` is the HTTP answer, ``code`` stable for clients."""

    status: int = 400
    code: str = "invalid"
    default_message = _("The request is not valid.")

    def __init__(
        self, message: object | None = None, *, field: str | None = None, **details: object
    ):
        self.message = str(message if message is not None else self.default_message)
        self.field = field
        self.details = details
        super().__init__(self.message)

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"code": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.details:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class NotFound(DomainError):
    """Also what another account's rows look like: they are not found, never forbidden."""

    status = 404
    code = "not_found"
    default_message = _("Not found.")


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"
    default_message = _("You are not allowed to do that.")


class Conflict(DomainError):
    status = 409
    code = "conflict"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    default_message = _("Too many attempts. Please wait a few minutes and try again.")
