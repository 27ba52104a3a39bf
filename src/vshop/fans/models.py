"""Fans and the shops they follow, and what a shop owner knows about her fans.

- ``Follow``: a fan opted in to a shop's posts and pushes (and may mute it without leaving).
- ``ShopFan``: the shop's record of one fan (her CRM row): followers, buyers, promoters and
  imported contacts. Figures the fan list filters and sorts on are kept on it (last visit,
  orders, spend, points, level, RFM), so a list page is one indexed query.
- Activity: raw events (``ActivityEvent``, pruned after ``VSHOP_ACTIVITY_RAW_DAYS``) rolled up
  into hours (``ActivityHour``, with the fan's local hour of the week) and days (``ActivityDay``).
- Tags (manual, or automatic by a rule), private notes, saved segments.
- Loyalty: the shop's rules (``LoyaltyRules``), member levels, and a points ledger per fan that
  never goes negative (a CHECK on ``ShopFan.points``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Follow(models.Model):
    fan = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="follows")
    created_at = models.DateTimeField(default=timezone.now)
    # Muted: still a fan, but no pushes or circle posts from this shop.
    muted_at = models.DateTimeField(_("muted"), null=True, blank=True)

    class Meta:
        verbose_name = _("follow")
        verbose_name_plural = _("follows")
        constraints = [models.UniqueConstraint(fields=["fan", "shop"], name="follow_once")]
        indexes = [
            # Her circle's first question, "which shops do I hear from", answered from the index
            # alone on PostgreSQL (covering indexes; other databases use follow_once).
            models.Index(
                fields=["fan"],
                include=["shop"],
                condition=Q(muted_at__isnull=True),
                name="follow_fan_unmuted",
            )
        ]

    def __str__(self) -> str:
        return f"{self.fan_id} → {self.shop_id}"


class PrivacySettings(models.Model):
    """What a fan lets the shops she is a fan of see. No row: the defaults."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy"
    )
    share_mobile = models.BooleanField(_("shops may see my mobile number"), default=True)
    share_email = models.BooleanField(_("shops may see my email"), default=False)
    share_city = models.BooleanField(_("shops may see my city"), default=True)
    share_activity = models.BooleanField(
        _("shops may see when I visit and what I look at"), default=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("privacy settings")
        verbose_name_plural = _("privacy settings")

    def __str__(self) -> str:
        return f"privacy of {self.user_id}"


class FanSource(models.TextChoices):
    FOLLOW = "follow", _("Followed the shop")
    ORDER = "order", _("Bought")
    PROMOTER = "promoter", _("Became a promoter")
    IMPORT = "import", _("Imported")


class RfmGroup(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    PROMISING = "promising", _("Promising")
    NEW = "new", pgettext_lazy("rfm group", "New")
    AT_RISK = "at_risk", _("At risk")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class ShopFan(models.Model):
    """One fan as one shop knows her. ``user`` is empty for an imported contact without an
    account (she is linked when an account with her mobile or email becomes a fan).

    ``name``, ``mobile``, ``email`` and ``city`` are copies that respect her privacy settings
    (blank when she hides them), so the shop's list can search them without ever reading her
    account.
    """

    # No index of its own: every index below starts with the shop (each costs the activity
    # rollup's updates a write).
    shop = models.ForeignKey(
        "shops.Shop", on_delete=models.CASCADE, related_name="fans", db_index=False
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="fan_records",
    )
    name = models.CharField(_("name"), max_length=60, blank=True)
    mobile = models.CharField(_("mobile number"), max_length=20, blank=True)
    email = models.CharField(_("email"), max_length=254, blank=True)
    city = models.CharField(_("city"), max_length=20, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=40, default="Asia/Shanghai")
    source = models.CharField(_("how she came"), max_length=10, choices=FanSource.choices)
    # The channel of her first share-link visit ("direct" without one, "import" for imports).
    source_channel = models.CharField(_("source channel"), max_length=10, default="direct")
    # Consent to be contacted (pushes, email). Imported rows need an explicit yes.
    contactable = models.BooleanField(_("may be contacted"), default=True)
    is_follower = models.BooleanField(_("follows the shop"), default=False)
    followed_at = models.DateTimeField(_("followed"), null=True, blank=True)
    is_muted = models.BooleanField(_("muted the shop"), default=False)
    created_at = models.DateTimeField(_("fan since"), default=timezone.now)

    last_visit_at = models.DateTimeField(_("last visit"), null=True, blank=True)
    visit_count = models.PositiveIntegerField(_("visits"), default=0)
    share_count = models.PositiveIntegerField(_("shares"), default=0)
    share_sales = models.PositiveBigIntegerField(_("sales from her shares"), default=0)
    first_order_at = models.DateTimeField(_("first order"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last order"), null=True, blank=True)
    order_count = models.PositiveIntegerField(_("orders"), default=0)
    total_spend = models.PositiveBigIntegerField(_("total spend"), default=0)  # paid − refunded

    points = models.PositiveIntegerField(_("points"), default=0)
    points_earned = models.PositiveIntegerField(_("points earned"), default=0)  # lifetime
    level = models.ForeignKey(
        "fans.MemberLevel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("member level"),
    )

    # 1–5 by quintile within the shop; 0 until she has bought (or before the first scoring).
    recency = models.PositiveSmallIntegerField(default=0)
    frequency = models.PositiveSmallIntegerField(default=0)
    monetary = models.PositiveSmallIntegerField(default=0)
    rfm_group = models.CharField(
        _("RFM group"), max_length=12, choices=RfmGroup.choices, blank=True
    )
    scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("fan of a shop")
        verbose_name_plural = _("fans of shops")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "user"], condition=Q(user__isnull=False), name="shopfan_once"
            ),
            models.UniqueConstraint(
                fields=["shop", "mobile"],
                condition=Q(user__isnull=True) & ~Q(mobile=""),
                name="shopfan_contact_mobile_once",
            ),
            models.UniqueConstraint(
                fields=["shop", "email"],
                condition=Q(user__isnull=True) & ~Q(email=""),
                name="shopfan_contact_email_once",
            ),
            models.CheckConstraint(condition=Q(points__gte=0), name="shopfan_points_not_negative"),
            models.CheckConstraint(
                condition=Q(recency__lte=5) & Q(frequency__lte=5) & Q(monetary__lte=5),
                name="shopfan_rfm_scores_1_to_5",
            ),
        ]
        # The fan list sorts and filters within one shop; each sort key gets (shop, key, id).
        indexes = [
            models.Index(fields=["shop", "id"], name="shopfan_shop_id"),
            models.Index(fields=["shop", "followed_at", "id"], name="shopfan_followed"),
            models.Index(fields=["shop", "last_visit_at", "id"], name="shopfan_last_visit"),
            models.Index(fields=["shop", "last_order_at", "id"], name="shopfan_last_order"),
            models.Index(fields=["shop", "order_count", "id"], name="shopfan_orders"),
            models.Index(fields=["shop", "total_spend", "id"], name="shopfan_spend"),
            models.Index(fields=["shop", "rfm_group"], name="shopfan_rfm"),
            models.Index(fields=["shop", "level"], name="shopfan_level"),
            models.Index(fields=["shop", "mobile"], name="shopfan_mobile"),
        ]

    def __str__(self) -> str:
        return self.name or self.mobile or self.email or f"#{self.pk}"


class FanNote(models.Model):
    """A private note of the shop owner about a fan; only her shop sees it."""

    fan = models.ForeignKey(ShopFan, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("note"), max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.text[:40]


class Tag(models.Model):
    """A shop's label for fans. With a ``rule`` (a condition in the segment language) it is
    automatic: the scheduled job puts it on exactly the fans the rule matches."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="fan_tags")
    name = models.CharField(_("tag"), max_length=30)
    rule = models.JSONField(_("rule"), null=True, blank=True)
    evaluated_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="tag_name_once")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_automatic(self) -> bool:
        return self.rule is not None


class FanTag(models.Model):
    fan = models.ForeignKey(ShopFan, on_delete=models.CASCADE, related_name="tag_links")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="fan_links")
    by_rule = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fan", "tag"], name="fantag_once")]
        indexes = [models.Index(fields=["tag", "fan"], name="fantag_tag_fan")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.fan_id}"


class Segment(models.Model):
    """A saved audience: conditions combined with AND/OR (see ``fans.conditions``)."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="segments")
    name = models.CharField(_("name"), max_length=60)
    rule = models.JSONField(_("conditions"))
    fan_count = models.PositiveIntegerField(_("fans"), default=0)  # at the last save or count
    counted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["shop", "name"], name="segment_name_once")]

    def __str__(self) -> str:
        return self.name


# --- loyalty ---------------------------------------------------------------------------------


class LevelBasis(models.TextChoices):
    SPEND = "spend", _("Total spend")
    POINTS = "points", _("Points earned")


class LoyaltyRules(models.Model):
    """A shop's points and levels. No row: points and levels are off."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="loyalty")
    points_enabled = models.BooleanField(_("points are on"), default=True)
    points_per_yuan = models.PositiveIntegerField(_("points per ¥1 spent"), default=1)
    checkin_points = models.PositiveIntegerField(_("points for a daily check-in"), default=5)
    review_points = models.PositiveIntegerField(_("points for a review"), default=20)
    # How many points make ¥1 off at checkout, and how much of an order points may pay.
    points_per_yuan_off = models.PositiveIntegerField(_("points for ¥1 off"), default=100)
    max_points_percent = models.PositiveSmallIntegerField(
        # xgettext:no-python-format
        _("points may pay at most (% of the goods)"),
        default=50,
    )
    points_expire_days = models.PositiveIntegerField(
        _("points expire after (days, 0 = never)"), default=365
    )
    level_basis = models.CharField(
        _("levels are reached by"),
        max_length=6,
        choices=LevelBasis.choices,
        default=LevelBasis.SPEND,
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("points and levels")
        verbose_name_plural = _("points and levels")
        constraints = [
            models.CheckConstraint(
                condition=Q(points_per_yuan_off__gt=0), name="loyalty_points_per_yuan_off_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_points_percent__lte=100), name="loyalty_max_points_percent_100"
            ),
        ]

    def __str__(self) -> str:
        return f"points and levels of {self.shop_id}"


class MemberLevel(models.Model):
    """A member level: a fan reaches it when her spend (fen) or points earned reach
    ``threshold``. Thresholds are unique within a shop; a higher level never gives less."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="member_levels")
    name = models.CharField(_("name"), max_length=30)
    threshold = models.PositiveBigIntegerField(_("reached at"))
    discount_percent = models.PositiveSmallIntegerField(_("discount (%)"), default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("member level")
        verbose_name_plural = _("member levels")
        ordering = ["shop", "threshold"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "threshold"], name="level_threshold_once"),
            models.UniqueConstraint(fields=["shop", "name"], name="level_name_once"),
            models.CheckConstraint(
                condition=Q(discount_percent__lte=90), name="level_discount_at_most_90"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PointsKind(models.TextChoices):
    PURCHASE = "purchase", _("Purchase")
    CHECKIN = "checkin", _("Daily check-in")
    REVIEW = "review", _("Review")
    REDEEM = "redeem", _("Paid at checkout")
    RETURN = "return", _("Returned (order not paid or refunded)")
    REFUND = "refund", _("Taken back (refund)")
    EXPIRY = "expiry", _("Expired")
    ADJUST = "adjust", _("Adjusted by the shop")


class PointsEntry(models.Model):
    """One movement of a fan's points. Append only. ``key`` makes each event count once (one
    check-in a day, one purchase award per order). Earned entries are lots: ``remaining`` is
    what is left of them, spent oldest first, and what is left at ``expires_at`` expires."""

    fan = models.ForeignKey(ShopFan, on_delete=models.CASCADE, related_name="points_entries")
    kind = models.CharField(max_length=10, choices=PointsKind.choices)
    delta = models.IntegerField()
    balance_after = models.PositiveIntegerField()
    key = models.CharField(max_length=60)
    order = models.ForeignKey(
        "orders.Order", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    remaining = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    memo = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["fan", "key"], name="points_entry_once"),
            models.CheckConstraint(condition=~Q(delta=0), name="points_entry_not_zero"),
        ]
        indexes = [
            models.Index(
                fields=["expires_at"], condition=Q(remaining__gt=0), name="points_lots_open"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delta:+d}"


# --- activity --------------------------------------------------------------------------------


class ActivityKind(models.IntegerChoices):
    VISIT = 1, _("Visit")
    VIEW = 2, _("Product view")
    CART = 3, _("Add to cart")
    ORDER = 4, _("Order")
    SHARE = 5, _("Share")
    OPEN = 6, _("Message opened")
    CLICK = 7, _("Message clicked")


class ActivityEvent(models.Model):
    """A raw event, kept ``VSHOP_ACTIVITY_RAW_DAYS``. Written in batches by ``fans.activity``.
    ``local_hour`` is the hour of the week in her time zone (0 = Monday 00:00–01:00)."""

    id = models.BigAutoField(primary_key=True)
    shop_id = models.IntegerField()
    user_id = models.IntegerField()
    kind = models.PositiveSmallIntegerField(choices=ActivityKind.choices)
    at = models.DateTimeField()
    local_hour = models.PositiveSmallIntegerField()
    ref = models.IntegerField(null=True, blank=True)  # the listing, order or message
    value = models.BigIntegerField(default=0)  # money, for orders

    class Meta:
        # Nothing reads raw events by fan (reads go to the rollups), so the only indexes are a
        # tiny one for the flush's marker rows and the pruning's time index: each index is a
        # write per event. (Deleting an account scans the table for her rows: rare, and the
        # table holds only VSHOP_ACTIVITY_RAW_DAYS of events.)
        indexes = [
            models.Index(
                fields=["shop_id", "kind"], condition=Q(shop_id=0), name="activity_markers"
            ),
            models.Index(fields=["at"], name="activity_at"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.shop_id}/{self.user_id} {self.at}"


class ActivityCounts(models.Model):
    """What a rollup counts per fan and shop, one column per ``ActivityKind``."""

    id = models.BigAutoField(primary_key=True)
    shop_id = models.IntegerField()
    user_id = models.IntegerField()
    visits = models.PositiveIntegerField(default=0)
    views = models.PositiveIntegerField(default=0)
    carts = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    shares = models.PositiveIntegerField(default=0)
    opens = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class ActivityHour(ActivityCounts):
    """Counts per fan, shop and hour (UTC); kept ``VSHOP_ACTIVITY_HOURLY_DAYS``."""

    hour = models.DateTimeField()
    local_hour = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shop_id", "user_id", "hour"], name="activity_hour_once"
            )
        ]
        indexes = [models.Index(fields=["hour"], name="activity_hour_hour")]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.user_id} {self.hour}"


class ActivityDay(ActivityCounts):
    """Counts per fan, shop and day (her local date); kept for good."""

    day = models.DateField()
    sales = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["shop_id", "user_id", "day"], name="activity_day_once")
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.user_id} {self.day}"
