"""Who uses VShop: accounts with email or mobile login, their roles and personal API tokens."""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    FAN = "fan", _("Fan")
    SHOP_OWNER = "shop_owner", _("Shop owner")
    SUPPLIER = "supplier", _("Supplier")
    OPERATOR = "operator", _("Operator")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self,
        email: str | None = None,
        password: str | None = None,
        *,
        mobile: str | None = None,
        **extra: object,
    ) -> User:
        if not email and not mobile:
            raise ValueError("An account needs an email or a mobile number.")
        user = self.model(
            email=self.normalize_email(email) if email else None, mobile=mobile or None, **extra
        )
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """An account. It logs in with its email or its mobile number; both are unique."""

    email = models.EmailField(_("email"), unique=True, null=True, blank=True)
    mobile = models.CharField(_("mobile number"), max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(_("name"), max_length=60, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=40, default="Asia/Shanghai")
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("operator console access"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("account")
        verbose_name_plural = _("accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(email__isnull=False) | Q(mobile__isnull=False),
                name="account_has_email_or_mobile",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.email or self.mobile or f"#{self.pk}"

    def get_username(self) -> str:
        return self.email or self.mobile or ""

    @property
    def name(self) -> str:
        return str(self)

    def role_set(self) -> set[str]:
        """The account's roles; cached on the instance for the request."""
        if not hasattr(self, "_role_cache"):
            self._role_cache = set(self.roles.values_list("role", flat=True))
            if self.is_staff:
                self._role_cache.add(Role.OPERATOR)
        return self._role_cache

    def has_role(self, role: str) -> bool:
        return role in self.role_set()


class AccountRole(models.Model):
    """One role an account holds. One account can hold several."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=20, choices=Role.choices)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_row_per_role")]

    def __str__(self) -> str:
        return self.get_role_display()


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 hash of the secret is stored; the user sees it once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=60)
    prefix = models.CharField(max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
