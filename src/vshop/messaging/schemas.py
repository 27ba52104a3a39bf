"""Shapes of the inbox API."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema


class InboxMessageOut(Schema):
    id: int
    kind: str = Field(..., description="what happened, e.g. order.paid")
    title: str
    body: str
    link: str = Field(..., description="a page of the site (relative URL), or empty")
    created_at: datetime
    read_at: datetime | None
    is_read: bool


class InboxFilters(Schema):
    unread: bool = Field(False, description="only the messages not read yet")


class UnreadCountOut(Schema):
    unread: int


class MarkedReadOut(Schema):
    marked: int = Field(..., description="how many messages were unread until now")
