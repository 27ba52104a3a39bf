"""The visitor cookie: a long-lived random id of the browser, so that a guest's share visits
can follow her into her account when she logs in, and a promoter's own devices are known."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

COOKIE = "vs_vid"
MAX_AGE = 2 * 365 * 24 * 3600
_SKIPPED = ("/api/", "/static/", "/media/", "/operator/jsi18n/")


def _valid(value: str | None) -> bool:
    return value is not None and len(value) == 32 and all(c in "0123456789abcdef" for c in value)


def visitor_id(request: HttpRequest) -> str:
    """The browser's visitor id (a new one, set on the response, when it has none)."""
    current: str | None = getattr(request, "visitor_id", None)
    if current:
        return current
    cookie = request.COOKIES.get(COOKIE)
    value = cookie if cookie is not None and _valid(cookie) else secrets.token_hex(16)
    request.visitor_id = value  # type: ignore[attr-defined]
    return value


class VisitorCookieMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Not on what a shared cache may keep (a poster): one id would go to many people.
        if request.path.startswith(_SKIPPED) or "public" in response.get("Cache-Control", ""):
            return response
        value = getattr(request, "visitor_id", None) or visitor_id(request)
        if request.COOKIES.get(COOKIE) != value:
            response.set_cookie(
                COOKIE,
                value,
                max_age=MAX_AGE,
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
