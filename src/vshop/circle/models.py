"""The shopping circle: shops' posts in an opt-in feed of the shops a fan follows.

- ``Post`` (text, up to 9 ``PostImage``s, ``PostCard``s of the shop's listings), scheduled or
  published, editable for a short time, deletable, pinnable on the shop page; hidden by an
  operator. ``CirclePolicy``: the operator's daily posting cap and fan-out threshold;
  ``ShopPosting``: a shop's posting suspended by an operator.
- ``PostLike``, ``PostComment`` (the owner replies, hides, deletes), ``PostShare`` (through the
  share links of ``distribution``, so a promoter's share carries her code), ``PostHide`` (a fan
  hides a post from her circle), ``PostReport`` (a fan reports it; the operator's queue).
- ``TimelineEntry``: a fan's timeline when Redis is not configured (otherwise Redis sorted
  sets): posts of shops under the fan-out threshold pushed into each follower's timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

TEXT_MAX = 2000
COMMENT_MAX = 500
MAX_IMAGES = 9
MAX_CARDS = 9
REASON_MAX = 200


class PostStatus(models.TextChoices):
    SCHEDULED = "scheduled", pgettext_lazy("post", "Scheduled")
    PUBLISHED = "published", pgettext_lazy("post", "Published")
    DELETED = "deleted", pgettext_lazy("post", "Deleted")


class Post(models.Model):
    id = models.BigAutoField(primary_key=True)
    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    text = models.TextField(_("text"), max_length=TEXT_MAX, blank=True)  # sanitised HTML
    status = models.CharField(
        _("status"), max_length=10, choices=PostStatus.choices, default=PostStatus.PUBLISHED
    )
    publish_at = models.DateTimeField(_("publish at"))  # when it goes (or went) out
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    pinned_at = models.DateTimeField(null=True, blank=True)
    # An operator hid it (moderation): it never appears again anywhere but to its owner.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.CharField(max_length=REASON_MAX, blank=True)
    # Set once the fan-out into followers' timelines finished (safe to run again).
    fanned_out_at = models.DateTimeField(null=True, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    share_count = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        indexes = [
            # A shop's posts newest first: the read-time merge of big shops, the shop page.
            models.Index(
                fields=["shop", "-published_at", "-id"],
                condition=Q(status="published", hidden_at__isnull=True),
                name="post_shop_live",
            ),
            models.Index(
                fields=["publish_at"], condition=Q(status="scheduled"), name="post_scheduled"
            ),
            models.Index(fields=["shop", "created_at"], name="post_shop_created"),  # daily cap
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.pk}"

    @property
    def is_live(self) -> bool:
        return self.status == PostStatus.PUBLISHED and self.hidden_at is None


class PostImage(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="images")
    position = models.PositiveSmallIntegerField(default=0)
    image = models.ImageField(upload_to="circle/%Y/%m/")
    thumbnail = models.ImageField(upload_to="circle/%Y/%m/thumbs/")

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.post_id} #{self.position}"


class PostCard(models.Model):
    """A card for one of the shop's listings, shown under the post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="cards")
    listing = models.ForeignKey("shops.Listing", on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [models.UniqueConstraint(fields=["post", "listing"], name="card_once")]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.listing_id}"


class PostLike(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="like_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.post_id}"


class PostComment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # The owner's reply to a fan's comment (one level).
    reply_to = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    text = models.TextField(max_length=COMMENT_MAX)
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)  # by the owner or an operator

    class Meta:
        indexes = [models.Index(fields=["post", "created_at"], name="comment_post_time")]

    def __str__(self) -> str:
        return f"{self.post_id}: {self.user_id}"


class PostShare(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="shares")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    share_link = models.ForeignKey(
        "distribution.ShareLink", on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["post", "user", "share_link"], name="share_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.post_id}"


class PostHide(models.Model):
    """She does not want to see this post again."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "post"], name="hide_once")]

    def __str__(self) -> str:
        return f"{self.user_id} ✕ {self.post_id}"


class ReportState(models.TextChoices):
    OPEN = "open", _("Open")
    HIDDEN = "hidden", _("Post hidden")
    DISMISSED = "dismissed", _("Dismissed")


class PostReport(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=REASON_MAX)
    state = models.CharField(max_length=10, choices=ReportState.choices, default=ReportState.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("reported post")
        verbose_name_plural = _("reported posts")
        constraints = [
            models.UniqueConstraint(fields=["post", "reporter"], name="report_once"),
        ]
        indexes = [
            models.Index(fields=["created_at"], condition=Q(state="open"), name="report_open")
        ]

    def __str__(self) -> str:
        return f"{self.post_id} by {self.reporter_id}"


class CirclePolicy(models.Model):
    """The operator's rules (one row; the defaults come from settings)."""

    posts_per_day = models.PositiveSmallIntegerField(_("posts per shop per day"), default=3)
    fanout_threshold = models.PositiveIntegerField(
        _("push into timelines below this many followers"), default=10_000
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("circle policy")
        verbose_name_plural = _("circle policy")

    def __str__(self) -> str:
        return f"{self.posts_per_day}/day, fan-out < {self.fanout_threshold}"


class ShopPosting(models.Model):
    """An operator suspended a shop's posting (its posts stay; it cannot post)."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="posting")
    suspended_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=REASON_MAX, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.shop_id}: {'suspended' if self.suspended_at else 'may post'}"


class TimelineEntry(models.Model):
    """A post pushed into a follower's timeline (the database store, used without Redis)."""

    id = models.BigAutoField(primary_key=True)
    user_id = models.IntegerField()
    post_id = models.BigIntegerField()
    shop_id = models.IntegerField()
    published_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user_id", "post_id"], name="timeline_once")]
        indexes = [
            models.Index(fields=["user_id", "-published_at", "-post_id"], name="timeline_read"),
            models.Index(fields=["user_id", "shop_id"], name="timeline_user_shop"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.post_id}"
