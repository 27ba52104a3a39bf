"""Shapes of the campaigns API. Input shapes check only types: the limits (title 60, text 500,
holdout 0–50, ...) are the service's, answered as a 400 that names the limit."""

from datetime import datetime

from ninja import Field, Schema

from vshop.api import Id, InputSchema

# A sanity bound on what a client may send at all; the real limits are the service's.
RAW_TEXT_MAX = 5000


class VariantIn(InputSchema):
    title: str = Field(..., max_length=RAW_TEXT_MAX, description="1–60 characters, plain text")
    text: str = Field(
        ...,
        max_length=RAW_TEXT_MAX,
        description=(
            "1–500 characters of plain text. HTML tags are stripped to their text; scripts, "
            "event handlers, javascript: links, iframes, objects and embeds are refused (400)."
        ),
    )


class CampaignIn(InputSchema):
    name: str = Field("", max_length=RAW_TEXT_MAX, description="default: variant A's title")
    variants: list[VariantIn] = Field(
        ..., max_length=10, description="1 to 4 versions (A, B, ...); fans are split evenly"
    )
    listing_id: Id | None = Field(None, description="one of the shop's listings on sale, shown")
    link: str = Field("", max_length=RAW_TEXT_MAX, description="http(s) URL, 500 at most")
    audience_kind: str = Field("all", description="all | segment | tag")
    segment_id: Id | None = Field(None, description="with audience_kind segment")
    tag_id: Id | None = Field(None, description="with audience_kind tag")
    timing: str = Field(
        "now", description="now | at (send_at) | best (each fan's best hour in the window)"
    )
    send_at: datetime | None = Field(
        None, description="timing at: ISO-8601, in the next 30 days; without an offset: your zone"
    )
    window_start: datetime | None = Field(
        None, description="timing best: default now; without an offset: your zone"
    )
    window_end: datetime | None = Field(
        None, description="timing best: default start + 24 h; 7 days long at most"
    )
    channels: list[str] = Field(
        default_factory=lambda: ["inbox"],
        max_length=10,
        description="inbox | email | webhook (webhook needs your webhook URL set)",
    )
    holdout_percent: int = Field(
        0, description="0–50: this share of the audience gets nothing and is measured"
    )


class ReachOut(Schema):
    audience: int = Field(..., description="fans the audience matches")
    reach: int = Field(..., description="will get it (some after their quiet hours)")
    holdout: int = Field(..., description="held out for the test: get nothing")
    held_caps: int = Field(..., description="at a daily message limit")
    held_quiet: int = Field(..., description="in quiet hours: get it when they end")
    held_optout: int = Field(..., description="opted out of the channels or muted the shop")
    estimated: bool = Field(
        False, description="counted on a sample of a large audience (the audience is exact)"
    )


class VariantOut(Schema):
    label: str
    title: str
    text: str


class CampaignOut(Schema):
    id: int
    name: str
    status: str = Field(..., description="planning | scheduled | done | cancelled | failed")
    audience_kind: str
    audience_label: str
    segment_id: int | None
    tag_id: int | None
    listing_id: int | None
    link: str
    timing: str
    window_start: datetime
    window_end: datetime
    channels: list[str]
    holdout_percent: int
    variants: list[VariantOut]
    audience_count: int = Field(..., description="as planned")
    planned_count: int
    holdout_count: int
    held_caps: int
    held_quiet: int
    held_optout: int
    error: str
    created_at: datetime
    planned_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None


class CampaignListOut(CampaignOut):
    delivered: int
    open_rate: float = Field(..., description="of the delivered, 0 to 1")
    click_rate: float = Field(..., description="of the delivered, 0 to 1")


class FiguresOut(Schema):
    label: str = Field(..., description='"A", "B", ... or "Holdout"')
    recipients: int
    delivered: int
    opened: int
    clicked: int
    ordered: int
    order_value: int = Field(..., description="fen")
    open_rate: float
    click_rate: float
    order_rate: float = Field(..., description="of all fans in the group, delivered or not")


class ComparisonOut(Schema):
    winner: str | None
    rate_a: float
    rate_b: float
    lift: float = Field(..., description="winner's rate minus the other's")
    p_value: float
    enough_data: bool
    significant: bool = Field(..., description="at 95%")
    sentence: str


class HourOut(Schema):
    hour: datetime = Field(..., description="start of the hour, in your time zone")
    delivered: int
    opened: int
    clicked: int


class OutboxOut(Schema):
    channel: str
    sent: int
    failed: int
    pending: int
    skipped: int


class CampaignReportOut(Schema):
    campaign: CampaignOut
    states: dict[str, int] = Field(..., description="fans by state (planned, delivered, ...)")
    total: FiguresOut
    variants: list[FiguresOut]
    holdout: FiguresOut | None
    winner: ComparisonOut | None = Field(..., description="best variant by click rate")
    holdout_comparison: ComparisonOut | None = Field(
        ..., description="fans who got it against the holdout, by order rate"
    )
    incremental_order_rate: float | None = Field(
        ..., description="order rate of fans who got it minus the holdout's"
    )
    hourly: list[HourOut]
    outbox: list[OutboxOut]


class MessagingIn(InputSchema):
    per_fan_per_day: int | None = Field(
        None, description="your limit per fan per day, at most the platform's; null: platform's"
    )
    webhook_url: str = Field(
        "", max_length=RAW_TEXT_MAX, description="https URL of your receiver; empty: off"
    )


class MessagingOut(Schema):
    per_fan_per_day: int | None
    platform_per_shop_per_day: int
    platform_per_fan_per_day: int
    webhook_url: str
    webhook_secret: str | None = Field(
        ...,
        description=(
            "signs each webhook POST: X-VShop-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "
            '"<t>." + body>'
        ),
    )
