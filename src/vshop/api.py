"""The JSON API under /api/: one NinjaAPI, one router per domain app, errors mapped in one place.

Clients authenticate with the session cookie (plus the CSRF token, as pages do) or with a
personal API token: ``Authorization: Bearer vs_…``.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer, SessionAuth

from vshop.accounts.services import api_token_authenticate
from vshop.errors import DomainError


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <personal API token>``."""

    def authenticate(self, request: HttpRequest, token: str) -> object | None:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="VShop API",
    version="1",
    description=(
        "Everything VShop does, for mobile apps and mini-programs. Money is an integer of minor "
        'units (fen). Errors are JSON: {"code": ..., "message": ...}. Lists paginate with '
        "?page=&page_size=."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)


def error_response(
    request: HttpRequest, status: int, code: str, message: str, **extra: object
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [
        {
            "field": ".".join(str(p) for p in e.get("loc", [])[1:]) or None,
            "message": e.get("msg", ""),
        }
        for e in exc.errors
    ]
    first = details[0] if details else {"field": None, "message": ""}
    message = _("Check the field %(field)s: %(message)s") % {
        "field": first["field"] or "-",
        "message": first["message"],
    }
    return error_response(request, 422, "invalid", message, details=details)


@api.exception_handler(AuthenticationError)
def on_auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(
        request, 401, "not_authenticated", _("Log in, or send a valid API token.")
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, 404, "not_found", _("Not found."))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return error_response(request, exc.status_code, "error", str(exc))
