"""The operator's console for the circle: the queue of reported posts (hide the post or dismiss
the reports), posts (hide, show again), shops' posting suspensions, and the circle policy.

Rows change only through ``circle.moderation``; the admin actions ask for a reason first where
the owner is told one.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from vshop.circle import moderation
from vshop.circle.models import CirclePolicy, Post, PostReport, ReportState, ShopPosting
from vshop.web.admin import ReadOnlyAdmin, ask_reason, run_service
from vshop.web.auth import acting_user


@admin.register(PostReport)
class PostReportAdmin(ReadOnlyAdmin):
    """The queue: open reports (filter "Open"), decided with the actions below."""

    list_display = [
        "created_at",
        "post",
        "post_shop",
        "reason",
        "state",
        "decided_at",
        "decided_by",
    ]
    list_filter = ["state"]
    search_fields = ["post__shop__slug", "reason", "reporter__email"]
    list_select_related = ["post__shop", "decided_by"]
    date_hierarchy = "created_at"
    actions = ["hide_post", "dismiss"]
    fields = ("post", "reporter", "reason", "state", "created_at", "decided_at", "decided_by")
    readonly_fields = fields

    @admin.display(description=_("shop"))
    def post_shop(self, obj: PostReport) -> str:
        return obj.post.shop.slug

    @admin.action(description=_("Hide the reported post (with a reason for its owner)"))
    def hide_post(
        self, request: HttpRequest, queryset: QuerySet[PostReport]
    ) -> HttpResponse | None:
        reason = ask_reason(
            self,
            request,
            queryset,
            action="hide_post",
            title=_("Hide post"),
            question=_("Why are these posts hidden? Their owners see your reason."),
        )
        if isinstance(reason, HttpResponse):
            return reason
        run_service(
            self,
            request,
            queryset.filter(state=ReportState.OPEN),
            lambda r: moderation.report_decide(
                operator=acting_user(request), report_id=r.pk, action="hide", reason=reason
            ),
            done=_("Post hidden"),
        )
        return None

    @admin.action(description=_("Dismiss (the post stays)"))
    def dismiss(self, request: HttpRequest, queryset: QuerySet[PostReport]) -> None:
        run_service(
            self,
            request,
            queryset.filter(state=ReportState.OPEN),
            lambda r: moderation.report_decide(
                operator=acting_user(request), report_id=r.pk, action="dismiss"
            ),
            done=_("Dismissed"),
        )


@admin.register(Post)
class PostAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "shop",
        "status",
        "published_at",
        "hidden_at",
        "like_count",
        "comment_count",
        "share_count",
    ]
    list_filter = ["status"]
    search_fields = ["shop__slug", "shop__name", "text"]
    list_select_related = ["shop"]
    date_hierarchy = "created_at"
    actions = ["hide", "unhide"]
    fields = (
        "shop",
        "author",
        "text",
        "status",
        "publish_at",
        "published_at",
        "edited_at",
        "deleted_at",
        "pinned_at",
        "hidden_at",
        "hidden_reason",
        "like_count",
        "comment_count",
        "share_count",
    )
    readonly_fields = fields

    @admin.action(description=_("Hide (with a reason for the owner)"))
    def hide(self, request: HttpRequest, queryset: QuerySet[Post]) -> HttpResponse | None:
        reason = ask_reason(
            self,
            request,
            queryset,
            action="hide",
            title=_("Hide post"),
            question=_("Why are these posts hidden? Their owners see your reason."),
        )
        if isinstance(reason, HttpResponse):
            return reason
        run_service(
            self,
            request,
            queryset,
            lambda p: moderation.post_hide_by_operator(
                operator=acting_user(request), post_id=p.pk, reason=reason
            ),
            done=_("Hidden"),
        )
        return None

    @admin.action(description=_("Show again"))
    def unhide(self, request: HttpRequest, queryset: QuerySet[Post]) -> None:
        run_service(
            self,
            request,
            queryset,
            lambda p: moderation.post_unhide_by_operator(
                operator=acting_user(request), post_id=p.pk
            ),
            done=_("Shown again"),
        )


class SuspendForm(forms.ModelForm):
    class Meta:
        model = ShopPosting
        fields = ["shop", "reason"]
        labels = {"reason": _("Reason (the owner sees it)")}

    def clean_reason(self) -> str:
        reason = " ".join((self.cleaned_data.get("reason") or "").split())
        if not reason:
            raise forms.ValidationError(_("Give a reason: the owner sees it."))
        return reason


@admin.register(ShopPosting)
class ShopPostingAdmin(ReadOnlyAdmin):
    """Add a row to suspend a shop's posting (its owner is told why); the actions reinstate it
    or suspend it again."""

    list_display = ["shop", "suspended_at", "reason", "updated_at"]
    list_filter = [("suspended_at", admin.EmptyFieldListFilter)]
    search_fields = ["shop__slug", "shop__name"]
    list_select_related = ["shop"]
    actions = ["reinstate", "suspend"]
    fields = ("shop", "suspended_at", "reason", "updated_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return admin.ModelAdmin.has_add_permission(self, request)

    def get_form(
        self, request: HttpRequest, obj: Any | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        if obj is None:
            kwargs["form"] = SuspendForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: object | None = None) -> tuple[str, ...]:
        return ("shop", "reason") if obj is None else self.fields

    def get_readonly_fields(
        self, request: HttpRequest, obj: object | None = None
    ) -> tuple[str, ...]:
        return () if obj is None else self.readonly_fields

    def save_model(
        self, request: HttpRequest, obj: ShopPosting, form: object, change: bool
    ) -> None:
        row = moderation.shop_posting_suspend(
            operator=acting_user(request), shop=obj.shop, reason=obj.reason
        )
        obj.pk = row.pk

    @admin.action(description=_("Let these shops post again"))
    def reinstate(self, request: HttpRequest, queryset: QuerySet[ShopPosting]) -> None:
        run_service(
            self,
            request,
            queryset.select_related("shop"),
            lambda row: moderation.shop_posting_reinstate(
                operator=acting_user(request), shop=row.shop
            ),
            done=_("Reinstated"),
        )

    @admin.action(description=_("Suspend these shops' posting (with a reason)"))
    def suspend(self, request: HttpRequest, queryset: QuerySet[ShopPosting]) -> HttpResponse | None:
        reason = ask_reason(
            self,
            request,
            queryset,
            action="suspend",
            title=_("Suspend posting"),
            question=_("Why can these shops not post? Their owners see your reason."),
        )
        if isinstance(reason, HttpResponse):
            return reason
        run_service(
            self,
            request,
            queryset.select_related("shop"),
            lambda row: moderation.shop_posting_suspend(
                operator=acting_user(request), shop=row.shop, reason=reason
            ),
            done=_("Suspended"),
        )
        return None


@admin.register(CirclePolicy)
class CirclePolicyAdmin(admin.ModelAdmin):
    """One row (pk 1): made once (until then the settings' defaults hold), never deleted."""

    list_display = ["__str__", "posts_per_day", "fanout_threshold", "updated_at"]
    fields = ["posts_per_day", "fanout_threshold"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not CirclePolicy.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: CirclePolicy, form: object, change: bool
    ) -> None:
        if not change:
            obj.pk = 1  # the one row the posting rules read
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]
