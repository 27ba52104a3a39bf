"""Account pages. Thin: forms check the shape, ``accounts.services`` checks the rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from vshop.accounts import selectors, services
from vshop.accounts.forms import ApiTokenForm, LogInForm, PasswordChangeForm, SignUpForm
from vshop.catalog import selectors as catalog_selectors
from vshop.errors import DomainError
from vshop.shops import selectors as shop_selectors
from vshop.web.auth import acting_user
from vshop.web.errors import error_page, render_with_error


def _safe_next(request: HttpRequest) -> str:
    """The ``next`` page, if it is on this site; open redirects would help phishers."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def sign_up(request: HttpRequest) -> HttpResponse:
    """Create an account, log in, and go on to open a shop (or back to where she came from)."""
    template = "accounts/signup.html"
    next_url = _safe_next(request)
    form = SignUpForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        user = services.account_sign_up(
            identifier=form.cleaned_data["identifier"],
            password=form.cleaned_data["password"],
            display_name=form.cleaned_data["display_name"],
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    login(request, user, backend="vshop.accounts.backends.EmailOrMobileBackend")
    messages.success(request, _("Welcome to VShop, %(name)s!") % {"name": user.name})
    return redirect(next_url or reverse("shops:open"))


def log_in(request: HttpRequest) -> HttpResponse:
    template = "accounts/login.html"
    next_url = _safe_next(request)
    form = LogInForm(request.POST or None)
    context = {"form": form, "next": next_url}
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        user = services.account_log_in_check(
            request=request,
            identifier=form.cleaned_data["identifier"],
            password=form.cleaned_data["password"],
        )
    except DomainError as exc:
        # 401 for a wrong password, 429 once the failures are rate limited.
        return render_with_error(request, template, context, exc, form)
    login(request, user)
    return redirect(next_url or reverse("accounts:me"))


@require_POST
def log_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("web:home")


@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    template = "accounts/password.html"
    user = acting_user(request)
    form = PasswordChangeForm(request.POST or None)
    context = {"form": form}
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        services.account_change_password(
            user=user,
            old_password=form.cleaned_data["old_password"],
            new_password=form.cleaned_data["new_password"],
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    # Keep this session logged in; other sessions end with the old password's hash.
    update_session_auth_hash(request, user)
    messages.success(request, _("Your password has been changed."))
    return redirect("accounts:me")


@login_required
def me(request: HttpRequest) -> HttpResponse:
    user = acting_user(request)
    return render(
        request,
        "accounts/me.html",
        {
            "roles": sorted(user.roles.all(), key=lambda r: r.role),
            "shops": list(shop_selectors.shops_of_owner(owner=user)),
            "supplier": catalog_selectors.supplier_of_user(user=user),
        },
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """List and create personal API tokens. A new token's secret is shown on this answer only."""
    template = "accounts/tokens.html"
    form = ApiTokenForm(request.POST or None)
    context: dict[str, object] = {
        "form": form,
        "tokens": selectors.api_token_list(user=acting_user(request)),
    }
    if request.method != "POST":
        return render(request, template, context)
    if not form.is_valid():
        return render(request, template, context, status=400)
    try:
        token, raw = services.api_token_create(
            user=acting_user(request), name=form.cleaned_data["name"]
        )
    except DomainError as exc:
        return render_with_error(request, template, context, exc, form)
    # Rendered, not redirected: the raw secret must never be stored anywhere, not even in a message.
    context.update({"form": ApiTokenForm(), "new_token": token, "raw_token": raw})
    response = render(request, template, context, status=201)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def api_token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        token = services.api_token_revoke(user=acting_user(request), token_id=token_id)
    except DomainError as exc:
        return error_page(request, exc)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("accounts:tokens")
