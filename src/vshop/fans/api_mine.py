"""The fan's own side of the API: the shops she follows (mute, leave), her privacy settings,
the download of all her data, and deleting her account."""

import json
from datetime import datetime
from typing import Any

from django.contrib.auth import logout
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, NinjaAPI, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import StrictBool

from vshop.accounts.deletion import account_delete
from vshop.api import ErrorOut, InputSchema, Page, acting_user
from vshop.fans import mine, privacy, services
from vshop.fans.loyalty import LevelProgress
from vshop.shops import selectors as shop_selectors

router = Router(tags=["me"])

_ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ProgressOut(Schema):
    level: str | None = Field(None, description="my level now")
    next_level: str | None = Field(None, description="the next level, if there is one")
    remaining: int = Field(
        0, description="what is left to reach it: spend in fen, or points, as the shop counts"
    )
    percent: int = Field(0, description="how far between my level and the next (0-100)")
    basis: str = Field("spend", description="levels go by 'spend' (fen) or 'points' (earned)")


class FollowingOut(Schema):
    slug: str
    name: str
    fan_count: int
    is_following: bool
    followed_at: datetime | None
    muted: bool
    level: str | None
    points: int
    progress: ProgressOut | None


class MuteIn(InputSchema):
    muted: StrictBool


class MuteOut(Schema):
    slug: str
    muted: bool


class LeaveOut(Schema):
    slug: str
    fan_count: int


class PrivacyOut(Schema):
    share_mobile: bool
    share_email: bool
    share_city: bool
    share_activity: bool


class PrivacyIn(InputSchema):
    share_mobile: StrictBool | None = None
    share_email: StrictBool | None = None
    share_city: StrictBool | None = None
    share_activity: StrictBool | None = None


class DeleteIn(InputSchema):
    password: str


def progress_dict(progress: LevelProgress | None) -> dict[str, Any] | None:
    """The loyalty helper's ``LevelProgress`` as plain data (level names, not rows)."""
    if progress is None:
        return None
    return {
        "level": progress.level.name if progress.level else None,
        "next_level": progress.next_level.name if progress.next_level else None,
        "remaining": progress.remaining,
        "percent": progress.percent,
        "basis": str(progress.basis),
    }


def _following_out(row: mine.MyShop) -> dict[str, Any]:
    return {
        "slug": row.shop.slug,
        "name": row.shop.name,
        "fan_count": row.shop.fan_count,
        "is_following": row.is_following,
        "followed_at": row.follow.created_at if row.follow is not None else None,
        "muted": row.is_muted,
        "level": row.level_name or None,
        "points": row.points,
        "progress": progress_dict(row.progress),
    }


@router.get(
    "/following",
    response=list[FollowingOut],
    summary="The shops I follow, then other shops that know me, with my level and points",
)
@paginate(Page)
def following(request: HttpRequest) -> list[dict[str, Any]]:
    return [_following_out(row) for row in mine.my_shops(user=acting_user(request))]


@router.put(
    "/following/{slug}/mute",
    response={200: MuteOut, **_ERRORS},
    summary="Mute or unmute a shop I follow (no pushes or circle posts; I stay its fan)",
)
def mute(request: HttpRequest, slug: str, payload: MuteIn) -> dict[str, Any]:
    shop = shop_selectors.shop_public_get(slug=slug)
    follow = services.fan_mute(fan=acting_user(request), shop=shop, muted=payload.muted)
    return {"slug": shop.slug, "muted": follow.muted_at is not None}


@router.post(
    "/shops/{slug}/leave",
    response={200: LeaveOut, **_ERRORS},
    summary="Leave a shop: unfollow it and remove me from its fan list (tags, notes, points)",
)
def leave(request: HttpRequest, slug: str) -> dict[str, Any]:
    shop = shop_selectors.shop_public_get(slug=slug)
    services.fan_leave_shop(fan=acting_user(request), shop=shop)
    return {"slug": shop.slug, "fan_count": shop_selectors.shop_public_get(slug=slug).fan_count}


@router.get("/privacy", response=PrivacyOut, summary="What the shops I am a fan of may see")
def privacy_get(request: HttpRequest) -> dict[str, bool]:
    return privacy.privacy_settings_of(user=acting_user(request))


@router.put(
    "/privacy",
    response={200: PrivacyOut, **_ERRORS},
    summary="Change what shops may see; every shop's record of me follows at once",
)
def privacy_put(request: HttpRequest, payload: PrivacyIn) -> dict[str, bool]:
    user = acting_user(request)
    privacy.privacy_update(user=user, **payload.model_dump())
    return privacy.privacy_settings_of(user=user)


def data_download(user: Any) -> HttpResponse:
    """All her data as a JSON file to save (shared by the API and the privacy page)."""
    body = json.dumps(
        {"exported_at": timezone.now(), **privacy.my_data(user=user)},
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        indent=2,
    )
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="vshop-my-data-{stamp}.json"'
    response["Cache-Control"] = "no-store"
    return response


@router.get(
    "/data",
    response={200: dict[str, Any], 401: ErrorOut},
    summary="Download all my data (JSON file: account, orders, follows, points, reviews ...)",
)
def data(request: HttpRequest) -> HttpResponse:
    return data_download(acting_user(request))


@router.post(
    "/delete",
    response={204: None, **_ERRORS},
    summary=(
        "Delete my account (needs my password): personal data erased, orders kept anonymised; "
        "409 while I run a shop, have unfinished orders or money in my account"
    ),
)
def delete(request: HttpRequest, payload: DeleteIn) -> Status:
    account_delete(user=acting_user(request), password=payload.password)
    if request.user.is_authenticated:
        logout(request)
    return Status(204, None)


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/me", router)
