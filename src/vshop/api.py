"""The JSON API under /api/: one NinjaAPI, one router per domain app, errors mapped in one place.

Clients authenticate with the session cookie (plus the CSRF token on unsafe requests, as pages
do) or with a personal API token: ``Authorization: Bearer vs_…`` (no CSRF token needed).
Shared pieces every router uses live here too: the input schema base that refuses unknown
fields, the one pagination class, and the helpers that name the acting account.
"""

import json
import math
from pathlib import Path
from typing import Annotated, Any

import ninja
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.db import DataError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import Field, NinjaAPI, Router, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.openapi.docs import Swagger
from ninja.pagination import PaginationBase
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf
from pydantic import ConfigDict, Strict

from vshop.accounts.models import User
from vshop.accounts.permissions import require_operator as operator_check
from vshop.accounts.services import api_token_authenticate
from vshop.errors import DomainError, PermissionDenied
from vshop.web.auth import acting_user  # the one helper; the apps' routers import it from here

# --- authentication -----------------------------------------------------------------------


class CsrfFailed(PermissionDenied):
    code = "csrf_failed"
    default_message = gettext_lazy(
        "Send the CSRF token (X-CSRFToken header) with session requests that change data, "
        "or use an API token."
    )


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <personal API token>``."""

    def authenticate(self, request: HttpRequest, token: str) -> object | None:
        user = api_token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class SessionCookieAuth(SessionAuth):
    """The session cookie pages use. Unsafe methods must carry the CSRF token.

    Without a session cookie the request is simply not session-authenticated (401), rather than
    refused for a missing CSRF token: an API client without cookies has nothing to forge.
    """

    def _get_key(self, request: HttpRequest) -> str | None:
        key = request.COOKIES.get(self.param_name)
        if not key:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed()
        return key

    def authenticate(self, request: HttpRequest, key: str | None) -> object | None:
        if key is None:
            return None
        return super().authenticate(request, key)


def anonymous(request: HttpRequest) -> object:
    """The last resort of optional authentication: a visitor who is not logged in."""
    return AnonymousUser()


token_auth = TokenAuth()
session_auth = SessionCookieAuth()
#: For endpoints anybody may call, where a logged-in buyer may see her own prices or state.
OPTIONAL_AUTH = [token_auth, session_auth, anonymous]


def buyer_of(request: HttpRequest) -> User | None:
    """The logged-in buyer on an optionally authenticated endpoint, or None for a visitor."""
    user = getattr(request, "auth", None)
    return user if isinstance(user, User) and user.is_authenticated else None


def require_operator(request: HttpRequest) -> User:
    """Operator endpoints: platform staff only; everybody else gets 403."""
    user = acting_user(request)
    operator_check(user)
    return user


# --- shared schemas and pagination --------------------------------------------------------


class InputSchema(Schema):
    """Base of every request body: a field the client may not set is refused (422), not ignored."""

    model_config = ConfigDict(extra="forbid")


#: A row id as clients send it: a positive 64-bit integer (bigger ones could not be a row).
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
#: An amount of money in minor units (fen): a JSON integer, never a float, a string or a bool.
MAX_MINOR = 10**9  # ¥10,000,000: a sanity cap on any amount a client sends
Minor = Annotated[int, Strict(), Field(ge=0, le=MAX_MINOR)]


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    details: Any = None


class Page(PaginationBase):
    """``?page=&page_size=`` (20 by default, 100 at most) → ``{items, count, page, pages}``."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=100_000, description="1-based page number")
        page_size: int = Field(20, ge=1, le=100, description="items per page, 100 at most")

    class Output(Schema):
        items: list[Any]
        count: int
        page: int
        pages: int

    items_attribute = "items"

    def paginate_queryset(
        self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        size = pagination.page_size
        count = self._items_count(queryset)
        offset = (pagination.page - 1) * size
        return {
            "items": list(queryset[offset : offset + size]),
            "count": count,
            "page": pagination.page,
            "pages": max(1, math.ceil(count / size)),
        }


# --- the docs page, with every asset served by VShop (no CDN) -----------------------------

_NINJA_STATIC = Path(ninja.__file__).parent / "static" / "ninja"
_DOCS_ASSETS = {
    "swagger-ui.css",
    "swagger-ui-bundle.js",
    "swagger-ui-init.js",
    "favicon.png",
    "favicon.svg",
}


class LocalSwagger(Swagger):
    """Swagger UI from the files bundled with Ninja, served under /api/docs/assets/.

    Ninja loads Swagger UI from a CDN unless ``ninja`` is in INSTALLED_APPS; users behind a
    firewall or offline must still get the docs, so the page is rendered here instead.
    """

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        self.settings["url"] = self.get_openapi_url(api, kwargs)

        def asset(name: str) -> str:
            return escape(reverse(f"{api.urls_namespace}:docs_asset", kwargs={"name": name}))

        # Script content is raw text to the HTML parser: escape "<" the JSON way, not as HTML.
        settings_json = json.dumps(self.settings).replace("<", "\\u003c")
        html = f"""<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>{escape(api.title)}</title>
<link rel="stylesheet" href="{asset("swagger-ui.css")}">
<link rel="icon" href="{asset("favicon.svg")}" type="image/svg+xml">
<link rel="icon" href="{asset("favicon.png")}" type="image/png">
</head>
<body data-csrf-token="{escape(get_token(request))}" data-api-csrf="true">
<script type="application/json" id="swagger-settings">{settings_json}</script>
<div id="swagger-ui"></div>
<script src="{asset("swagger-ui-bundle.js")}"></script>
<script src="{asset("swagger-ui-init.js")}"></script>
</body>
</html>"""
        return HttpResponse(html)


class VShopAPI(NinjaAPI):
    """Mounts the apps' routers the first time the URLconf or the OpenAPI document needs them."""

    @property
    def urls(self) -> Any:
        _mount_routers()
        return super().urls

    def get_openapi_schema(self, **kwargs: Any) -> Any:
        _mount_routers()
        return super().get_openapi_schema(**kwargs)


api = VShopAPI(
    title="VShop API",
    version="1",
    description=(
        "Everything VShop does, for mobile apps and mini-programs.\n\n"
        "* **Auth**: a personal API token (`Authorization: Bearer vs_…`, create one with "
        "`POST /api/me/tokens`) or the session cookie from `POST /api/accounts/login` "
        "(unsafe requests then need the `X-CSRFToken` header).\n"
        "* **Money** is an integer of minor units (fen) next to a `currency` code.\n"
        '* **Errors** are JSON: `{"code": ..., "message": ..., "field": ..., "details": ...}`; '
        "bad input is 4xx (422 for a body or query of the wrong shape), never 500.\n"
        "* **Lists** paginate with `?page=&page_size=` (100 at most) and answer "
        "`{items, count, page, pages}`.\n"
        "* Image URLs are relative to the site (`/media/…`)."
    ),
    auth=[token_auth, session_auth],
    urls_namespace="api",
    docs=LocalSwagger(),
)


@api.get("/docs/assets/{name}", auth=None, include_in_schema=False, url_name="docs_asset")
def docs_asset(request: HttpRequest, name: str) -> FileResponse:
    if name not in _DOCS_ASSETS:
        raise Http404
    response = FileResponse((_NINJA_STATIC / name).open("rb"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


# --- errors, in one place -----------------------------------------------------------------


def error_response(
    request: HttpRequest, status: int, code: str, message: str, **extra: object
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


_PARAM_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}


def _field_name(loc: list[object] | tuple[object, ...]) -> str | None:
    """``("body", "payload", "skus", 0, "code")`` → ``skus.0.code``: what the client sent."""
    parts = [p for p in loc if p != "[key]"]
    if parts and parts[0] in _PARAM_SOURCES:
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in {"payload", "filters", "pagination"}:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or None


@api.exception_handler(OverflowError)
@api.exception_handler(DataError)
def on_out_of_range(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A safety net: a number or text the database cannot store is the client's error, not ours.
    return error_response(request, 400, "invalid", _("A value is out of range."))


@api.exception_handler(MultiPartParserError)
@api.exception_handler(SuspiciousOperation)
@api.exception_handler(BadRequest)
def on_unreadable_request(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A malformed body (a multipart upload without its boundary, too many fields, a body over
    # the size limit): Django's pages answer 400 for these, and so does the API.
    return error_response(
        request, 400, "bad_request", _("The request body could not be read: %(why)s") % {"why": exc}
    )


@api.exception_handler(NinjaValidationError)
def on_validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    details = [
        {"field": _field_name(e.get("loc", ())), "message": e.get("msg", "")} for e in exc.errors
    ]
    first = details[0] if details else {"field": None, "message": ""}
    message = _("Check the field %(field)s: %(message)s") % {
        "field": first["field"] or "-",
        "message": first["message"],
    }
    extra: dict[str, object] = {"details": details}
    if first["field"]:
        extra["field"] = first["field"]
    return error_response(request, 422, "invalid", message, **extra)


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


# --- routers ------------------------------------------------------------------------------

_fallback = Router(tags=["errors"])


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    return error_response(request, 404, "not_found", _("There is no such API endpoint."))


def _mount_routers() -> None:
    """Add every app's routers, once, when the URLconf first asks for the API's URLs.

    Done here rather than at import time so that an app's ``api`` module may import this module's
    shared pieces whichever of the two is imported first.
    """
    if getattr(api, "_vshop_mounted", False):
        return
    from vshop.accounts.api import me_router
    from vshop.accounts.api import router as accounts_router
    from vshop.catalog.api import catalogue_router, supplier_router
    from vshop.catalog.api import operator_router as supplier_operator_router
    from vshop.messaging.api import router as inbox_router
    from vshop.shops.api import listings_router, shops_router, storefront_router
    from vshop.shops.api import operator_router as shop_operator_router

    api.add_router("/accounts", accounts_router)
    api.add_router("/me", me_router)
    api.add_router("/me/inbox", inbox_router)
    api.add_router("/supplier", supplier_router)
    api.add_router("/", catalogue_router)
    api.add_router("/shops", shops_router)
    api.add_router("/listings", listings_router)
    api.add_router("/storefront", storefront_router)
    api.add_router("/operator", supplier_operator_router)
    api.add_router("/operator", shop_operator_router)
    from vshop.orders import api as orders_api
    from vshop.payments import api as payments_api

    api.add_router("/cart", orders_api.cart_router)
    api.add_router("/me/addresses", orders_api.addresses_router)
    api.add_router("/checkouts", orders_api.checkout_router)
    api.add_router("/orders", orders_api.orders_router)
    api.add_router("/shop-orders", orders_api.shop_orders_router)
    api.add_router("/fulfilment", orders_api.fulfilment_router)
    api.add_router("/operator", orders_api.operator_router)
    api.add_router("/payments", payments_api.notify_router)
    api.add_router("/payments", payments_api.router)
    from vshop.analytics import api as analytics_api
    from vshop.distribution import api as distribution_api
    from vshop.distribution import share_api
    from vshop.payouts import api as payouts_api

    share_api.mount(api)
    distribution_api.mount(api)
    payouts_api.mount(api)
    analytics_api.mount(api)
    from vshop.fans import api as fans_api
    from vshop.trust import api as trust_api

    fans_api.mount(api)
    trust_api.mount(api)
    from vshop.campaigns import api as campaigns_api

    campaigns_api.mount(api)
    from vshop.circle import api as circle_api

    circle_api.mount(api)
    # Last: anything else under /api/ is a JSON 404, not Django's HTML page.
    api.add_router("/", _fallback)
    api._vshop_mounted = True  # type: ignore[attr-defined]
