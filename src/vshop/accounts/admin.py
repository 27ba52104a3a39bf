"""Operator console for accounts: people log in with an email or a mobile number (there is no
username), hold roles, and may have personal API tokens, of which only a prefix is shown.

Also the console's own login form, which goes through the same rate-limited login check as the
site, so the operator console is no easier to guess passwords on than the login page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from vshop.accounts import services as accounts
from vshop.accounts.identifiers import normalize_mobile, parse_identifier
from vshop.accounts.models import AccountRole, ApiToken, User
from vshop.errors import DomainError
from vshop.web.admin import ReadOnlyAdmin, ReadOnlyInline, run_service

T = TypeVar("T")


class OperatorLoginForm(AdminAuthenticationForm):
    """Email or mobile number, counted by the login rate limit like every other login."""

    def __init__(self, request: HttpRequest | None = None, *args: object, **kwargs: object):
        super().__init__(request, *args, **kwargs)
        self.fields["username"].label = _("Email or mobile number")

    def clean(self) -> dict[str, object]:
        identifier = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password") or ""
        # The console's login view always binds the request; the rate limit counts per address.
        assert self.request is not None
        try:
            self.user_cache = accounts.account_log_in_check(
                request=self.request, identifier=identifier, password=password
            )
        except DomainError as exc:
            raise ValidationError(exc.message, code=exc.code) from exc
        self.confirm_login_allowed(self.user_cache)  # refuses accounts without console access
        return self.cleaned_data


admin.site.login_form = OperatorLoginForm


def _domain_to_form_error(call: Callable[[], T]) -> T:
    try:
        return call()
    except DomainError as exc:
        raise ValidationError(exc.message) from exc


class AccountChangeForm(UserChangeForm):
    """Email and mobile are normalised as at sign-up, so the account can still log in."""

    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str | None:
        raw = (self.cleaned_data.get("email") or "").strip()
        if not raw:
            return None
        ident = _domain_to_form_error(lambda: parse_identifier(raw))
        if ident.kind != "email":
            raise ValidationError(_("Enter a valid email address."))
        return ident.value

    def clean_mobile(self) -> str | None:
        raw = (self.cleaned_data.get("mobile") or "").strip()
        return _domain_to_form_error(lambda: normalize_mobile(raw)) if raw else None

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns (typed as Optional)
        if not cleaned.get("email") and not cleaned.get("mobile") and not self.errors:
            raise ValidationError(_("An account needs an email or a mobile number."))
        return cleaned


class AccountCreationForm(forms.ModelForm):
    """A new account, made by the sign-up service (or the operator one) like any other."""

    identifier = forms.CharField(label=_("Email or mobile number"), max_length=254)
    password = forms.CharField(
        label=_("Password"), strip=False, widget=forms.PasswordInput(render_value=False)
    )
    make_operator = forms.BooleanField(
        label=_("Operator (operator console access)"), required=False
    )

    class Meta:
        model = User
        fields = ["display_name"]

    def clean_identifier(self) -> str:
        ident = _domain_to_form_error(lambda: parse_identifier(self.cleaned_data["identifier"]))
        if User.objects.filter(**{ident.kind: ident.value}).exists():
            raise ValidationError(_("An account with this email or mobile number already exists."))
        return ident.value

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean returns (typed as Optional)
        identifier, password = cleaned.get("identifier"), cleaned.get("password")
        if identifier and password:
            kind = "email" if "@" in identifier else "mobile"
            try:
                password_validation.validate_password(password, User(**{kind: identifier}))
            except ValidationError as exc:
                self.add_error("password", exc)
        return cleaned


class AccountRoleInline(ReadOnlyInline):
    """Roles are granted by what people do (sign up, open a shop, get approved as a supplier),
    through the services; the console shows them."""

    model = AccountRole
    fields = ("role", "granted_at")
    readonly_fields = fields


@admin.register(User)
class AccountAdmin(DjangoUserAdmin):
    form = AccountChangeForm
    add_form = AccountCreationForm
    list_display = [
        "__str__",
        "email",
        "mobile",
        "role_list",
        "is_staff",
        "is_active",
        "date_joined",
        "last_login",
    ]
    list_filter = ["is_staff", "is_active", "roles__role"]
    search_fields = ["email", "mobile", "display_name"]
    ordering = ["-date_joined"]
    readonly_fields = ["date_joined", "last_login"]
    fieldsets = [
        (None, {"fields": ["email", "mobile", "password"]}),
        (_("Profile"), {"fields": ["display_name", "time_zone"]}),
        (
            _("Access"),
            {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]},
        ),
        (_("Dates"), {"fields": ["date_joined", "last_login"]}),
    ]
    add_fieldsets = [
        (
            None,
            {"fields": ["identifier", "display_name", "password", "make_operator"]},
        )
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("roles")

    def get_inlines(self, request: HttpRequest, obj: User | None) -> list:
        return [AccountRoleInline] if obj is not None else []

    @admin.display(description=_("roles"))
    def role_list(self, obj: User) -> str:
        return ", ".join(str(r.get_role_display()) for r in obj.roles.all())

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        # Accounts own shops, suppliers and (later) orders: deactivate instead of deleting.
        return False

    def save_form(self, request: HttpRequest, form: forms.ModelForm, change: bool) -> User:
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        create = accounts.operator_create if data["make_operator"] else accounts.account_sign_up
        user = create(
            identifier=data["identifier"],
            password=data["password"],
            display_name=data.get("display_name") or "",
        )
        form.instance = user
        return user

    def save_model(self, request: HttpRequest, obj: User, form: forms.ModelForm, change: bool):
        if change:  # a new account was saved by its service in ``save_form``
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: forms.ModelForm, formsets, change: bool):
        if change:
            super().save_related(request, form, formsets, change)


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    """Tokens are shown by name and prefix; the stored hash is never displayed."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__email", "user__mobile"]
    list_select_related = ["user"]
    fields = ("name", "prefix", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = fields
    actions = ["revoke"]

    @admin.action(description=_("Revoke the selected tokens (e.g. a leaked one)"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        run_service(
            self,
            request,
            queryset.select_related("user"),
            lambda t: accounts.api_token_revoke(user=t.user, token_id=t.pk),
            done=_("Revoked"),
        )
