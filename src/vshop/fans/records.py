"""Keeping each shop's record of a fan (``ShopFan``) in step with what she does: she becomes a
fan of a shop by following it, buying from it, promoting it, or by being imported. The contact
fields copied onto the record respect her privacy settings, so a shop's list and exports never
read her account.
"""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from vshop.accounts.models import User
from vshop.fans.models import FanSource, PrivacySettings, ShopFan

DIRECT = "direct"


def privacy_of(user: User) -> PrivacySettings:
    """Her privacy settings; the defaults (unsaved) when she never changed them."""
    try:
        return user.privacy  # type: ignore[no-any-return]
    except PrivacySettings.DoesNotExist:
        return PrivacySettings(user=user)


def contact_fields(user: User, privacy: PrivacySettings | None = None) -> dict[str, str]:
    """What a shop may copy of her account: her name always, the rest as she allows."""
    privacy = privacy or privacy_of(user)
    return {
        "name": (user.display_name or "")[:60],
        "mobile": (user.mobile or "") if privacy.share_mobile else "",
        "email": (user.email or "") if privacy.share_email else "",
        "time_zone": user.time_zone or "Asia/Shanghai",
    }


def _first_channel(*, shop_id: int, user: User) -> str:
    """The channel of her first share-link visit to the shop, or "direct"."""
    from vshop.distribution.models import Touch

    channel = (
        Touch.objects.filter(shop_id=shop_id, user=user)
        .order_by("created_at", "pk")
        .values_list("channel", flat=True)
        .first()
    )
    return channel or DIRECT


def shop_fan_ensure(
    *,
    shop_id: int,
    user: User,
    source: FanSource | str,
    channel: str | None = None,
    now: datetime | None = None,
) -> ShopFan:
    """The shop's record of her, made if she has none. An imported contact with her mobile or
    email (and no account yet) becomes hers. Safe against a concurrent first call."""
    existing = ShopFan.objects.filter(shop_id=shop_id, user=user).first()
    if existing is not None:
        return existing
    privacy = privacy_of(user)
    fields = contact_fields(user, privacy)
    match = Q(pk__in=[])
    if user.mobile:
        match |= Q(mobile=user.mobile)
    if user.email:
        match |= Q(email__iexact=user.email)
    with transaction.atomic():
        contact = (
            ShopFan.objects.select_for_update()
            .filter(match, shop_id=shop_id, user__isnull=True)
            .order_by("pk")
            .first()
        )
        if contact is not None:
            # Keep what the shop already knows of the contact unless she hides it now.
            contact.user = user
            contact.name = contact.name or fields["name"]
            contact.mobile = fields["mobile"]
            contact.email = fields["email"]
            contact.time_zone = fields["time_zone"]
            contact.save(update_fields=["user", "name", "mobile", "email", "time_zone"])
            return contact
        try:
            with transaction.atomic():
                return ShopFan.objects.create(
                    shop_id=shop_id,
                    user=user,
                    source=source,
                    source_channel=channel or _first_channel(shop_id=shop_id, user=user),
                    created_at=now or timezone.now(),
                    **fields,
                )
        except IntegrityError:  # a concurrent first call made it
            return ShopFan.objects.get(shop_id=shop_id, user=user)


def shop_fans_refresh_contact(*, user: User) -> int:
    """Copy her (possibly changed) name and contact details, as her privacy allows, onto every
    shop's record of her. Returns the number of records updated."""
    privacy = privacy_of(user)
    fields: dict[str, object] = dict(contact_fields(user, privacy))
    if not privacy.share_city:
        fields["city"] = ""
    return ShopFan.objects.filter(user=user).update(**fields)
