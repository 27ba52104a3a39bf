"""Fans API: follow and unfollow a shop from its storefront."""

from django.http import HttpRequest
from ninja import Router

from vshop.api import ErrorOut, acting_user
from vshop.fans import services
from vshop.fans.schemas import FollowOut
from vshop.shops import selectors as shop_selectors

router = Router(tags=["storefront"])


@router.post(
    "/shops/{slug}/follow",
    response={200: FollowOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Follow a shop (doing it twice changes nothing)",
)
def follow(request: HttpRequest, slug: str) -> dict[str, object]:
    shop = shop_selectors.shop_public_get(slug=slug)
    services.fan_follow(fan=acting_user(request), shop=shop)
    return {"is_following": True, "fan_count": shop_selectors.shop_public_get(slug=slug).fan_count}


@router.delete(
    "/shops/{slug}/follow",
    response={200: FollowOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Unfollow a shop",
)
def unfollow(request: HttpRequest, slug: str) -> dict[str, object]:
    shop = shop_selectors.shop_public_get(slug=slug)
    services.fan_unfollow(fan=acting_user(request), shop=shop)
    return {
        "is_following": False,
        "fan_count": shop_selectors.shop_public_get(slug=slug).fan_count,
    }
