"""Shapes of the inbox API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from ninja import Field, Schema
from pydantic import Strict

from vshop.api import InputSchema


class InboxMessageOut(Schema):
    id: int
    kind: str = Field(..., description="what happened, e.g. order.paid")
    title: str
    body: str
    link: str = Field(..., description="a page of the site (relative URL), or empty")
    created_at: datetime
    read_at: datetime | None
    is_read: bool
    shop: str | None = Field(None, description="the sending shop's slug (a campaign), or null")
    why: str = Field("", description="why she got it (a shop's message), or empty")

    @staticmethod
    def resolve_shop(obj: Any) -> str | None:
        return obj.shop.slug if obj.shop_id else None


class InboxFilters(Schema):
    unread: bool = Field(False, description="only the messages not read yet")


class UnreadCountOut(Schema):
    unread: int


class MarkedReadOut(Schema):
    marked: int = Field(..., description="how many messages were unread until now")


class PreferencesOut(Schema):
    quiet_start: int = Field(..., description="quiet hours start (her local hour, 0–23)")
    quiet_end: int = Field(..., description="quiet hours end (0–23); equal to start: none")


class PreferencesIn(InputSchema):
    quiet_start: Annotated[int, Strict()] = Field(..., description="0–23, her local time")
    quiet_end: Annotated[int, Strict()] = Field(..., description="0–23; equal to start: none")


class OptOutOut(Schema):
    id: int
    channel: str = Field(..., description="inbox, email or webhook (the shop's app / WeChat)")
    shop: str | None = Field(None, description="the shop's slug, or null for every shop")
    shop_name: str | None = None
    created_at: datetime

    @staticmethod
    def resolve_shop(obj: Any) -> str | None:
        return obj.shop.slug if obj.shop_id else None

    @staticmethod
    def resolve_shop_name(obj: Any) -> str | None:
        return obj.shop.name if obj.shop_id else None


class OptOutIn(InputSchema):
    channel: str = Field(..., description="inbox, email or webhook")
    shop: str | None = Field(None, description="a shop's slug; null or absent: every shop")
