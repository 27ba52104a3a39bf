"""Fans API: follow and unfollow a shop from its storefront."""

from django.http import HttpRequest
from ninja import NinjaAPI, Router

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


def mount(api: NinjaAPI) -> None:
    """The fans routers: following (storefront), the owner's CRM, segments, loyalty, and the
    fan's own side. Each module adds its own routers under the prefixes it needs."""
    from vshop.fans import api_crm, api_loyalty, api_mine, api_segments

    api.add_router("/storefront", router)
    api_crm.mount(api)
    api_segments.mount(api)
    api_loyalty.mount(api)
    api_mine.mount(api)
