"""Accounts API: sign up, log in and out (session), the account itself, personal API tokens."""

from django.contrib.auth import login, logout, update_session_auth_hash
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt
from ninja import Router
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.accounts import selectors, services
from vshop.accounts.models import User
from vshop.accounts.schemas import (
    LogInIn,
    MeOut,
    PasswordIn,
    ProfileIn,
    SessionOut,
    SignUpIn,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from vshop.api import ErrorOut, Page, acting_user

router = Router(tags=["accounts"])
me_router = Router(tags=["accounts"])

_ERRORS = {400: ErrorOut, 401: ErrorOut, 409: ErrorOut, 422: ErrorOut, 429: ErrorOut}


def _session_out(request: HttpRequest, user: User) -> dict[str, object]:
    return {"account": user, "csrf_token": get_token(request)}


# Sign-up and login are not session-authenticated requests yet, so they need no CSRF token;
# everything after them is (or carries an API token).
@router.post(
    "/signup",
    auth=None,
    response={201: SessionOut, **_ERRORS},
    summary="Create an account (email or mobile) and log in",
)
@csrf_exempt
def sign_up(request: HttpRequest, payload: SignUpIn) -> Status:
    user = services.account_sign_up(
        identifier=payload.identifier, password=payload.password, display_name=payload.display_name
    )
    login(request, user, backend="vshop.accounts.backends.EmailOrMobileBackend")
    return Status(201, _session_out(request, user))


@router.post(
    "/login",
    auth=None,
    response={200: SessionOut, **_ERRORS},
    summary="Log in with email or mobile and password (session); 429 after repeated failures",
)
@csrf_exempt
def log_in(request: HttpRequest, payload: LogInIn) -> dict[str, object]:
    user = services.account_log_in_check(
        request=request, identifier=payload.identifier, password=payload.password
    )
    login(request, user)
    return _session_out(request, user)


@router.post("/logout", response={204: None}, summary="Log out (ends the session)")
def log_out(request: HttpRequest) -> Status:
    logout(request)
    return Status(204, None)


@me_router.get("", response=MeOut, summary="The logged-in account and its roles")
def me(request: HttpRequest) -> User:
    return acting_user(request)


@me_router.patch("", response={200: MeOut, **_ERRORS}, summary="Change name or time zone")
def me_update(request: HttpRequest, payload: ProfileIn) -> User:
    user = acting_user(request)
    return services.account_update_profile(
        user=user,
        display_name=payload.display_name
        if payload.display_name is not None
        else user.display_name,
        time_zone=payload.time_zone,
    )


@me_router.post(
    "/password", response={204: None, **_ERRORS}, summary="Change the password (needs the old one)"
)
def password_change(request: HttpRequest, payload: PasswordIn) -> Status:
    user = acting_user(request)
    services.account_change_password(
        user=user, old_password=payload.old_password, new_password=payload.new_password
    )
    if request.user.is_authenticated and request.user.pk == user.pk:
        update_session_auth_hash(request, user)  # keep this session logged in
    return Status(204, None)


@me_router.get("/tokens", response=list[TokenOut], summary="My personal API tokens")
@paginate(Page)
def token_list(request: HttpRequest) -> object:
    return selectors.api_token_list(user=acting_user(request))


@me_router.post(
    "/tokens",
    response={201: TokenCreatedOut, **_ERRORS},
    summary="Create a personal API token; the secret is in this answer only",
)
def token_create(request: HttpRequest, payload: TokenIn) -> Status:
    token, raw = services.api_token_create(user=acting_user(request), name=payload.name)
    return Status(201, {**TokenOut.from_orm(token).model_dump(), "token": raw})


@me_router.delete(
    "/tokens/{token_id}",
    response={204: None, 404: ErrorOut},
    summary="Revoke a token; requests with it are refused from now on",
)
def token_revoke(request: HttpRequest, token_id: int) -> Status:
    services.api_token_revoke(user=acting_user(request), token_id=token_id)
    return Status(204, None)
