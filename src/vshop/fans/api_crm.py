"""Fan CRM API: a shop owner's fan list (filters, sorts, keyset pages, count, CSV export), a fan's
profile, private notes, manual tags on fans, and the CSV import. Thin over ``fans.crm`` and
``fans.imports``; another owner's shop, fan, note or tag is not found."""

import csv
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, NinjaAPI, Query, Router, Schema, UploadedFile
from ninja.responses import Status

from vshop.api import ErrorOut, Id, InputSchema, acting_user
from vshop.fans import crm, imports
from vshop.fans.models import FanNote, ShopFan, Tag
from vshop.shops import selectors as shop_selectors
from vshop.shops.models import Shop

router = Router(tags=["fan CRM"])

ERRORS = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


def _shop(request: HttpRequest, slug: str) -> Shop:
    return shop_selectors.shop_of_owner(owner=acting_user(request), slug=slug)


# --- shapes ------------------------------------------------------------------------------------


class FanQuery(Schema):
    q: str = Field("", max_length=crm.MAX_QUERY, description="name, mobile (prefix) or email")
    level_id: int | None = Field(None, ge=1)
    tag: list[int] = Field(default_factory=list, description="tag ids: fans with all of them")
    rfm_group: str = ""
    city: str = Field("", max_length=20)
    source_channel: str = Field("", max_length=10)
    source: str = ""
    is_follower: bool | None = None
    followed_from: date | None = None
    followed_to: date | None = None
    last_visit_from: date | None = None
    last_visit_to: date | None = None
    last_order_from: date | None = None
    last_order_to: date | None = None
    order_count_min: int | None = Field(None, ge=0)
    order_count_max: int | None = Field(None, ge=0)
    spend_min: int | None = Field(None, ge=0, description="fen")
    spend_max: int | None = Field(None, ge=0, description="fen")
    segment_id: int | None = Field(None, ge=1, description="a saved segment of the shop")

    def filters(self) -> crm.FanFilters:
        data = self.dict()
        data["tag_ids"] = data.pop("tag")
        return crm.FanFilters(**data)


class PageQuery(Schema):
    sort: str = Field(
        crm.DEFAULT_SORT,
        description="one of " + ", ".join(crm.SORTS) + " (a missing date counts as oldest)",
    )
    cursor: str | None = Field(None, max_length=400, description="next_cursor or prev_cursor")
    limit: int = Field(50, ge=1, le=crm.MAX_LIMIT)


class ExportQuery(Schema):
    sort: str = crm.DEFAULT_SORT


class TagRefOut(Schema):
    id: int
    name: str
    is_automatic: bool


class LevelOut(Schema):
    id: int
    name: str


class FanOut(Schema):
    id: int
    name: str
    mobile: str
    email: str
    city: str
    source: str
    source_channel: str
    contactable: bool
    is_follower: bool
    followed_at: datetime | None
    last_visit_at: datetime | None
    last_order_at: datetime | None
    visit_count: int
    order_count: int
    total_spend: int = Field(..., description="paid less refunded, fen")
    points: int
    level: LevelOut | None
    rfm_group: str
    tags: list[TagRefOut]


class FanPageOut(Schema):
    items: list[FanOut]
    next_cursor: str | None
    prev_cursor: str | None


class CountOut(Schema):
    count: int


class NoteOut(Schema):
    id: int
    text: str
    author: str
    created_at: datetime


class OrderRefOut(Schema):
    number: str
    status: str
    total: int
    refunded_total: int
    currency: str
    created_at: datetime


class PointsEntryOut(Schema):
    kind: str
    delta: int
    balance_after: int
    memo: str
    created_at: datetime


class FanProfileOut(FanOut):
    share_count: int
    referred_orders: int = Field(..., description="paid orders her shares brought")
    referred_sales: int = Field(..., description="their totals less refunds, fen")
    points_earned: int
    recency: int
    frequency: int
    monetary: int
    notes: list[NoteOut]
    orders: list[OrderRefOut] = Field(..., description="her latest orders in this shop")
    points_entries: list[PointsEntryOut]
    hours_of_week: list[list[int]] = Field(
        ..., description="7 rows (Monday..Sunday) of 24 hourly counts, her local time"
    )
    activity: dict[str, int]


class NoteIn(InputSchema):
    text: str = Field(..., max_length=1000)


class BulkTagIn(InputSchema):
    fan_ids: list[Id] = Field(..., min_length=1, max_length=crm.MAX_BULK)
    tag_id: Id
    action: Literal["add", "remove"] = "add"


class ChangedOut(Schema):
    changed: int


class RejectedOut(Schema):
    row: int = Field(..., description="row of the file; the header is row 1")
    value: str
    reason: str


class ImportOut(Schema):
    imported: int
    updated: int
    rejected: list[RejectedOut] = Field(..., description="the first 1000 rejected rows")
    rejected_count: int


def _tag_out(tag: Tag) -> dict[str, Any]:
    return {"id": tag.pk, "name": tag.name, "is_automatic": tag.is_automatic}


def fan_out(fan: ShopFan, tags: list[Tag]) -> dict[str, Any]:
    return {
        "id": fan.pk,
        "name": fan.name,
        "mobile": fan.mobile,
        "email": fan.email,
        "city": fan.city,
        "source": fan.source,
        "source_channel": fan.source_channel,
        "contactable": fan.contactable,
        "is_follower": fan.is_follower,
        "followed_at": fan.followed_at,
        "last_visit_at": fan.last_visit_at,
        "last_order_at": fan.last_order_at,
        "visit_count": fan.visit_count,
        "order_count": fan.order_count,
        "total_spend": fan.total_spend,
        "points": fan.points,
        "level": {"id": fan.level.pk, "name": fan.level.name} if fan.level else None,
        "rfm_group": fan.rfm_group,
        "tags": [_tag_out(t) for t in tags],
    }


def note_out(note: FanNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "text": note.text,
        "author": str(note.author) if note.author else "",
        "created_at": note.created_at,
    }


# --- the list ----------------------------------------------------------------------------------


@router.get(
    "/{slug}/fans",
    response={200: FanPageOut, **ERRORS},
    summary="My shop's fans: search, filter, sort; pages by cursor (next_cursor, prev_cursor)",
)
def fan_list(
    request: HttpRequest, slug: str, filters: Query[FanQuery], page: Query[PageQuery]
) -> dict[str, Any]:
    shop = _shop(request, slug)
    result = crm.fan_list(
        shop=shop,
        filters=filters.filters(),
        sort=page.sort,
        cursor=page.cursor or None,
        limit=page.limit,
    )
    tags = crm.tags_of_fans([f.pk for f in result.fans])
    return {
        "items": [fan_out(f, tags[f.pk]) for f in result.fans],
        "next_cursor": result.next_cursor,
        "prev_cursor": result.prev_cursor,
    }


@router.get(
    "/{slug}/fans/count",
    response={200: CountOut, **ERRORS},
    summary="How many of my shop's fans pass these filters",
)
def fan_count(request: HttpRequest, slug: str, filters: Query[FanQuery]) -> dict[str, int]:
    return {"count": crm.fan_count(shop=_shop(request, slug), filters=filters.filters())}


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(rows: Iterator[list[str]], filename: str) -> StreamingHttpResponse:
    """Stream rows as CSV, with a BOM so that Excel and WPS read the Chinese as UTF-8."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        for row in rows:
            yield writer.writerow(row)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def export_rows(*, shop: Shop, filters: crm.FanFilters, sort: str) -> Iterator[list[str]]:
    """The export's rows, with bad filters refused before the first byte is sent."""
    crm.fan_list(shop=shop, filters=filters, sort=sort, limit=1)
    return crm.fan_export_rows(shop=shop, filters=filters, sort=sort)


@router.get(
    "/{slug}/fans.csv",
    response={200: None, **ERRORS},
    summary="Export my shop's fans as CSV (the list's filters and sort)",
)
def fan_export(
    request: HttpRequest, slug: str, filters: Query[FanQuery], query: Query[ExportQuery]
) -> StreamingHttpResponse:
    shop = _shop(request, slug)
    rows = export_rows(shop=shop, filters=filters.filters(), sort=query.sort)
    return csv_response(rows, f"fans-{shop.slug}.csv")


# --- the import --------------------------------------------------------------------------------


@router.get(
    "/{slug}/fans/import-template.csv",
    response={200: None, **ERRORS},
    summary="The CSV template for importing fans",
)
def import_template(request: HttpRequest, slug: str) -> HttpResponse:
    _shop(request, slug)
    response = HttpResponse(imports.template_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="fans-template.csv"'
    return response


def read_upload(upload: UploadedFile) -> bytes:
    if upload.size is not None and upload.size > imports.MAX_BYTES:
        raise imports.ImportRefused(
            _("The file is larger than %(mb)s MB: split it.")
            % {"mb": imports.MAX_BYTES // 1024 // 1024},
            field="file",
        )
    return upload.read(imports.MAX_BYTES + 1)


@router.post(
    "/{slug}/fans/import",
    response={200: ImportOut, **ERRORS},
    summary=(
        "Import fans from a CSV file (multipart field 'file'; columns name, mobile, email, tags, "
        "consent or 姓名, 手机, 邮箱, 标签, 同意; UTF-8 or GBK; 5 MB and 50,000 rows at most)"
    ),
)
def fan_import(request: HttpRequest, slug: str, file: File[UploadedFile]) -> imports.ImportReport:
    shop = _shop(request, slug)
    return imports.fans_import(shop=shop, data=read_upload(file))


# --- bulk tags ---------------------------------------------------------------------------------


@router.post(
    "/{slug}/fans/bulk-tag",
    response={200: ChangedOut, **ERRORS},
    summary="Put a manual tag on (or take it off) several fans at once",
)
def fans_tag(request: HttpRequest, slug: str, payload: BulkTagIn) -> dict[str, int]:
    changed = crm.fans_tag(
        shop=_shop(request, slug),
        fan_ids=list(payload.fan_ids),
        tag_id=payload.tag_id,
        add=payload.action == "add",
    )
    return {"changed": changed}


# --- one fan -----------------------------------------------------------------------------------


@router.get(
    "/{slug}/fans/{int:fan_id}",
    response={200: FanProfileOut, **ERRORS},
    summary="A fan's profile: orders, spend, visits, shares, tags, notes, points, active hours",
)
def fan_profile(request: HttpRequest, slug: str, fan_id: int) -> dict[str, Any]:
    p = crm.fan_profile(shop=_shop(request, slug), fan_id=fan_id)
    fan = p.fan
    return {
        **fan_out(fan, p.tags),
        "share_count": fan.share_count,
        "referred_orders": p.referred_orders,
        "referred_sales": p.referred_sales,
        "points_earned": fan.points_earned,
        "recency": fan.recency,
        "frequency": fan.frequency,
        "monetary": fan.monetary,
        "notes": [note_out(n) for n in p.notes],
        "orders": [
            {
                "number": o.number,
                "status": o.status,
                "total": o.total,
                "refunded_total": o.refunded_total,
                "currency": o.currency,
                "created_at": o.created_at,
            }
            for o in p.orders
        ],
        "points_entries": p.points_entries,
        "hours_of_week": p.hours,
        "activity": p.activity,
    }


@router.post(
    "/{slug}/fans/{int:fan_id}/notes",
    response={201: NoteOut, **ERRORS},
    summary="Add a private note about a fan",
)
def note_add(request: HttpRequest, slug: str, fan_id: int, payload: NoteIn) -> Status:
    note = crm.fan_note_add(
        shop=_shop(request, slug), fan_id=fan_id, author=acting_user(request), text=payload.text
    )
    return Status(201, note_out(note))


@router.delete(
    "/{slug}/fans/{int:fan_id}/notes/{int:note_id}",
    response={204: None, **ERRORS},
    summary="Delete a note",
)
def note_delete(request: HttpRequest, slug: str, fan_id: int, note_id: int) -> Status:
    crm.fan_note_delete(shop=_shop(request, slug), fan_id=fan_id, note_id=note_id)
    return Status(204, None)


@router.put(
    "/{slug}/fans/{int:fan_id}/tags/{int:tag_id}",
    response={200: ChangedOut, **ERRORS},
    summary="Put a manual tag on a fan (an automatic tag is refused: 400)",
)
def fan_tag_add(request: HttpRequest, slug: str, fan_id: int, tag_id: int) -> dict[str, int]:
    changed = crm.fan_tag_add(shop=_shop(request, slug), fan_id=fan_id, tag_id=tag_id)
    return {"changed": int(changed)}


@router.delete(
    "/{slug}/fans/{int:fan_id}/tags/{int:tag_id}",
    response={200: ChangedOut, **ERRORS},
    summary="Take a manual tag off a fan (an automatic tag is refused: 400)",
)
def fan_tag_remove(request: HttpRequest, slug: str, fan_id: int, tag_id: int) -> dict[str, int]:
    changed = crm.fan_tag_remove(shop=_shop(request, slug), fan_id=fan_id, tag_id=tag_id)
    return {"changed": int(changed)}


def mount(api: NinjaAPI) -> None:
    """Add this module's routers to the API."""
    api.add_router("/shops", router)
