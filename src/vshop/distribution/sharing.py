"""Share links and the visits they bring: making a link (one per sharer, shop or listing, and
channel), reading them, recording a touch when somebody follows one, and the link's poster.

Anyone logged in may share; whether a sale through her link pays her is decided when the order
is placed (``distribution.attribution``), not here. A code is random, so a link cannot be
guessed or forged: an unknown code is simply not found.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, QuerySet
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from vshop.accounts.models import User
from vshop.catalog.models import ProductStatus
from vshop.distribution.models import Channel, ShareLink, Touch
from vshop.errors import Conflict, NotFound, ValidationFailed
from vshop.money import format_money
from vshop.shops import selectors as shop_selectors
from vshop.shops.errors import ShopSuspended
from vshop.shops.models import Listing, ListingStatus, Shop
from vshop.shops.strategy import Unavailable, strategy_for

logger = logging.getLogger(__name__)

# Letters and digits that cannot be mistaken for one another when a code is read aloud or
# typed from a screenshot (no 0/O/o, 1/l/I, 2/Z, 5/S, u/v): 49 symbols, 10 of them ≈ 2^56.
CODE_ALPHABET = "346789ABCDEFGHJKLMNPQRTUVWXYabcdefghijkmnpqrtwxyz"
CODE_LENGTH = 10
_CODE = re.compile(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}")

# A browser counts once per link in this window; so does a storm of requests, past a few per
# address (an office or a campus shares one address, so it is not one).
TOUCH_SECONDS = 30 * 60
TOUCHES_PER_ADDRESS = 50

POSTER_SECONDS = 7 * 24 * 3600  # in the cache; its key changes whenever the poster would
POSTER_MAX_AGE = 3600  # in browsers and proxies: the URL stays while the picture may change


class ShareLinkNotValid(NotFound):
    code = "share_link_not_valid"
    default_message = gettext_lazy("This share link is not valid.")


# --- making links ---------------------------------------------------------------------------


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _check_channel(channel: str) -> None:
    if channel not in Channel.values:
        raise ValidationFailed(
            _("Choose a channel: %(channels)s.") % {"channels": ", ".join(Channel.values)},
            field="channel",
        )


def _check_shareable(shop: Shop, listing: Listing | None) -> None:
    if not shop.is_open:
        raise ShopSuspended(field="shop")
    if listing is not None and (
        listing.shop_id != shop.pk
        or listing.status != ListingStatus.ACTIVE
        or listing.product.status != ProductStatus.PUBLISHED
    ):
        raise NotFound(field="listing_id")


def _existing(
    *, sharer: User, shop: Shop, listing: Listing | None, channel: str
) -> ShareLink | None:
    qs = ShareLink.objects.filter(sharer=sharer, channel=channel)
    qs = qs.filter(listing=listing) if listing is not None else qs.filter(shop=shop, listing=None)
    return qs.first()


def share_link_for(*, sharer: User, shop: Shop, listing: Listing | None, channel: str) -> ShareLink:
    """Her link to the shop (or one of its listings on sale) for one channel, made the first
    time she asks. Two requests at once get the same link: the database's unique constraints
    decide, and the loser reads the winner's row. The shop must be open."""
    _check_channel(channel)
    _check_shareable(shop, listing)
    link = _existing(sharer=sharer, shop=shop, listing=listing, channel=channel)
    if link is not None:
        return link
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return ShareLink.objects.create(
                    code=new_code(), sharer=sharer, shop=shop, listing=listing, channel=channel
                )
        except IntegrityError:
            link = _existing(sharer=sharer, shop=shop, listing=listing, channel=channel)
            if link is not None:
                return link
            # Otherwise the random code was taken (about never): draw another.
    raise Conflict(_("Could not make a share link just now. Please try again."))


def share_links_for(*, sharer: User, shop: Shop, listing: Listing | None) -> list[ShareLink]:
    """Her link for every channel, in the channels' order (made where missing)."""
    _check_shareable(shop, listing)
    qs = ShareLink.objects.filter(sharer=sharer)
    qs = qs.filter(listing=listing) if listing is not None else qs.filter(shop=shop, listing=None)
    have = {link.channel: link for link in qs}
    return [
        have.get(channel)
        or share_link_for(sharer=sharer, shop=shop, listing=listing, channel=channel)
        for channel in Channel.values
    ]


# --- reading links ----------------------------------------------------------------------------


def shareable_shop(*, slug: str) -> Shop:
    """A shop by its short address (any visitor may share a shop she can see)."""
    return shop_selectors.shop_public_get(slug=slug)


def shareable_listing(*, shop: Shop, listing_id: int) -> Listing:
    """A listing of this shop that is on sale; another shop's, a hidden one: ``NotFound``."""
    listing = (
        Listing.objects.select_related("product")
        .filter(
            pk=listing_id,
            shop=shop,
            status=ListingStatus.ACTIVE,
            product__status=ProductStatus.PUBLISHED,
        )
        .first()
    )
    if listing is None:
        raise NotFound(field="listing_id")
    return listing


def share_link_by_code(*, code: str) -> ShareLink:
    """The link a code names; a malformed or unknown code is ``ShareLinkNotValid`` (no query
    for a malformed one)."""
    if not _CODE.fullmatch(code or ""):
        raise ShareLinkNotValid()
    link = ShareLink.objects.select_related("shop", "listing", "sharer").filter(code=code).first()
    if link is None:
        raise ShareLinkNotValid()
    return link


def share_links_of(*, sharer: User) -> QuerySet[ShareLink]:
    """Her links, newest first, each with how many visits it brought (``touch_count``)."""
    return (
        ShareLink.objects.filter(sharer=sharer)
        .select_related("shop")
        .annotate(touch_count=Count("touches"))
        .order_by("-created_at", "-pk")
    )


def share_link_url(link: ShareLink) -> str:
    """The public address of the link, as people post it."""
    return settings.VSHOP_SITE_URL + reverse("sharing:follow", kwargs={"code": link.code})


def share_poster_url(link: ShareLink) -> str:
    return settings.VSHOP_SITE_URL + reverse("sharing:poster", kwargs={"code": link.code})


def share_target_path(link: ShareLink) -> str:
    """Where following the link lands: the listing while it is on sale, else the shop."""
    listing = link.listing
    if listing is not None and listing.status == ListingStatus.ACTIVE:
        return reverse(
            "storefront:listing", kwargs={"slug": link.shop.slug, "listing_id": listing.pk}
        )
    return reverse("storefront:home", kwargs={"slug": link.shop.slug})


# --- following a link -------------------------------------------------------------------------


def touch_record(
    *,
    link: ShareLink,
    visitor_id: str,
    user: User | None,
    client_ip: str,
    now: datetime | None = None,
) -> Touch | None:
    """Record that somebody followed the link (the sharer herself included: attribution marks
    that as self-referral and pays nothing). At most one touch per browser and link in
    ``TOUCH_SECONDS``, and ``TOUCHES_PER_ADDRESS`` per address and link, so a bot storm writes
    a bounded number of rows. Returns None when the touch was not recorded."""
    if not cache.add(f"vshop:touch:{link.pk}:{visitor_id}", 1, TOUCH_SECONDS):
        return None
    per_address = f"vshop:touch-ip:{link.pk}:{client_ip}"
    cache.add(per_address, 0, TOUCH_SECONDS)
    try:
        count = cache.incr(per_address)
    except ValueError:  # expired between the two calls
        count = 1
    if count > TOUCHES_PER_ADDRESS:
        return None
    return Touch.objects.create(
        link=link,
        shop_id=link.shop_id,
        sharer_id=link.sharer_id,
        channel=link.channel,
        visitor_id=visitor_id[:32],
        user=user,
        created_at=now or timezone.now(),
    )


# --- the poster -------------------------------------------------------------------------------


def _poster_key(link: ShareLink) -> str:
    listing = link.listing
    updated = f"{listing.updated_at.timestamp():.6f}" if listing is not None else "-"
    return f"vshop:poster:{link.code}:{link.shop.content_version}:{updated}:{get_language()}"


def poster_etag(link: ShareLink) -> str:
    """Changes exactly when the poster would (shop content, listing, language): cheap to check."""
    return '"' + hashlib.md5(_poster_key(link).encode(), usedforsecurity=False).hexdigest() + '"'


def share_poster_png(link: ShareLink) -> bytes:
    """The link's poster as PNG: made once per content version and language, then cached."""
    key = _poster_key(link)
    png = cache.get(key)
    if png is None:
        png = _render_poster(link)
        cache.set(key, png, POSTER_SECONDS)
    return png


def _read(field: FieldFile | None) -> bytes | None:
    if not field:
        return None
    try:
        with field.open("rb") as f:
            return f.read()
    except OSError:
        logger.warning("poster: stored image %s could not be read", field.name)
        return None


def _render_poster(link: ShareLink) -> bytes:
    from vshop.distribution.posters import PosterContent, poster_png

    shop = link.shop
    headline, price_text, endorsement = "", "", ""
    image: bytes | None = None
    if link.listing_id is not None:
        listing = (
            shop_selectors.listing_offer_queryset(Listing.objects.filter(pk=link.listing_id))
            .select_related("shop")
            .first()
        )
        if listing is not None:
            offer = strategy_for(buyer=None).offer_for(listing)
            headline = listing.product.title
            endorsement = listing.endorsement
            shows_price = offer.is_available or offer.unavailable_reason == Unavailable.SOLD_OUT
            if shows_price and offer.price_from is not None:
                price = format_money(offer.price_from, offer.currency)
                price_text = (
                    price
                    if offer.price_from == offer.price_to
                    else _("%(price)s and up") % {"price": price}
                )
            images = list(listing.product.images.all())
            image = _read(images[0].image) if images else None
    if not headline:
        headline = shop.bio.strip().split("\n")[0] if shop.bio.strip() else shop.name
    sharer_name = link.sharer.display_name.strip()
    return poster_png(
        PosterContent(
            share_url=share_link_url(link),
            shop_name=shop.name,
            headline=headline,
            price_text=price_text,
            endorsement=endorsement,
            sharer_name=_("Recommended by %(name)s") % {"name": sharer_name} if sharer_name else "",
            product_image=image or _read(shop.cover),
            avatar_image=_read(shop.avatar),
            caption=_("Long-press to scan"),
        )
    )
