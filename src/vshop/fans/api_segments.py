"""Segments, tags and RFM API for the shop owner: count a rule as she edits it, save segments,
manage manual and automatic tags, read the RFM dashboard. Rules are JSON in the condition
language of ``fans.conditions``; a malformed rule is a 400 naming the bad part. Another owner's
shop, segment or tag is not found. Thin over ``fans.segments``, ``fans.tags`` and
``fans.scoring``."""

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, NinjaAPI, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from vshop.api import ErrorOut, Id, InputSchema, Page, acting_user
from vshop.fans import conditions, scoring, segments, tags
from vshop.fans.models import Segment, Tag
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop

router = Router(tags=["segments"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

RULE_HELP = (
    'Conditions combined with AND/OR: {"op": "and"|"or", "conditions": [condition or group, '
    '...]}, a condition being {"field": ..., "op": ..., "value": ...}; groups nest 3 deep and a '
    "rule has 20 conditions at most. Fields: followed_at, last_visit_at, last_order_at "
    "(within_days N, not_within_days N, never); order_count, total_spend (fen), points (gte, "
    'lte, eq, between [low, high]); spend_in_days (the same, with "days": N); level, '
    "rfm_group, city, source_channel, source (in, not_in a list); tag, bought_category (any, "
    "none of a list of ids); is_follower, contactable (is true/false)."
)
EXAMPLE_RULE = {
    "op": "and",
    "conditions": [
        {"field": "spend_in_days", "days": 90, "op": "gte", "value": 50000},
        {"field": "last_visit_at", "op": "not_within_days", "value": 30},
    ],
}


def _shop(request: HttpRequest, slug: str) -> Shop:
    return shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)


# --- shapes ----------------------------------------------------------------------------------


class RuleIn(InputSchema):
    rule: Any = Field(..., description=RULE_HELP, examples=[EXAMPLE_RULE])


class CountOut(Schema):
    count: int = Field(..., description="fans of the shop the rule matches now")
    description: str = Field(..., description="the rule in words")


class SegmentIn(InputSchema):
    name: str = Field(..., description="unique in the shop, 60 characters at most")
    rule: Any = Field(..., description=RULE_HELP, examples=[EXAMPLE_RULE])


class SegmentUpdateIn(InputSchema):
    """Either or both; the segment is counted again."""

    name: str | None = None
    rule: Any = Field(None, description=RULE_HELP)


class SegmentOut(Schema):
    id: int
    name: str
    rule: dict[str, Any]
    description: str
    fan_count: int = Field(..., description="at the last save or count")
    counted_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TagIn(InputSchema):
    name: str = Field(..., description="unique in the shop, 30 characters at most")
    rule: Any = Field(
        None, description="none for a manual tag; a rule makes it automatic. " + RULE_HELP
    )


class TagUpdateIn(InputSchema):
    """Fields left out keep their value; ``"rule": null`` makes the tag manual (the fans it is
    on keep it)."""

    name: str | None = None
    rule: Any = Field(None, description=RULE_HELP)


class TagOut(Schema):
    id: int
    name: str
    is_automatic: bool
    rule: dict[str, Any] | None
    description: str = Field(..., description="the rule in words; empty for a manual tag")
    fan_count: int
    evaluated_at: datetime | None


class RfmGroupOut(Schema):
    group: str
    label: str
    count: int
    share: float = Field(..., description="of the scored fans, 0 to 1")
    meaning: str
    advice: str


class RfmOut(Schema):
    scored: int = Field(..., description="fans with a group (those who have bought)")
    scored_at: datetime | None = Field(..., description="when the scores were last computed")
    groups: list[RfmGroupOut]


def _segment_out(segment: Segment) -> dict[str, object]:
    return {
        "id": segment.pk,
        "name": segment.name,
        "rule": segment.rule,
        "description": conditions.describe_rule(segment.rule),
        "fan_count": segment.fan_count,
        "counted_at": segment.counted_at,
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    }


def _tag_out(tag: Tag) -> dict[str, object]:
    return {
        "id": tag.pk,
        "name": tag.name,
        "is_automatic": tag.is_automatic,
        "rule": tag.rule,
        "description": conditions.describe_rule(tag.rule) if tag.rule is not None else "",
        "fan_count": tag.fan_total if hasattr(tag, "fan_total") else tag.fan_links.count(),
        "evaluated_at": tag.evaluated_at,
    }


# --- segments --------------------------------------------------------------------------------


@router.post(
    "/{slug}/segments/count",
    response={200: CountOut, **ERRORS},
    summary="Count the fans a rule matches (the builder's live count; nothing is saved)",
)
def segment_count(request: HttpRequest, slug: str, payload: RuleIn) -> dict[str, object]:
    shop = _shop(request, slug)
    normal = conditions.validate_rule(shop=shop, rule=payload.rule)
    return {
        "count": segments.segment_count(shop=shop, rule=normal),
        "description": conditions.describe_rule(normal),
    }


@router.get("/{slug}/segments", response={200: list[SegmentOut], **ERRORS}, summary="My segments")
@paginate(Page)
def segment_list(request: HttpRequest, slug: str) -> list[dict[str, object]]:
    shop = _shop(request, slug)
    return [_segment_out(s) for s in segments.segments_of_shop(shop=shop)]


@router.post("/{slug}/segments", response={201: SegmentOut, **ERRORS}, summary="Save a segment")
def segment_create(request: HttpRequest, slug: str, payload: SegmentIn) -> Status:
    shop = _shop(request, slug)
    segment = segments.segment_create(
        shop=shop, actor=acting_user(request), name=payload.name, rule=payload.rule
    )
    return Status(201, _segment_out(segment))


@router.get(
    "/{slug}/segments/{segment_id}", response={200: SegmentOut, **ERRORS}, summary="A segment"
)
def segment_get(request: HttpRequest, slug: str, segment_id: Id) -> dict[str, object]:
    shop = _shop(request, slug)
    return _segment_out(segments.segment_of_shop(shop=shop, segment_id=segment_id))


@router.put(
    "/{slug}/segments/{segment_id}",
    response={200: SegmentOut, **ERRORS},
    summary="Rename a segment or change its rule",
)
def segment_update(
    request: HttpRequest, slug: str, segment_id: Id, payload: SegmentUpdateIn
) -> dict[str, object]:
    shop = _shop(request, slug)
    segment = segments.segment_update(
        shop=shop, segment_id=segment_id, name=payload.name, rule=payload.rule
    )
    return _segment_out(segment)


@router.post(
    "/{slug}/segments/{segment_id}/count",
    response={200: SegmentOut, **ERRORS},
    summary="Count a saved segment's fans again",
)
def segment_recount(request: HttpRequest, slug: str, segment_id: Id) -> dict[str, object]:
    shop = _shop(request, slug)
    return _segment_out(segments.segment_recount(shop=shop, segment_id=segment_id))


@router.delete(
    "/{slug}/segments/{segment_id}", response={204: None, **ERRORS}, summary="Delete a segment"
)
def segment_delete(request: HttpRequest, slug: str, segment_id: Id) -> Status:
    segments.segment_delete(shop=_shop(request, slug), segment_id=segment_id)
    return Status(204, None)


# --- tags ------------------------------------------------------------------------------------


@router.get("/{slug}/tags", response={200: list[TagOut], **ERRORS}, summary="My tags")
@paginate(Page)
def tag_list(request: HttpRequest, slug: str) -> list[dict[str, object]]:
    shop = _shop(request, slug)
    return [_tag_out(t) for t in tags.tags_of_shop(shop=shop)]


@router.post(
    "/{slug}/tags",
    response={201: TagOut, **ERRORS},
    summary="Create a tag: manual, or automatic with a rule",
)
def tag_create(request: HttpRequest, slug: str, payload: TagIn) -> Status:
    shop = _shop(request, slug)
    tag = tags.tag_create(shop=shop, name=payload.name, rule=payload.rule)
    return Status(201, _tag_out(tags.tag_of_shop(shop=shop, tag_id=tag.pk)))


@router.put(
    "/{slug}/tags/{tag_id}",
    response={200: TagOut, **ERRORS},
    summary="Rename a tag or change its rule",
)
def tag_update(
    request: HttpRequest, slug: str, tag_id: Id, payload: TagUpdateIn
) -> dict[str, object]:
    shop = _shop(request, slug)
    rule: object | None = payload.rule
    if "rule" in payload.model_fields_set and payload.rule is None:
        rule = tags.MANUAL
    tags.tag_update(shop=shop, tag_id=tag_id, name=payload.name, rule=rule)
    return _tag_out(tags.tag_of_shop(shop=shop, tag_id=tag_id))


@router.delete("/{slug}/tags/{tag_id}", response={204: None, **ERRORS}, summary="Delete a tag")
def tag_delete(request: HttpRequest, slug: str, tag_id: Id) -> Status:
    tags.tag_delete(shop=_shop(request, slug), tag_id=tag_id)
    return Status(204, None)


# --- RFM -------------------------------------------------------------------------------------


@router.get(
    "/{slug}/rfm",
    response={200: RfmOut, **ERRORS},
    summary="RFM dashboard: how many fans are in each group (champions … lost)",
)
def rfm(request: HttpRequest, slug: str) -> dict[str, object]:
    shop = _shop(request, slug)
    rows = scoring.rfm_dashboard(shop=shop)
    return {
        "scored": sum(r.fans for r in rows),
        "scored_at": scoring.rfm_scored_at(shop=shop),
        "groups": [
            {
                "group": r.group,
                "label": r.label,
                "count": r.fans,
                "share": r.share,
                "meaning": str(scoring.GROUP_ADVICE[r.group][0]),
                "advice": str(scoring.GROUP_ADVICE[r.group][1]),
            }
            for r in rows
        ],
    }


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/shops", router)
