"""Share links API: make a link for a shop or one of its listings and a channel, and list mine
with how many visits each brought. Thin over ``distribution.sharing``."""

from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, NinjaAPI, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.api import ErrorOut, Id, InputSchema, Page, acting_user
from vshop.distribution import sharing
from vshop.distribution.models import Channel, ShareLink
from vshop.fans import activity
from vshop.fans.models import ActivityKind

router = Router(tags=["sharing"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class ShareLinkIn(InputSchema):
    shop: str = Field(..., min_length=1, max_length=40, description="the shop's short address")
    listing_id: Id | None = Field(None, description="a listing on sale in that shop, or none")
    channel: str = Field(..., max_length=10, description=f"one of {', '.join(Channel.values)}")


class ShareLinkOut(Schema):
    code: str
    url: str = Field(..., description="the link to post: /r/<code>/ on the site")
    poster_url: str = Field(..., description="its poster (PNG with a QR code)")
    channel: str
    shop: str = Field(..., description="the shop's short address")
    listing_id: int | None

    @staticmethod
    def resolve_url(link: ShareLink) -> str:
        return sharing.share_link_url(link)

    @staticmethod
    def resolve_poster_url(link: ShareLink) -> str:
        return sharing.share_poster_url(link)

    @staticmethod
    def resolve_shop(link: ShareLink) -> str:
        return link.shop.slug


class MyShareLinkOut(ShareLinkOut):
    shop_name: str
    touches: int = Field(..., description="visits that came through the link")
    created_at: datetime

    @staticmethod
    def resolve_shop_name(link: ShareLink) -> str:
        return link.shop.name

    @staticmethod
    def resolve_touches(link: ShareLink) -> int:
        return link.touch_count  # type: ignore[attr-defined]


@router.post(
    "",
    response={201: ShareLinkOut, **ERRORS},
    summary="My share link for a shop or one of its listings, on one channel (made once)",
)
def share_link_create(request: HttpRequest, payload: ShareLinkIn) -> Status:
    shop = sharing.shareable_shop(slug=payload.shop)
    listing = (
        sharing.shareable_listing(shop=shop, listing_id=payload.listing_id)
        if payload.listing_id is not None
        else None
    )
    sharer = acting_user(request)
    link = sharing.share_link_for(
        sharer=sharer, shop=shop, listing=listing, channel=payload.channel
    )
    activity.record_by(user=sharer, shop_id=shop.pk, kind=ActivityKind.SHARE, ref=link.listing_id)
    return Status(201, link)


@router.get("", response=list[MyShareLinkOut], summary="My share links, newest first")
@paginate(Page)
def share_link_list(request: HttpRequest) -> QuerySet[ShareLink]:
    return sharing.share_links_of(sharer=acting_user(request))


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/share-links", router)
