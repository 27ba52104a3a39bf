"""Shapes of the fans API."""

from __future__ import annotations

from ninja import Field, Schema


class FollowOut(Schema):
    is_following: bool
    fan_count: int = Field(..., description="the shop's fans after this request")
