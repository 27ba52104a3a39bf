"""Importing a shop's existing contacts from a CSV file (name, mobile or email, tags, consent).

A file that cannot be read as a whole (too big, too many rows, a wrong header, neither UTF-8 nor
GBK/GB18030) is refused and nothing is written. Otherwise each row is checked on its own: bad
rows are reported (row number, value, reason) and the good ones imported, all in one
transaction. A contact the shop already has (same mobile or email) is updated, not duplicated;
a row whose mobile or email belongs to an account becomes that account's fan record, through
``records.shop_fan_ensure``, which copies only what her privacy settings let the shop see.
Only rows whose consent column says yes become contactable.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vshop.accounts.models import User
from vshop.errors import Conflict, ValidationFailed
from vshop.fans.models import FanSource, FanTag, ShopFan, Tag
from vshop.fans.records import shop_fan_ensure
from vshop.shops.models import Shop

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 50_000
MAX_REPORTED = 1000  # rejected rows listed in the report (all are counted)
IMPORT_CHANNEL = "import"

COLUMNS: dict[str, str] = {
    "name": "name",
    "姓名": "name",
    "名字": "name",
    "名称": "name",
    "mobile": "mobile",
    "手机": "mobile",
    "手机号": "mobile",
    "手机号码": "mobile",
    "email": "email",
    "邮箱": "email",
    "电子邮箱": "email",
    "tags": "tags",
    "标签": "tags",
    "consent": "consent",
    "同意": "consent",
    "允许联系": "consent",
}
YES = {"yes", "y", "1", "true", "是"}
NO = {"no", "n", "0", "false", "否"}
_MOBILE = re.compile(r"^(?:\+86)?(1\d{10})$")
_TAG_SPLIT = re.compile(r"[;；|]")
TEMPLATE_ROWS = [
    ["name", "mobile", "email", "tags", "consent"],
    ["Li Hua", "13800138000", "", "VIP;Shanghai", "yes"],
    ["Wang Fang", "", "wang.fang@example.com", "", "no"],
]


class ImportRefused(ValidationFailed):
    code = "import_refused"
    default_message = gettext_lazy("This file cannot be imported.")


@dataclass
class RejectedRow:
    row: int  # as a spreadsheet numbers it: the header is row 1
    value: str
    reason: str


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    rejected_count: int = 0

    def reject(self, row: int, value: str, reason: str) -> None:
        self.rejected_count += 1
        if len(self.rejected) < MAX_REPORTED:
            self.rejected.append(RejectedRow(row=row, value=value[:200], reason=reason))


@dataclass
class _Row:
    row: int
    name: str
    mobile: str  # +86 and 11 digits, or ""
    email: str
    tags: list[str]
    consent: bool | None  # None: not said, existing records keep theirs


def template_csv() -> str:
    """The downloadable template, with a BOM so that Excel opens it as UTF-8."""
    out = io.StringIO()
    out.write("\ufeff")
    csv.writer(out).writerows(TEMPLATE_ROWS)
    return out.getvalue()


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in ("utf-8", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return text
    raise ImportRefused(
        _("The file could not be read: save it as CSV in UTF-8 or GBK."), field="file"
    )


def _header(cells: list[str]) -> dict[str, int]:
    expected = "name, mobile, email, tags, consent (姓名, 手机, 邮箱, 标签, 同意)"
    columns: dict[str, int] = {}
    for i, raw in enumerate(cells):
        name = COLUMNS.get(raw.strip().lstrip("\ufeff").lower())
        if name is None or name in columns:
            if not raw.strip() and i == len(cells) - 1:
                continue  # a trailing comma
            raise ImportRefused(
                _("The first row must name the columns: %(expected)s. Not understood: %(col)s")
                % {"expected": expected, "col": raw.strip() or _("(empty)")},
                field="file",
            )
        columns[name] = i
    if "mobile" not in columns and "email" not in columns:
        raise ImportRefused(
            _("The file needs a mobile or an email column: %(expected)s") % {"expected": expected},
            field="file",
        )
    return columns


def _records(data: bytes) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    if len(data) > MAX_BYTES:
        raise ImportRefused(
            _("The file is larger than %(mb)s MB: split it.") % {"mb": MAX_BYTES // 1024 // 1024},
            field="file",
        )
    text = _decode(data)
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise ImportRefused(
            _("The file is not a valid CSV file: %(why)s") % {"why": exc}, field="file"
        ) from exc
    if not rows or not any(c.strip() for c in rows[0]):
        raise ImportRefused(_("The file is empty."), field="file")
    columns = _header(rows[0])
    body = [
        (n, cells) for n, cells in enumerate(rows[1:], start=2) if any(c.strip() for c in cells)
    ]
    if len(body) > MAX_ROWS:
        raise ImportRefused(
            _("The file has more than %(n)s rows: split it.") % {"n": f"{MAX_ROWS:,}"},
            field="file",
        )
    if not body:
        raise ImportRefused(_("The file has no rows under its header."), field="file")
    return columns, body


def _cell(cells: list[str], columns: dict[str, int], name: str) -> str:
    i = columns.get(name)
    if i is None or i >= len(cells):
        return ""
    # A leading apostrophe is how exports keep spreadsheets from running a cell as a formula.
    return cells[i].strip().removeprefix("'").strip()


def _parse_row(
    n: int, cells: list[str], columns: dict[str, int], report: ImportReport
) -> _Row | None:
    if len(cells) > len(columns) and any(c.strip() for c in cells[len(columns) :]):
        report.reject(n, ",".join(cells), _("More values than columns."))
        return None
    name = _cell(cells, columns, "name")
    if len(name) > 60:
        report.reject(n, name, _("The name is longer than 60 characters."))
        return None
    raw_mobile = _cell(cells, columns, "mobile")
    mobile = ""
    if raw_mobile:
        match = _MOBILE.match(re.sub(r"[\s-]", "", raw_mobile))
        if not match:
            report.reject(
                n, raw_mobile, _("Not a mainland mobile number (11 digits starting with 1).")
            )
            return None
        mobile = f"+86{match.group(1)}"
    email = _cell(cells, columns, "email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            report.reject(n, email, _("Not a valid email address."))
            return None
        local, _at, domain = email.rpartition("@")
        email = f"{local}@{domain.lower()}"
    if not mobile and not email:
        report.reject(n, name or ",".join(cells), _("Neither a mobile number nor an email."))
        return None
    raw_tags = _cell(cells, columns, "tags")
    tags = list(dict.fromkeys(t.strip() for t in _TAG_SPLIT.split(raw_tags) if t.strip()))
    for tag in tags:
        if len(tag) > 30:
            report.reject(n, tag, _("A tag is longer than 30 characters."))
            return None
    raw_consent = _cell(cells, columns, "consent").lower()
    consent: bool | None = None
    if raw_consent in YES:
        consent = True
    elif raw_consent in NO:
        consent = False
    elif raw_consent:
        report.reject(n, raw_consent, _("Consent must be yes or no (是 or 否)."))
        return None
    return _Row(row=n, name=name, mobile=mobile, email=email, tags=tags, consent=consent)


def _chunks(values: list[str], size: int = 1000) -> list[list[str]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


@dataclass
class _Known:
    """What the shop and the platform already have for the file's mobiles and emails, read in
    a few queries rather than a few per row."""

    users_by_mobile: dict[str, User]
    users_by_email: dict[str, User]
    fans_by_mobile: dict[str, ShopFan]
    fans_by_email: dict[str, ShopFan]

    @classmethod
    def load(cls, shop: Shop, rows: list[_Row]) -> _Known:
        mobiles = sorted({r.mobile for r in rows if r.mobile})
        emails = sorted({r.email for r in rows if r.email})
        known = cls({}, {}, {}, {})
        # Only what an update reads: a whole record is 30 columns, and there may be 50,000.
        fields = ("pk", "shop_id", "user_id", "name", "mobile", "email", "contactable")
        records = ShopFan.objects.filter(shop=shop).only(*fields).order_by("-pk")
        for chunk in _chunks(mobiles):
            for user in User.objects.filter(mobile__in=chunk, is_active=True):
                known.users_by_mobile[user.mobile or ""] = user
            for fan in records.filter(mobile__in=chunk):
                known.fans_by_mobile[fan.mobile] = fan
        # Emails are compared as accounts store them: the domain lower-cased (an index lookup).
        for chunk in _chunks(emails):
            for user in User.objects.filter(email__in=chunk, is_active=True):
                known.users_by_email[user.email or ""] = user
            for fan in records.filter(email__in=chunk):
                known.fans_by_email[fan.email] = fan
        return known

    def account(self, row: _Row) -> User | None:
        return self.users_by_mobile.get(row.mobile) or self.users_by_email.get(row.email)

    def record(self, row: _Row) -> ShopFan | None:
        """The shop's record with this mobile or email (the mobile wins when both match)."""
        return self.fans_by_mobile.get(row.mobile) or self.fans_by_email.get(row.email)


def _free(shop: Shop, **contact: str) -> bool:
    """No other record of the shop has this mobile or email (unique among contacts)."""
    return not ShopFan.objects.filter(shop=shop, **contact).exists()


def _linked(shop: Shop, user: User, row: _Row, now: datetime) -> tuple[ShopFan, bool]:
    """The account's record in the shop, made (True) or found; only what her privacy settings
    allow is copied onto it, whatever the file says."""
    match = Q(user=user)
    if user.mobile:
        match |= Q(user__isnull=True, mobile=user.mobile)
    if user.email:
        match |= Q(user__isnull=True, email__iexact=user.email)
    existed = ShopFan.objects.filter(match, shop=shop).exists()
    fan = shop_fan_ensure(
        shop_id=shop.pk, user=user, source=FanSource.IMPORT, channel=IMPORT_CHANNEL, now=now
    )
    if not existed and row.consent is not True:
        # An imported row is contactable only with an explicit yes.
        row = _Row(row.row, row.name, row.mobile, row.email, row.tags, False)
    if row.consent is not None and fan.contactable != row.consent:
        fan.contactable = row.consent
        fan.save(update_fields=["contactable"])
    return fan, not existed


def _update(shop: Shop, fan: ShopFan, row: _Row, consent: dict[bool, list[int]]) -> None:
    """Complete a record the shop has; her consent is set later, in bulk (``consent``)."""
    if row.consent is not None and fan.contactable != row.consent:
        consent[row.consent].append(fan.pk)
    changed: list[str] = []
    if fan.user_id is None:
        # A contact without an account: what the shop knows of her is the shop's to complete.
        if row.name and not fan.name:
            fan.name = row.name
            changed.append("name")
        if row.mobile and not fan.mobile and _free(shop, mobile=row.mobile):
            fan.mobile = row.mobile
            changed.append("mobile")
        if row.email and not fan.email and _free(shop, email__iexact=row.email):
            fan.email = row.email
            changed.append("email")
    if changed:
        fan.save(update_fields=changed)


def _insert_contacts(
    shop: Shop, rows: list[_Row], *, now: datetime, tags: dict[str, Tag]
) -> list[tuple[int, int]]:
    """Insert the new contacts and return the (fan, tag) pairs to link. Plain SQL with the
    model's own defaults: model instances for 50,000 rows would cost most of the import."""
    if not rows:
        return []
    fields = [f for f in ShopFan._meta.concrete_fields if not f.primary_key]
    base: dict[str, object] = {
        f.attname: f.get_db_prep_save(f.get_default(), connection) for f in fields
    }
    base.update(
        shop_id=shop.pk,
        source=FanSource.IMPORT.value,
        source_channel=IMPORT_CHANNEL,
        created_at=connection.ops.adapt_datetimefield_value(now),
    )
    q = connection.ops.quote_name
    head = f"INSERT INTO {q(ShopFan._meta.db_table)} ({', '.join(q(f.column) for f in fields)})"
    values = []
    for r in rows:
        row = {**base, "name": r.name, "mobile": r.mobile, "email": r.email}
        row["contactable"] = r.consent is True
        values.append([row[f.attname] for f in fields])
    _insert_many(head, values)
    tagged = [r for r in rows if r.tags]
    if not tagged:
        return []
    # The new rows are the shop's contacts made at ``now`` by this import.
    made = ShopFan.objects.filter(
        shop=shop, user__isnull=True, source=FanSource.IMPORT, created_at=now
    ).values_list("pk", "mobile", "email")
    by_mobile = {m: pk for pk, m, _e in made if m}
    by_email = {e: pk for pk, _m, e in made if e}
    return [
        (by_mobile.get(r.mobile) or by_email[r.email], tags[t].pk) for r in tagged for t in r.tags
    ]


def _link_tags(pairs: list[tuple[int, int]], *, now: datetime) -> None:
    """Put the tags on, skipping those already there. Plain SQL: a 50,000-row file may mean
    100,000 links, and building a model instance for each costs more than inserting it."""
    if not pairs:
        return
    q = connection.ops.quote_name
    head = (
        f"INSERT INTO {q(FanTag._meta.db_table)} "
        f"({q('fan_id')}, {q('tag_id')}, {q('by_rule')}, {q('created_at')})"
    )
    at = connection.ops.adapt_datetimefield_value(now)
    _insert_many(head, [[f, t, False, at] for f, t in pairs], tail=" ON CONFLICT DO NOTHING")


def _insert_many(head: str, values: list[list[object]], tail: str = "") -> None:
    """``head VALUES (...), (...) tail`` a few hundred rows a statement (a row a statement
    would make the database do 50,000 round trips of work)."""
    if not values:
        return
    width = len(values[0])
    limit = connection.features.max_query_params or 30_000
    size = max(1, min(500, limit // width))
    one = f"({', '.join(['%s'] * width)})"
    with connection.cursor() as cursor:
        for start in range(0, len(values), size):
            chunk = values[start : start + size]
            params: list[Any] = [v for row in chunk for v in row]
            cursor.execute(f"{head} VALUES {', '.join([one] * len(chunk))}{tail}", params)


def fans_import(*, shop: Shop, data: bytes) -> ImportReport:
    """Import the CSV file ``data`` into the shop's fans. A refused file raises
    ``ImportRefused`` (400) and writes nothing; bad rows are in the report."""
    columns, body = _records(data)
    report = ImportReport()
    rows: list[_Row] = []
    seen: dict[str, int] = {}
    for n, cells in body:
        row = _parse_row(n, cells, columns, report)
        if row is None:
            continue
        keys = [k for k in (row.mobile, row.email.lower()) if k]
        first = next((seen[k] for k in keys if k in seen), None)
        if first is not None:
            report.reject(
                n, row.mobile or row.email, _("The same contact as row %(n)s.") % {"n": first}
            )
            continue
        for k in keys:
            seen[k] = n
        rows.append(row)

    tags = {t.name: t for t in Tag.objects.filter(shop=shop)}
    good: list[_Row] = []
    for row in rows:
        automatic = next((t for t in row.tags if t in tags and tags[t].is_automatic), None)
        if automatic:
            report.reject(
                row.row,
                automatic,
                _("This tag is automatic: its rule puts it on fans, not an import."),
            )
            continue
        good.append(row)

    now = timezone.now()
    try:
        with transaction.atomic():
            for name in dict.fromkeys(t for row in good for t in row.tags):
                if name not in tags:
                    tags[name] = Tag.objects.create(shop=shop, name=name)
            known = _Known.load(shop, good)
            links: list[tuple[ShopFan, _Row]] = []
            new: list[_Row] = []
            touched: set[int] = set()
            consent: dict[bool, list[int]] = {True: [], False: []}
            for row in good:
                created = False
                user = known.account(row)
                fan = None if user is not None else known.record(row)
                if user is not None:
                    fan, created = _linked(shop, user, row, now)
                    if created:
                        report.imported += 1
                elif fan is not None:
                    _update(shop, fan, row, consent)
                else:
                    new.append(row)
                    report.imported += 1
                    continue
                if fan.pk not in touched and not created:
                    report.updated += 1
                touched.add(fan.pk)
                links.append((fan, row))
            for value, pks in consent.items():
                for start in range(0, len(pks), 1000):
                    ShopFan.objects.filter(pk__in=pks[start : start + 1000]).update(
                        contactable=value
                    )
            pairs = [(fan.pk, tags[t].pk) for fan, row in links for t in row.tags]
            pairs += _insert_contacts(shop, new, now=now, tags=tags)
            _link_tags(pairs, now=now)
    except IntegrityError as exc:
        # A fan followed or was imported at the same moment: nothing was written; try again.
        raise Conflict(
            _("Your fans changed while the file was being imported: import it again.")
        ) from exc
    report.rejected.sort(key=lambda r: r.row)
    return report
