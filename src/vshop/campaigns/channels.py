"""Email and webhook sends of delivered campaign messages, from the outbox
(``OutgoingMessage``): claimed, sent, marked; a failure is retried with doubling backoff, then
recorded as failed.

At most once: a drain first claims its rows (PENDING → SENDING, committed) and only then sends,
so two workers never send one row, and a worker that dies mid-send leaves its rows SENDING; the
next drain marks those FAILED ("interrupted") after ``STALE_SENDING`` instead of sending them
again. The claim time is kept in ``next_try_at`` (a SENDING row is never due anyway).

Webhook receivers verify a delivery with ``webhook_verify`` (see its docstring).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import smtplib
import socket
import ssl
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import formataddr, parseaddr
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, transaction
from django.db.models import Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from vshop.campaigns import tracking
from vshop.campaigns.models import (
    LINK_MAX,
    CampaignStatus,
    CampaignVariant,
    Channel,
    OutgoingMessage,
    OutgoingState,
    RecipientState,
    ShopMessagingSettings,
)
from vshop.errors import ValidationFailed
from vshop.messaging.models import InboxMessage
from vshop.messaging.selectors import channel_opt_outs
from vshop.money import format_money

logger = logging.getLogger(__name__)

#: A row claimed longer ago than this was left by a worker that died: FAILED, never resent.
STALE_SENDING = timedelta(minutes=15)
WEBHOOK_BATCH = 100  # messages per POST
WEBHOOK_TIMEOUT = 10  # seconds
WEBHOOK_EVENT = "campaign.message"
#: How old a signature a receiver accepts by default (replays of older deliveries fail).
SIGNATURE_TOLERANCE = 300
ERROR_MAX = 300


# --- outcomes ----------------------------------------------------------------------------------

SENT, RETRY, FAIL, SKIP = "sent", "retry", "fail", "skip"


@dataclass(slots=True)
class _Outcome:
    kind: str
    error: str = ""


class _Permanent(Exception):
    """A send that trying again will not fix (a refused address, a 4xx answer, a bad URL)."""


class _Transient(Exception):
    """A send worth trying again later (a server down or slow, a 5xx or 429 answer)."""


# --- the drain ---------------------------------------------------------------------------------


def outgoing_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send due outbox rows (email over one SMTP connection, webhook one signed POST per shop
    batch); returns how many were sent."""
    now = now or timezone.now()
    _interrupted_fail(now=now)
    claimed = _claim(now=now, limit=limit)
    if not claimed:
        return 0
    rows = list(
        OutgoingMessage.objects.filter(pk__in=claimed)
        .select_related(
            "recipient__user",
            "recipient__campaign__shop",
            "recipient__campaign__listing__product",
        )
        .order_by("pk")
    )
    context = _Context.load(rows)
    outcomes: dict[int, _Outcome] = {}
    for row in rows:
        reason = context.skip_reason(row)
        if reason:
            outcomes[row.pk] = _Outcome(SKIP, reason)
    _emails_send(
        [r for r in rows if r.pk not in outcomes and r.channel == Channel.EMAIL], context, outcomes
    )
    _webhooks_send(
        [r for r in rows if r.pk not in outcomes and r.channel == Channel.WEBHOOK],
        context,
        outcomes,
    )
    return _outcomes_record(rows, outcomes, now=now)


def _interrupted_fail(*, now: datetime) -> int:
    """Rows a dead worker left SENDING: it may have sent them, so they are never sent again."""
    stale = OutgoingMessage.objects.filter(
        state=OutgoingState.SENDING, next_try_at__lt=now - STALE_SENDING
    )
    count = stale.update(state=OutgoingState.FAILED, last_error="interrupted")
    if count:
        logger.error("Outbox: %d sends interrupted (a worker stopped mid-send); not resent", count)
    return count


def _claim(*, now: datetime, limit: int) -> list[int]:
    """Mark up to ``limit`` due rows SENDING and commit, so nobody else sends them. PostgreSQL
    skips rows another drain is claiming; SQLite's IMMEDIATE transactions run one at a time."""
    due = OutgoingMessage.objects.filter(
        state=OutgoingState.PENDING, next_try_at__lte=now
    ).order_by("next_try_at", "pk")
    with transaction.atomic():
        if connection.vendor == "postgresql":
            due = due.select_for_update(skip_locked=True)
        ids = list(due.values_list("pk", flat=True)[:limit])
        if ids:
            OutgoingMessage.objects.filter(pk__in=ids, state=OutgoingState.PENDING).update(
                state=OutgoingState.SENDING, next_try_at=now
            )
    return ids


def _clip_error(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= ERROR_MAX else text[: ERROR_MAX - 1] + "…"


def _outcomes_record(
    rows: Sequence[OutgoingMessage], outcomes: dict[int, _Outcome], *, now: datetime
) -> int:
    """Write what happened: SENT and SKIPPED in one UPDATE each; a retry or a failure per row
    (each has its own backoff and error)."""
    by_kind: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        # A row with no outcome was not attempted (a bug further up): try it again later.
        outcome = outcomes.setdefault(row.pk, _Outcome(RETRY, "not attempted"))
        by_kind[outcome.kind].append(row.pk)
    claimed = OutgoingMessage.objects.filter(state=OutgoingState.SENDING)
    if by_kind[SENT]:
        claimed.filter(pk__in=by_kind[SENT]).update(
            state=OutgoingState.SENT, sent_at=now, last_error=""
        )
    for row in rows:
        outcome = outcomes[row.pk]
        if outcome.kind == SKIP:
            claimed.filter(pk=row.pk).update(
                state=OutgoingState.SKIPPED, last_error=_clip_error(outcome.error)
            )
        elif outcome.kind in (RETRY, FAIL):
            attempts = row.attempts + 1
            error = _clip_error(outcome.error) or "error"
            if outcome.kind == RETRY and attempts < settings.VSHOP_OUTGOING_TRIES:
                delay = settings.VSHOP_OUTGOING_RETRY_SECONDS * 2 ** (attempts - 1)
                claimed.filter(pk=row.pk).update(
                    state=OutgoingState.PENDING,
                    attempts=attempts,
                    next_try_at=now + timedelta(seconds=delay),
                    last_error=error,
                )
                logger.warning(
                    "Outbox %s %s: try %d failed (%s); next in %ds",
                    row.channel,
                    row.pk,
                    attempts,
                    error,
                    delay,
                )
            else:
                claimed.filter(pk=row.pk).update(
                    state=OutgoingState.FAILED, attempts=attempts, last_error=error
                )
                logger.error(
                    "Outbox %s %s failed after %d tries: %s", row.channel, row.pk, attempts, error
                )
    return len(by_kind[SENT])


# --- what every send needs, loaded once per drain ----------------------------------------------


@dataclass
class _Context:
    variants: dict[tuple[int, int], CampaignVariant]
    whys: dict[int, str]
    opted: dict[int, dict[int, set[str]]]  # shop id → user id → channels
    hooks: dict[int, ShopMessagingSettings]
    prices: dict[int, int]  # listing id → lowest retail price (fen)

    @classmethod
    def load(cls, rows: Sequence[OutgoingMessage]) -> _Context:
        recipients = [row.recipient for row in rows]
        campaign_ids = {r.campaign_id for r in recipients}
        variants = {
            (v.campaign_id, v.number): v
            for v in CampaignVariant.objects.filter(campaign_id__in=campaign_ids)
        }
        message_ids = [r.inbox_message_id for r in recipients if r.inbox_message_id]
        whys = (
            dict(InboxMessage.objects.filter(pk__in=message_ids).values_list("pk", "why"))
            if message_ids
            else {}
        )
        users_by_shop: dict[int, set[int]] = defaultdict(set)
        for r in recipients:
            users_by_shop[r.campaign.shop_id].add(r.user_id)
        opted = {
            shop_id: channel_opt_outs(user_ids=sorted(users), shop_id=shop_id)
            for shop_id, users in users_by_shop.items()
        }
        hook_shops = {r.recipient.campaign.shop_id for r in rows if r.channel == Channel.WEBHOOK}
        hooks = (
            {s.shop_id: s for s in ShopMessagingSettings.objects.filter(shop_id__in=hook_shops)}
            if hook_shops
            else {}
        )
        listing_ids = {r.campaign.listing_id for r in recipients if r.campaign.listing_id}
        prices: dict[int, int] = {}
        if listing_ids:
            from vshop.shops.models import ListingPrice

            prices = {
                row["listing_id"]: row["low"]
                for row in ListingPrice.objects.filter(listing_id__in=listing_ids)
                .values("listing_id")
                .annotate(low=Min("retail_price"))
            }
        return cls(variants=variants, whys=whys, opted=opted, hooks=hooks, prices=prices)

    def skip_reason(self, row: OutgoingMessage) -> str:
        recipient = row.recipient
        campaign = recipient.campaign
        if row.channel not in (Channel.EMAIL, Channel.WEBHOOK):
            return "not an outgoing channel"
        if recipient.state != RecipientState.DELIVERED:
            return "not delivered"
        if campaign.status == CampaignStatus.CANCELLED:
            return "campaign cancelled"
        if row.channel in self.opted.get(campaign.shop_id, {}).get(recipient.user_id, set()):
            return "unsubscribed"
        if self.variant(row) is None:
            return "no such variant"
        if row.channel == Channel.EMAIL:
            user = recipient.user
            if not user.email or not user.is_active:
                return "no email address"
        else:
            hook = self.hooks.get(campaign.shop_id)
            if hook is None or not hook.webhook_url:
                return "the shop has no webhook"
            if not hook.webhook_secret:
                return "the shop's webhook has no secret"
        return ""

    def variant(self, row: OutgoingMessage) -> CampaignVariant | None:
        r = row.recipient
        return self.variants.get((r.campaign_id, r.variant))

    def why(self, row: OutgoingMessage) -> str:
        r = row.recipient
        why = self.whys.get(r.inbox_message_id or 0, "")
        return why or gettext("You are a fan of %(shop)s.") % {"shop": r.campaign.shop.name}

    def listing(self, row: OutgoingMessage) -> dict[str, Any] | None:
        campaign = row.recipient.campaign
        listing = campaign.listing
        if listing is None:
            return None
        price = self.prices.get(listing.pk)
        return {
            "id": listing.pk,
            "name": listing.product.title,
            "price": price,  # fen, or None when the listing has no price yet
            "price_text": format_money(price) if price is not None else "",
            "url": absolute(
                reverse(
                    "storefront:listing",
                    kwargs={"slug": campaign.shop.slug, "listing_id": listing.pk},
                )
            ),
        }


def absolute(path: str) -> str:
    """A site path as the absolute URL an email or a webhook needs."""
    return settings.VSHOP_SITE_URL.rstrip("/") + path


# --- email -------------------------------------------------------------------------------------


def _from_address(shop_name: str) -> str:
    """``DEFAULT_FROM_EMAIL``'s address with the shop's name shown as the sender."""
    _name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((shop_name, address or settings.DEFAULT_FROM_EMAIL))


def email_of(row: OutgoingMessage, context: _Context) -> EmailMultiAlternatives:
    """The email of one outbox row: her variant's text, the tracked link, the listing card,
    why she got it and a one-click unsubscribe (RFC 8058 headers), with an open pixel in HTML."""
    recipient = row.recipient
    campaign = recipient.campaign
    variant = context.variant(row)
    if variant is None:
        raise _Permanent("the message's variant is gone")
    unsubscribe_url = absolute(
        tracking.unsubscribe_path(
            user_id=recipient.user_id, shop_id=campaign.shop_id, channel=Channel.EMAIL
        )
    )
    data = {
        "shop": campaign.shop,
        "title": variant.title,
        "text": variant.text,
        "link": absolute(tracking.click_path(recipient.pk)),
        "listing": context.listing(row),
        "why": context.why(row),
        "unsubscribe_url": unsubscribe_url,
        "pixel_url": absolute(tracking.open_pixel_path(recipient.pk)),
        "preferences_url": absolute(reverse("messaging:preferences")),
    }
    message = EmailMultiAlternatives(
        subject=" ".join(variant.title.split()),
        body=render_to_string("campaigns/email/message.txt", data),
        from_email=_from_address(campaign.shop.name),
        to=[recipient.user.email or ""],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("campaigns/email/message.html", data), "text/html")
    return message


def _emails_send(
    rows: Sequence[OutgoingMessage], context: _Context, outcomes: dict[int, _Outcome]
) -> None:
    """One SMTP connection for all of them. A refused address fails at once; a server that
    cannot be reached (or drops the connection) leaves this and the rest to retry."""
    if not rows:
        return
    mail = get_connection(fail_silently=False)
    try:
        mail.open()
    except (smtplib.SMTPException, OSError) as exc:
        for row in rows:
            outcomes[row.pk] = _Outcome(RETRY, f"{type(exc).__name__}: {exc}")
        return
    try:
        for index, row in enumerate(rows):
            try:
                message = email_of(row, context)
            except _Permanent as exc:
                outcomes[row.pk] = _Outcome(FAIL, str(exc))
                continue
            except Exception as exc:  # a bug in one message must not hold up the others
                logger.exception("Outbox email %s could not be built", row.pk)
                outcomes[row.pk] = _Outcome(FAIL, f"{type(exc).__name__}: {exc}")
                continue
            try:
                mail.send_messages([message])
            except smtplib.SMTPRecipientsRefused as exc:
                outcomes[row.pk] = _Outcome(FAIL, f"recipient refused: {exc.recipients}")
            except smtplib.SMTPResponseException as exc:
                permanent = 500 <= exc.smtp_code < 600
                outcomes[row.pk] = _Outcome(
                    FAIL if permanent else RETRY, f"SMTP {exc.smtp_code}: {exc.smtp_error!r}"
                )
            except (smtplib.SMTPException, OSError) as exc:
                # The connection is gone: this one and the rest wait for the next try.
                error = f"{type(exc).__name__}: {exc}"
                for rest in rows[index:]:
                    outcomes.setdefault(rest.pk, _Outcome(RETRY, error))
                return
            else:
                outcomes[row.pk] = _Outcome(SENT)
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            mail.close()


# --- webhook -----------------------------------------------------------------------------------


def webhook_signature(*, secret: str, timestamp: int, body: bytes) -> str:
    """The ``X-VShop-Signature`` header value: ``t=<timestamp>,v1=<hex HMAC-SHA256 of
    "<timestamp>." + body>``."""
    digest = hmac.new(
        secret.encode(), f"{int(timestamp)}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return f"t={int(timestamp)},v1={digest}"


def webhook_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance: int = SIGNATURE_TOLERANCE,
    now: float | None = None,
) -> bool:
    """Whether a delivery is genuine: what a receiver runs on each POST.

    Take the raw request body (bytes, before any JSON parsing) and the ``X-VShop-Signature``
    header (``t=<unix time>,v1=<hex>``); compute HMAC-SHA256 with the shop's webhook secret
    over ``"<t>." + body`` and compare it with ``v1`` in constant time; refuse a ``t`` more
    than ``tolerance`` seconds away from now (a replayed old delivery). Deliveries may arrive
    twice (a retry after a timeout): deduplicate on the payload's ``id``, or on each message's
    ``recipient_id``.
    """
    parts: dict[str, str] = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, value)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    signature = parts.get("v1", "")
    if not signature:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = webhook_signature(secret=secret, timestamp=timestamp, body=body)
    return hmac.compare_digest(expected.encode(), f"t={timestamp},v1={signature}".encode())


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


class _Unresolvable(Exception):
    pass


def _resolve(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) of a checked URL; raises ValidationFailed
    for a URL that is not allowed, ``_Unresolvable`` when its host cannot be looked up."""
    error = _("A webhook URL is an http(s):// address of a server on the internet.")
    url = url.strip()
    if not url or len(url) > LINK_MAX or any(c.isspace() or ord(c) < 32 for c in url):
        raise ValidationFailed(error, field="webhook_url")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationFailed(error, field="webhook_url") from None
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValidationFailed(error, field="webhook_url")
    port = port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise _Unresolvable(f"cannot resolve {host}") from None
    addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise _Unresolvable(f"cannot resolve {host}")
    if not settings.VSHOP_WEBHOOK_ALLOW_PRIVATE and not all(map(_address_allowed, addresses)):
        raise ValidationFailed(
            _("This webhook URL points into a private network; use a public address."),
            field="webhook_url",
        )
    return parts.scheme, host, port, addresses[0]


def webhook_url_check(url: str) -> str:
    """The webhook URL, stripped, if the outbox may POST to it: http(s), a host, at most 500
    characters and (unless ``VSHOP_WEBHOOK_ALLOW_PRIVATE``) a host that resolves only to
    public addresses, so a shop cannot aim our server at its own network (SSRF). Raises
    ``ValidationFailed(field="webhook_url")``. Checked again at each send."""
    try:
        _resolve(url)
    except _Unresolvable:
        raise ValidationFailed(
            _("The webhook URL's server cannot be found."), field="webhook_url"
        ) from None
    return url.strip()


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST to the checked address (no second lookup an attacker could change, no redirects
    followed); returns the status. Raises ``_Permanent`` / ``_Transient``."""
    try:
        scheme, host, port, address = _resolve(url)
    except ValidationFailed as exc:
        raise _Permanent(exc.message) from None
    except _Unresolvable as exc:
        raise _Transient(str(exc)) from None
    parts = urlsplit(url.strip())
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    if scheme == "https":
        conn = http.client.HTTPSConnection(
            host, port, timeout=WEBHOOK_TIMEOUT, context=ssl.create_default_context()
        )
    else:
        conn = http.client.HTTPConnection(host, port, timeout=WEBHOOK_TIMEOUT)

    def connect_checked(
        _address: tuple[str, int], timeout: float | None = None, source_address: Any = None
    ) -> socket.socket:
        return socket.create_connection((address, port), timeout, source_address)

    conn._create_connection = connect_checked  # type: ignore[attr-defined]
    try:
        conn.request("POST", target, body=body, headers=headers)
        response = conn.getresponse()
        response.read(65536)
        return response.status
    except (OSError, http.client.HTTPException) as exc:  # timeouts and refusals are OSErrors
        raise _Transient(f"{type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


def _webhook_batches(rows: Iterable[OutgoingMessage]) -> list[list[OutgoingMessage]]:
    """The rows by campaign (one shop each), up to ``WEBHOOK_BATCH`` per POST, in id order."""
    groups: dict[int, list[OutgoingMessage]] = defaultdict(list)
    for row in sorted(rows, key=lambda r: r.pk):
        groups[row.recipient.campaign_id].append(row)
    return [
        group[start : start + WEBHOOK_BATCH]
        for group in groups.values()
        for start in range(0, len(group), WEBHOOK_BATCH)
    ]


def webhook_payload(batch: Sequence[OutgoingMessage], context: _Context) -> dict[str, Any]:
    """The JSON of one POST. ``id`` names the delivery (its first outbox row and size): rows
    retried together keep it, so a receiver can drop a delivery it already has."""
    campaign = batch[0].recipient.campaign
    messages = []
    for row in batch:
        variant = context.variant(row)
        if variant is None:
            continue
        messages.append(
            {
                "recipient_id": row.recipient_id,
                "fan_user_id": row.recipient.user_id,
                "title": variant.title,
                "text": variant.text,
                "link": absolute(tracking.click_path(row.recipient_id)),
                "listing": context.listing(row),
                "why": context.why(row),
            }
        )
    return {
        "event": WEBHOOK_EVENT,
        "id": f"msg-{batch[0].pk}-{len(batch)}",
        "shop": campaign.shop.slug,
        "campaign": {"id": campaign.pk, "name": campaign.name},
        "messages": messages,
    }


def _webhooks_send(
    rows: Sequence[OutgoingMessage], context: _Context, outcomes: dict[int, _Outcome]
) -> None:
    for batch in _webhook_batches(rows):
        hook = context.hooks[batch[0].recipient.campaign.shop_id]
        outcome = _webhook_post(hook, webhook_payload(batch, context))
        for row in batch:
            outcomes[row.pk] = outcome


def _webhook_post(hook: ShopMessagingSettings, payload: dict[str, Any]) -> _Outcome:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "VShop-Webhook/1",
        "X-VShop-Event": WEBHOOK_EVENT,
        "X-VShop-Delivery": payload["id"],
        "X-VShop-Signature": webhook_signature(
            secret=hook.webhook_secret, timestamp=int(time.time()), body=body
        ),
    }
    try:
        status = _post(hook.webhook_url, body, headers)
    except _Permanent as exc:
        return _Outcome(FAIL, str(exc))
    except _Transient as exc:
        return _Outcome(RETRY, str(exc))
    if 200 <= status < 300:
        return _Outcome(SENT)
    if status >= 500 or status == 429:
        return _Outcome(RETRY, f"HTTP {status}")
    return _Outcome(FAIL, f"HTTP {status}")  # other 4xx, and redirects (never followed)
