"""Shapes of the accounts API: sign-up and login bodies, the account, personal API tokens."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from vshop.accounts.models import User
from vshop.api import InputSchema


class SignUpIn(InputSchema):
    identifier: str = Field(
        ..., max_length=254, description="email or mobile number (Chinese without +86)"
    )
    password: str = Field(..., max_length=128)
    display_name: str = Field("", max_length=60)


class LogInIn(InputSchema):
    identifier: str = Field(..., max_length=254, description="email or mobile number")
    password: str = Field(..., max_length=128)


class ProfileIn(InputSchema):
    display_name: str | None = Field(None, max_length=60)
    time_zone: str | None = Field(None, max_length=40, description="e.g. Asia/Shanghai")


class PasswordIn(InputSchema):
    old_password: str = Field(..., max_length=128)
    new_password: str = Field(..., max_length=128)


class MeOut(Schema):
    id: int
    email: str | None
    mobile: str | None
    display_name: str
    time_zone: str
    roles: list[str] = Field(..., description="fan, shop_owner, supplier, operator")
    date_joined: datetime

    @staticmethod
    def resolve_roles(obj: User) -> list[str]:
        return sorted(obj.role_set())


class SessionOut(Schema):
    account: MeOut
    csrf_token: str = Field(
        ..., description="send it as X-CSRFToken with unsafe requests made with the session"
    )


class TokenIn(InputSchema):
    name: str = Field(..., max_length=60, description="what uses it, e.g. 'mini-program'")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(..., description="the first characters, to recognise the token")
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    is_active: bool


class TokenCreatedOut(TokenOut):
    token: str = Field(..., description="the secret: shown this once, only its hash is stored")
