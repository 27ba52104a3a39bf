"""Sharing and promoters: a shop's promoter programme, its promoters, share links, the visits
they bring (touches), which promoter an order is attributed to, and flags for the operator.

Commission is a share of the shop owner's margin, in basis points (1/100 of a percent), so a
sale can never cost the shop more than its margin. Never more than two levels: the promoter who
brought the buyer, and optionally the promoter who recruited her.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The whole margin, in basis points.
WHOLE = 10_000
# China's rules on distribution forbid three levels or more; we stop at two, here and in the
# database constraints below.
MAX_LEVELS = 2
# The longest attribution window a shop may choose (the CHECK on Programme below).
MAX_ATTRIBUTION_DAYS = 90


class JoinPolicy(models.TextChoices):
    OPEN = "open", _("Anyone can join")
    APPLICATION = "application", _("By application, I approve")
    AFTER_PURCHASE = "after_purchase", _("After a first purchase")


class AttributionModel(models.TextChoices):
    LAST_TOUCH = "last_touch", _("Last share link wins")
    FIRST_TOUCH = "first_touch", _("First share link wins")


class Channel(models.TextChoices):
    WECHAT = "wechat", _("WeChat chat")
    MOMENTS = "moments", _("WeChat Moments")
    WEIBO = "weibo", _("Weibo")
    QQ = "qq", _("QQ")
    LINK = "link", _("Copied link")
    POSTER = "poster", _("Poster")


# Traffic that came through no share link.
DIRECT = "direct"


class Programme(models.Model):
    """A shop's promoter programme: who may join, what they earn, how sales are attributed."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="programme")
    is_enabled = models.BooleanField(_("promoters can join"), default=True)
    join_policy = models.CharField(
        _("who can become a promoter"),
        max_length=16,
        choices=JoinPolicy.choices,
        default=JoinPolicy.OPEN,
    )
    levels = models.PositiveSmallIntegerField(_("levels"), default=1)
    level1_rate = models.PositiveIntegerField(
        _("commission of the promoter who brought the buyer (basis points of the margin)"),
        default=1000,
    )
    level2_rate = models.PositiveIntegerField(
        _("commission of the promoter who recruited her (basis points of the margin)"), default=0
    )
    attribution_model = models.CharField(
        _("which share link wins"),
        max_length=12,
        choices=AttributionModel.choices,
        default=AttributionModel.LAST_TOUCH,
    )
    attribution_days = models.PositiveSmallIntegerField(
        _("days a share link counts"), default=settings.VSHOP_ATTRIBUTION_DAYS
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("promoter programme")
        verbose_name_plural = _("promoter programmes")
        constraints = [
            models.CheckConstraint(
                condition=Q(levels__gte=1) & Q(levels__lte=MAX_LEVELS),
                name="programme_at_most_two_levels",
            ),
            models.CheckConstraint(
                condition=Q(levels=2) | Q(level2_rate=0), name="programme_level2_only_when_on"
            ),
            models.CheckConstraint(
                condition=Q(level1_rate__lte=WHOLE - F("level2_rate")),
                name="programme_rates_within_margin",
            ),
            models.CheckConstraint(
                condition=Q(attribution_days__gte=1)
                & Q(attribution_days__lte=MAX_ATTRIBUTION_DAYS),
                name="programme_attribution_days_range",
            ),
        ]

    def __str__(self) -> str:
        return f"programme of {self.shop_id}"


class ListingCommission(models.Model):
    """Rates for one listing, in place of the programme's."""

    listing = models.OneToOneField(
        "shops.Listing", on_delete=models.CASCADE, related_name="commission"
    )
    level1_rate = models.PositiveIntegerField(_("level 1 rate (basis points of the margin)"))
    level2_rate = models.PositiveIntegerField(
        _("level 2 rate (basis points of the margin)"), default=0
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("listing commission")
        verbose_name_plural = _("listing commissions")
        constraints = [
            models.CheckConstraint(
                condition=Q(level1_rate__lte=WHOLE - F("level2_rate")),
                name="listing_commission_within_margin",
            )
        ]

    def __str__(self) -> str:
        return f"{self.listing_id}: {self.level1_rate}/{self.level2_rate}"


class PromoterStatus(models.TextChoices):
    APPLIED = "applied", _("Waiting for approval")
    ACTIVE = "active", pgettext_lazy("promoter status", "Promoter")
    REJECTED = "rejected", _("Not approved")
    REMOVED = "removed", _("Removed")


class Promoter(models.Model):
    """A fan who promotes one shop. ``recruiter`` is the promoter who brought her in (level 2
    earns on her sales when the shop turns level 2 on); chains never loop."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="promoters")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="promoter_roles"
    )
    status = models.CharField(
        max_length=10, choices=PromoterStatus.choices, default=PromoterStatus.APPLIED
    )
    recruiter = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="recruits"
    )
    message = models.CharField(_("why I want to promote this shop"), max_length=300, blank=True)
    decision_note = models.CharField(_("answer"), max_length=300, blank=True)
    applied_at = models.DateTimeField(default=timezone.now)
    joined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("promoter")
        verbose_name_plural = _("promoters")
        ordering = ["-applied_at"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "user"], name="one_promoter_role_per_shop"),
            models.CheckConstraint(
                condition=~Q(recruiter=F("id")), name="promoter_not_own_recruiter"
            ),
        ]
        indexes = [models.Index(fields=["shop", "status"])]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.shop_id}"

    @property
    def is_active(self) -> bool:
        return self.status == PromoterStatus.ACTIVE


class ShareLink(models.Model):
    """A link somebody shared: the shop or one listing, through one channel. ``code`` is random
    and unguessable; a code that is not here is refused."""

    code = models.CharField(max_length=16, unique=True)
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="share_links"
    )
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="share_links")
    listing = models.ForeignKey(
        "shops.Listing", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        constraints = [
            models.UniqueConstraint(
                fields=["sharer", "shop", "channel"],
                condition=Q(listing__isnull=True),
                name="one_shop_share_link",
            ),
            models.UniqueConstraint(
                fields=["sharer", "listing", "channel"],
                condition=Q(listing__isnull=False),
                name="one_listing_share_link",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class Touch(models.Model):
    """One visit through a share link. ``visitor_id`` is the browser's long-lived cookie, so a
    guest's touches follow her to her account when she logs in."""

    link = models.ForeignKey(ShareLink, on_delete=models.CASCADE, related_name="touches")
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    sharer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    visitor_id = models.CharField(max_length=32)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("share visit")
        verbose_name_plural = _("share visits")
        indexes = [
            models.Index(fields=["user", "shop", "created_at"]),
            models.Index(fields=["visitor_id", "shop", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.link_id} {self.created_at:%Y-%m-%d %H:%M}"


class Device(models.Model):
    """A browser (its visitor cookie) a user has logged in from: how an order placed from the
    promoter's own device is spotted."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    visitor_id = models.CharField(max_length=32)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "visitor_id"], name="one_device_row")
        ]
        indexes = [models.Index(fields=["visitor_id"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.visitor_id}"


class OrderAttribution(models.Model):
    """Where an order came from: its channel, the first and last share visits in the window,
    and the promoters it pays (fixed when the order is placed)."""

    order = models.OneToOneField(
        "orders.Order", on_delete=models.CASCADE, related_name="attribution"
    )
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=10, default=DIRECT)
    first_touch = models.ForeignKey(
        Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_touch = models.ForeignKey(
        Touch, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The sharer whose link won, whether or not she earns anything.
    sharer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    promoter = models.ForeignKey(
        Promoter, on_delete=models.SET_NULL, null=True, blank=True, related_name="orders"
    )
    promoter2 = models.ForeignKey(
        Promoter, on_delete=models.SET_NULL, null=True, blank=True, related_name="level2_orders"
    )
    self_referral = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("order attribution")
        verbose_name_plural = _("order attributions")
        indexes = [models.Index(fields=["shop", "created_at"])]

    def __str__(self) -> str:
        return f"{self.order_id} via {self.channel}"


class FlagKind(models.TextChoices):
    SELF_REFERRAL = "self_referral", _("Promoter bought through her own link")
    SAME_ADDRESS = "same_address", _("Delivered to the promoter's own address")
    SAME_DEVICE = "same_device", _("Ordered from the promoter's own device")
    NEW_ACCOUNTS = "new_accounts", _("Many orders from new accounts")
    REFUNDED_AFTER_SETTLEMENT = "refunded_after_settlement", _("Refunded after settlement")


class Flag(models.Model):
    """A pattern the operator should look at. A flag does not stop money by itself."""

    kind = models.CharField(max_length=28, choices=FlagKind.choices)
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="+")
    promoter = models.ForeignKey(
        Promoter, on_delete=models.CASCADE, null=True, blank=True, related_name="flags"
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    resolution = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("flag")
        verbose_name_plural = _("flags")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "order"],
                condition=Q(order__isnull=False),
                name="one_flag_per_kind_and_order",
            )
        ]
        indexes = [models.Index(fields=["resolved_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.order_id or self.promoter_id}"
