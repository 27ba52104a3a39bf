"""Circle API for the shop owner: her posts (create with images and listing cards, scheduled or
now; list; edit while allowed; delete; pin and unpin on the shop page). Thin over
``circle.posts`` and ``circle.selectors``; another owner's shop or post is 404."""

from datetime import datetime

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, File, Form, NinjaAPI, Router, Schema, UploadedFile
from ninja.errors import ValidationError as NinjaValidationError
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.api import ErrorOut, Id, InputSchema, Page, acting_user
from vshop.circle import posts, selectors
from vshop.circle.models import MAX_CARDS, MAX_IMAGES, Post, PostCard, PostImage
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop

router = Router(tags=["circle: my posts"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
# A sanity bound on the number of ids a client may send; the real limit (9) is the service's.
RAW_IDS_MAX = 50


def _shop(request: HttpRequest, slug: str) -> Shop:
    return shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)


def _aware(at: datetime | None, request: HttpRequest) -> datetime | None:
    """A time without an offset is in the acting owner's zone."""
    if at is None or at.tzinfo is not None:
        return at
    return at.replace(tzinfo=posts.zone_of(acting_user(request)))


# --- shapes ------------------------------------------------------------------------------------


class PostCreateIn(InputSchema):
    text: str = Field(
        "",
        max_length=posts.RAW_TEXT_MAX,
        description=(
            "up to 2,000 characters once cleaned: b, i, em, strong, br, p and http(s) links are "
            "kept, scripts, event handlers and other tags removed; line breaks are kept"
        ),
    )
    listing_ids: list[Id] = Field(
        default_factory=list,
        max_length=RAW_IDS_MAX,
        description=f"repeat the field: up to {MAX_CARDS} of your listings on sale, as cards",
    )
    publish_at: datetime | None = Field(
        None,
        description="schedule it: ISO-8601, in the next 30 days; without an offset: your zone",
    )


class PostUpdateIn(InputSchema):
    text: str | None = Field(None, max_length=posts.RAW_TEXT_MAX, description="null: unchanged")
    listing_ids: list[Id] | None = Field(
        None, max_length=RAW_IDS_MAX, description="null: unchanged; [] removes every card"
    )
    publish_at: datetime | None = Field(
        None, description="a scheduled post only: its new time (now or past: publish it now)"
    )


class PostImageOut(Schema):
    position: int
    url: str
    thumbnail_url: str

    @staticmethod
    def resolve_url(obj: PostImage) -> str:
        return obj.image.url

    @staticmethod
    def resolve_thumbnail_url(obj: PostImage) -> str:
        return obj.thumbnail.url


class PostCardOut(Schema):
    listing_id: int
    title: str
    url: str = Field(..., description="the listing's page in the shop")

    @staticmethod
    def resolve_title(obj: PostCard) -> str:
        return obj.listing.product.title

    @staticmethod
    def resolve_url(obj: PostCard) -> str:
        return reverse(
            "storefront:listing", kwargs={"slug": obj.post.shop.slug, "listing_id": obj.listing_id}
        )


class PostOut(Schema):
    id: int
    status: str = Field(..., description="scheduled | published")
    text: str = Field(..., description="sanitised HTML; show line breaks (white-space: pre-line)")
    publish_at: datetime
    published_at: datetime | None
    created_at: datetime
    edited_at: datetime | None
    can_edit: bool = Field(..., description="scheduled, or published in the last few minutes")
    editable_until: datetime | None = Field(..., description="published posts: edit until then")
    pinned: bool = Field(..., description="shown on the shop page")
    hidden: bool = Field(..., description="hidden by the platform: nobody else sees it")
    hidden_reason: str
    like_count: int
    comment_count: int
    share_count: int
    images: list[PostImageOut]
    cards: list[PostCardOut]

    @staticmethod
    def resolve_can_edit(obj: Post) -> bool:
        return selectors.post_can_edit(obj)

    @staticmethod
    def resolve_editable_until(obj: Post) -> datetime | None:
        return selectors.edit_deadline(obj)

    @staticmethod
    def resolve_pinned(obj: Post) -> bool:
        return obj.pinned_at is not None

    @staticmethod
    def resolve_hidden(obj: Post) -> bool:
        return obj.hidden_at is not None

    @staticmethod
    def resolve_images(obj: Post) -> list[PostImage]:
        return list(obj.images.all())

    @staticmethod
    def resolve_cards(obj: Post) -> list[PostCard]:
        cards = list(obj.cards.all())
        for card in cards:  # the card's URL needs the shop's slug: no query per card
            card.post = obj
        return cards


# --- routes ------------------------------------------------------------------------------------


@router.get(
    "/{slug}/posts",
    response={200: list[PostOut], **ERRORS},
    summary="My circle posts (scheduled and published), newest first",
)
@paginate(Page)
def post_list(request: HttpRequest, slug: str) -> QuerySet[Post]:
    shop = _shop(request, slug)
    return selectors.posts_of_shop(shop=shop).select_related("shop")


@router.post(
    "/{slug}/posts",
    response={201: PostOut, 429: ErrorOut, **ERRORS},
    summary=(
        f"Post to my fans' circle (multipart: text, listing_ids, publish_at, up to {MAX_IMAGES} "
        "images); past the daily cap: 429 saying when I can post again"
    ),
)
def post_create(
    request: HttpRequest,
    slug: str,
    payload: Form[PostCreateIn],
    images: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status:
    _refuse_unknown_parts(request)
    shop = _shop(request, slug)
    post = posts.post_create(
        shop=shop,
        actor=acting_user(request),
        text=payload.text,
        images=list(images or []),
        listing_ids=list(payload.listing_ids),
        publish_at=_aware(payload.publish_at, request),
    )
    return Status(201, _one(shop, post.pk))


def _refuse_unknown_parts(request: HttpRequest) -> None:
    """Ninja ignores form fields it does not know; a typo ("image", "listing_id") would then post
    without the pictures or cards she meant, so it is refused like an unknown JSON field."""
    known = set(PostCreateIn.model_fields) | {"images"}
    unknown = sorted((set(request.POST) | set(request.FILES)) - known)
    if unknown:
        raise NinjaValidationError(
            [{"loc": ("form", name), "msg": "Extra inputs are not permitted"} for name in unknown]
        )


def _one(shop: Shop, post_id: int) -> Post:
    post = selectors.post_of_shop(shop=shop, post_id=post_id)
    post.shop = shop
    return post


@router.get("/{slug}/posts/{post_id}", response={200: PostOut, **ERRORS}, summary="One of my posts")
def post_get(request: HttpRequest, slug: str, post_id: Id) -> Post:
    return _one(_shop(request, slug), post_id)


@router.patch(
    "/{slug}/posts/{post_id}",
    response={200: PostOut, 409: ErrorOut, 429: ErrorOut, **ERRORS},
    summary="Edit a post: its text and cards (a published one for a few minutes: 409 after); "
    "a scheduled one's time too",
)
def post_update(request: HttpRequest, slug: str, post_id: Id, payload: PostUpdateIn) -> Post:
    shop = _shop(request, slug)
    posts.post_update(
        shop=shop,
        actor=acting_user(request),
        post_id=post_id,
        text=payload.text,
        listing_ids=None if payload.listing_ids is None else list(payload.listing_ids),
        publish_at=_aware(payload.publish_at, request),
    )
    return _one(shop, post_id)


@router.delete(
    "/{slug}/posts/{post_id}",
    response={204: None, **ERRORS},
    summary="Delete a post: it leaves every feed and the shop page",
)
def post_delete(request: HttpRequest, slug: str, post_id: Id) -> Status:
    posts.post_delete(shop=_shop(request, slug), actor=acting_user(request), post_id=post_id)
    return Status(204, None)


@router.post(
    "/{slug}/posts/{post_id}/pin",
    response={200: PostOut, 409: ErrorOut, **ERRORS},
    summary="Pin a published post on my shop page (the one pinned before is unpinned)",
)
def post_pin(request: HttpRequest, slug: str, post_id: Id) -> Post:
    shop = _shop(request, slug)
    posts.post_pin(shop=shop, actor=acting_user(request), post_id=post_id)
    return _one(shop, post_id)


@router.delete(
    "/{slug}/posts/{post_id}/pin",
    response={200: PostOut, **ERRORS},
    summary="Unpin a post from my shop page",
)
def post_unpin(request: HttpRequest, slug: str, post_id: Id) -> Post:
    shop = _shop(request, slug)
    posts.post_unpin(shop=shop, actor=acting_user(request), post_id=post_id)
    return _one(shop, post_id)


def mount(api: NinjaAPI) -> None:
    """The owner's post routes under /shops/{slug}/."""
    api.add_router("/shops", router)
