"""The outbox: campaign emails over a real SMTP server (aiosmtpd) and signed webhook POSTs to a
real local HTTP server; claims (never sent twice), retries with doubling backoff, failures that
no retry would fix, skips (unsubscribed, no address, no webhook), and the SSRF guard."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from email.utils import parseaddr
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.db.models import Min
from django.test import Client
from django.utils import timezone

from tests.campaigns.kit import make_campaign, make_fans, opt_out, shop_settings
from tests.smtp import HOST, free_port, subject_of
from vshop.accounts.models import User
from vshop.campaigns import channels, tracking
from vshop.campaigns.models import (
    Campaign,
    CampaignRecipient,
    OutgoingMessage,
    OutgoingState,
    RecipientState,
)
from vshop.errors import ValidationFailed
from vshop.fans.models import ShopFan
from vshop.messaging.models import ChannelOptOut, InboxMessage
from vshop.money import format_money
from vshop.shops.models import ListingPrice

pytestmark = pytest.mark.django_db

SITE = "https://vshop.example"
WHY = "You follow Lily's picks · sent to a group of its fans"


@pytest.fixture(autouse=True)
def _site(settings) -> None:
    settings.VSHOP_SITE_URL = SITE
    settings.DEFAULT_FROM_EMAIL = "VShop <noreply@vshop.example>"
    settings.VSHOP_OUTGOING_TRIES = 5
    settings.VSHOP_OUTGOING_RETRY_SECONDS = 60


def delivered(
    campaign: Campaign,
    users: Sequence[User],
    *,
    channels_: Sequence[str] = ("email",),
    inbox: bool = True,
    why: str = WHY,
) -> list[CampaignRecipient]:
    """What delivery leaves behind: each fan DELIVERED, her inbox message and her outbox rows
    (made with the models, so these tests do not depend on the planner)."""
    now = timezone.now()
    made = []
    for user in users:
        fan_id = ShopFan.objects.filter(shop=campaign.shop, user=user).values_list(
            "pk", flat=True
        ).first() or (10_000_000 + user.pk)
        recipient = CampaignRecipient.objects.create(
            campaign=campaign,
            fan_id=fan_id,
            user=user,
            variant=1,
            slot_at=now,
            local_hour=12,
            state=RecipientState.DELIVERED,
            delivered_at=now,
        )
        if inbox:
            message = InboxMessage.objects.create(
                recipient=user,
                kind="campaign",
                title="t",
                link=tracking.click_path(recipient.pk),
                shop=campaign.shop,
                why=why,
                campaign_recipient_id=recipient.pk,
            )
            recipient.inbox_message_id = message.pk
            recipient.save(update_fields=["inbox_message_id"])
        for channel in channels_:
            OutgoingMessage.objects.create(recipient=recipient, channel=channel, next_try_at=now)
        made.append(recipient)
    return made


def outbox(recipient: CampaignRecipient, channel: str = "email") -> OutgoingMessage:
    return OutgoingMessage.objects.get(recipient=recipient, channel=channel)


def parts(mail: Message) -> dict[str, str]:
    """The decoded text of each part of a multipart email, by content type."""
    found = {}
    for part in mail.walk():
        if part.get_content_maintype() == "text":
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


def header(mail: Message, name: str) -> str:
    """A header unfolded (long ones travel folded over lines)."""
    return " ".join(str(mail[name]).split())


def site_path(url: str) -> str:
    assert url.startswith(SITE), url
    return url.removeprefix(SITE)


# --- email ---------------------------------------------------------------------------------


def test_email_carries_the_text_link_listing_why_unsubscribe_headers_and_pixel(
    smtp_server, shop, listing
):
    [fan] = make_fans(shop, 1)
    campaign = make_campaign(
        shop, email=True, variants=[("Spring <sale>", "New romper & more <b>today</b>")]
    )
    Campaign.objects.filter(pk=campaign.pk).update(listing=listing)
    [recipient] = delivered(campaign, [fan])

    assert channels.outgoing_send_due() == 1

    [mail] = smtp_server.wait_for(1)
    assert subject_of(mail) == "Spring <sale>"
    assert parseaddr(mail["From"]) == (shop.name, "noreply@vshop.example")
    assert mail["To"] == fan.email
    unsubscribe_url = SITE + tracking.unsubscribe_path(
        user_id=fan.pk, shop_id=shop.pk, channel="email"
    )
    assert header(mail, "List-Unsubscribe") == f"<{unsubscribe_url}>"
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = parts(mail)
    text, html = body["text/plain"], body["text/html"]
    click_url = SITE + tracking.click_path(recipient.pk)
    price = ListingPrice.objects.filter(listing=listing).aggregate(low=Min("retail_price"))["low"]
    assert "New romper & more <b>today</b>" in text
    assert click_url in text
    assert f"{listing.product.title} · {format_money(price)}" in text
    assert f"Why you got this: {WHY}" in text
    assert unsubscribe_url in text
    # The HTML is escaped, and carries the open pixel.
    assert "&lt;b&gt;today&lt;/b&gt;" in html and "<b>today" not in html
    assert f'href="{click_url}"' in html
    pixel = SITE + tracking.open_pixel_path(recipient.pk)
    assert f'<img src="{pixel}" width="1" height="1" alt="">' in html
    row = outbox(recipient)
    assert (row.state, row.attempts, row.last_error) == (OutgoingState.SENT, 0, "")
    assert row.sent_at is not None
    # Her mail client loads the pixel: an open.
    assert Client().get(site_path(pixel))["Content-Type"] == "image/gif"
    recipient.refresh_from_db()
    assert recipient.opened_at is not None


def test_the_unsubscribe_link_of_the_email_works_and_the_next_campaign_email_is_skipped(
    smtp_server, shop
):
    [fan] = make_fans(shop, 1)
    delivered(make_campaign(shop, email=True), [fan])
    channels.outgoing_send_due()
    [mail] = smtp_server.wait_for(1)
    link = site_path(header(mail, "List-Unsubscribe").strip("<>"))
    assert link in parts(mail)["text/plain"]
    visitor = Client()  # she is not logged in: the signed link is enough

    page = visitor.get(link)
    assert page.status_code == 200
    assert shop.name in page.content.decode() and "Email" in page.content.decode()
    assert not ChannelOptOut.objects.exists()  # a GET (a mail scanner) changes nothing
    done = visitor.post(link, {"action": "unsubscribe"})

    assert done.status_code == 200
    assert "Resubscribe" in done.content.decode()
    assert ChannelOptOut.objects.filter(user=fan, shop=shop, channel="email").count() == 1
    [later] = delivered(make_campaign(shop, name="Next", email=True), [fan])
    assert channels.outgoing_send_due() == 0
    row = outbox(later)
    assert (row.state, row.last_error) == (OutgoingState.SKIPPED, "unsubscribed")
    assert len(smtp_server.messages) == 1


def test_a_mail_clients_one_click_post_unsubscribes_without_a_csrf_token(smtp_server, shop):
    [fan] = make_fans(shop, 1)
    delivered(make_campaign(shop, email=True), [fan])
    channels.outgoing_send_due()
    [mail] = smtp_server.wait_for(1)
    link = site_path(header(mail, "List-Unsubscribe").strip("<>"))

    answer = Client(enforce_csrf_checks=True).post(
        link,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert answer.status_code == 200
    assert ChannelOptOut.objects.filter(user=fan, shop=shop, channel="email").exists()


def test_unsubscribed_from_email_of_every_shop_no_address_or_inactive_are_skipped(
    smtp_server, shop, other_shop
):
    everywhere, gone, fine = make_fans(shop, 3)
    [mobile_only] = make_fans(shop, 1, email=False)
    opt_out(everywhere, "email")  # every shop
    opt_out(fine, "email", other_shop)  # another shop only: this shop still emails her
    User.objects.filter(pk=gone.pk).update(is_active=False)
    rows = delivered(make_campaign(shop, email=True), [everywhere, mobile_only, gone, fine])

    assert channels.outgoing_send_due() == 1

    states = [(outbox(r).state, outbox(r).last_error) for r in rows]
    assert states == [
        (OutgoingState.SKIPPED, "unsubscribed"),
        (OutgoingState.SKIPPED, "no email address"),
        (OutgoingState.SKIPPED, "no email address"),
        (OutgoingState.SENT, ""),
    ]
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == fine.email


def test_a_mail_server_that_is_down_is_retried_with_doubling_backoff_then_failed(
    settings, shop, caplog
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = HOST
    settings.EMAIL_PORT = free_port()  # nobody listens: connection refused
    [fan] = make_fans(shop, 1)
    [recipient] = delivered(make_campaign(shop, email=True), [fan])
    now = timezone.now()
    waits = []

    for attempt in range(1, 5):
        assert channels.outgoing_send_due(now=now) == 0
        row = outbox(recipient)
        assert (row.state, row.attempts) == (OutgoingState.PENDING, attempt)
        assert "Connection" in row.last_error or "refused" in row.last_error
        waits.append(round((row.next_try_at - now).total_seconds()))
        # Not due yet: a drain a moment before the backoff ends leaves it alone.
        channels.outgoing_send_due(now=row.next_try_at - timedelta(seconds=1))
        assert outbox(recipient).attempts == attempt
        now = row.next_try_at
    assert channels.outgoing_send_due(now=now) == 0

    assert waits == [60, 120, 240, 480]
    row = outbox(recipient)
    assert (row.state, row.attempts) == (OutgoingState.FAILED, 5)
    assert 0 < len(row.last_error) <= 300
    assert "failed after 5 tries" in caplog.text


def test_a_refused_recipient_fails_at_once_and_the_others_still_get_theirs(settings, shop):
    from aiosmtpd.controller import Controller

    class Refusing:
        def __init__(self) -> None:
            self.received: list[str] = []

        async def handle_RCPT(self, server, session, envelope, address, options):
            if address.startswith("refused"):
                return "550 5.1.1 No such mailbox"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            self.received += envelope.rcpt_tos
            return "250 Message accepted"

    handler = Refusing()
    controller = Controller(handler, hostname=HOST, port=free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, controller.port
        first, second = make_fans(shop, 2)
        User.objects.filter(pk=first.pk).update(email="refused@example.com")
        first.refresh_from_db()
        refused, accepted = delivered(make_campaign(shop, email=True), [first, second])

        assert channels.outgoing_send_due() == 1
    finally:
        controller.stop()

    row = outbox(refused)
    assert (row.state, row.attempts) == (OutgoingState.FAILED, 1)
    assert "refused" in row.last_error
    assert outbox(accepted).state == OutgoingState.SENT
    assert handler.received == [second.email]


# --- claims --------------------------------------------------------------------------------


def test_two_drains_in_a_row_never_send_a_row_twice(smtp_server, shop):
    fans = make_fans(shop, 3)
    delivered(make_campaign(shop, email=True), fans)

    assert channels.outgoing_send_due() == 3
    assert channels.outgoing_send_due() == 0
    assert channels.outgoing_send_due(now=timezone.now() + timedelta(days=1)) == 0

    smtp_server.wait_for(3)
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(f.email for f in fans)


def test_a_row_another_worker_claimed_is_not_sent_by_this_one(smtp_server, shop):
    fans = make_fans(shop, 2)
    delivered(make_campaign(shop, email=True), fans)
    now = timezone.now()

    taken = channels._claim(now=now, limit=1)  # another worker holds the first row

    assert channels.outgoing_send_due(now=now) == 1
    assert OutgoingMessage.objects.get(pk__in=taken).state == OutgoingState.SENDING
    assert len(smtp_server.wait_for(1)) == 1
    assert len(smtp_server.messages) == 1


def test_a_row_left_sending_over_15_minutes_is_failed_as_interrupted_and_never_resent(
    smtp_server, shop
):
    old, recent = make_fans(shop, 2)
    rows = delivered(make_campaign(shop, email=True), [old, recent])
    now = timezone.now()
    OutgoingMessage.objects.filter(recipient=rows[0]).update(
        state=OutgoingState.SENDING, next_try_at=now - timedelta(minutes=16)
    )
    OutgoingMessage.objects.filter(recipient=rows[1]).update(
        state=OutgoingState.SENDING, next_try_at=now - timedelta(minutes=10)
    )

    assert channels.outgoing_send_due(now=now) == 0
    assert channels.outgoing_send_due(now=now + timedelta(minutes=1)) == 0

    assert (outbox(rows[0]).state, outbox(rows[0]).last_error) == (
        OutgoingState.FAILED,
        "interrupted",
    )
    assert outbox(rows[1]).state == OutgoingState.SENDING  # maybe still being sent
    assert smtp_server.messages == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_drains_on_postgresql_send_each_row_exactly_once(smtp_server, shop):
    from tests.races import race

    fans = make_fans(shop, 12)
    delivered(make_campaign(shop, email=True), fans)
    sent: list[int] = []

    results = race(4, lambda i: sent.append(channels.outgoing_send_due(limit=3)))

    assert results == ["ok"] * 4
    while channels.outgoing_send_due(limit=3):
        pass
    smtp_server.wait_for(12)
    addresses = [m["To"] for m in smtp_server.messages]
    assert sorted(addresses) == sorted(f.email for f in fans)  # each once
    assert OutgoingMessage.objects.filter(state=OutgoingState.SENT).count() == 12


# --- webhook -------------------------------------------------------------------------------

SECRET = "s3cret"


@dataclass
class Receiver:
    """A shop's webhook endpoint: answers with the queued statuses (then 200), verifies each
    delivery's signature with ``channels.webhook_verify`` as a real receiver would."""

    port: int = 0
    statuses: list[int] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/vshop?src=test"


@pytest.fixture
def receiver(settings) -> Iterator[Receiver]:
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = True
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.deliveries.append(
                {
                    "path": self.path,
                    "headers": dict(self.headers),
                    "body": json.loads(body),
                    "verified": channels.webhook_verify(
                        secret=SECRET, header=self.headers["X-VShop-Signature"], body=body
                    ),
                }
            )
            status = state.statuses.pop(0) if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def test_webhook_is_signed_retried_after_a_500_with_backoff_then_delivered(receiver, shop):
    shop_settings(shop, webhook_url=receiver.url)  # secret "s3cret"
    fans = make_fans(shop, 2)
    campaign = make_campaign(shop, inbox=True, webhook=True)
    rows = delivered(campaign, fans, channels_=("webhook",))
    receiver.statuses = [500]
    now = timezone.now()

    assert channels.outgoing_send_due(now=now) == 0
    first = outbox(rows[0], "webhook")
    assert (first.state, first.attempts, first.last_error) == (
        OutgoingState.PENDING,
        1,
        "HTTP 500",
    )
    assert first.next_try_at == now + timedelta(seconds=60)
    assert channels.outgoing_send_due(now=now + timedelta(seconds=59)) == 0
    assert len(receiver.deliveries) == 1
    assert channels.outgoing_send_due(now=now + timedelta(seconds=60)) == 2

    assert [outbox(r, "webhook").state for r in rows] == [OutgoingState.SENT] * 2
    assert len(receiver.deliveries) == 2
    failed, ok = receiver.deliveries
    assert failed["verified"] and ok["verified"]
    assert ok["path"] == "/hooks/vshop?src=test"
    assert ok["headers"]["Content-Type"].startswith("application/json")
    assert ok["headers"]["X-VShop-Event"] == "campaign.message"
    payload = ok["body"]
    assert payload["id"] == failed["body"]["id"]  # the same delivery: the receiver dedupes
    assert payload["event"] == "campaign.message"
    assert payload["shop"] == shop.slug
    assert payload["campaign"] == {"id": campaign.pk, "name": campaign.name}
    assert payload["messages"] == [
        {
            "recipient_id": r.pk,
            "fan_user_id": fan.pk,
            "title": "Variant 1 title",
            "text": "Variant 1 text",
            "link": SITE + tracking.click_path(r.pk),
            "listing": None,
            "why": WHY,
        }
        for r, fan in zip(rows, fans, strict=True)
    ]


def test_webhook_answered_400_fails_at_once(receiver, shop):
    shop_settings(shop, webhook_url=receiver.url)
    [row] = delivered(make_campaign(shop, webhook=True), make_fans(shop, 1), channels_=("webhook",))
    receiver.statuses = [400]

    assert channels.outgoing_send_due() == 0

    sent = outbox(row, "webhook")
    assert (sent.state, sent.attempts, sent.last_error) == (OutgoingState.FAILED, 1, "HTTP 400")
    assert channels.outgoing_send_due(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(receiver.deliveries) == 1


def test_webhook_receiver_that_is_down_is_retried(settings, shop):
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = True
    shop_settings(shop, webhook_url=f"http://127.0.0.1:{free_port()}/hook")
    [row] = delivered(make_campaign(shop, webhook=True), make_fans(shop, 1), channels_=("webhook",))

    assert channels.outgoing_send_due() == 0

    sent = outbox(row, "webhook")
    assert (sent.state, sent.attempts) == (OutgoingState.PENDING, 1)
    assert "Connection" in sent.last_error or "refused" in sent.last_error


def test_webhook_messages_go_up_to_100_per_post(receiver, shop):
    from tests.campaigns.kit import bulk_fans

    shop_settings(shop, webhook_url=receiver.url)
    users = list(User.objects.filter(pk__in=bulk_fans(shop, 130)).order_by("pk"))
    delivered(make_campaign(shop, inbox=False, webhook=True), users, channels_=("webhook",))

    assert channels.outgoing_send_due() == 130

    sizes = [len(d["body"]["messages"]) for d in receiver.deliveries]
    assert sizes == [100, 30]
    assert all(d["verified"] for d in receiver.deliveries)
    ids = [d["body"]["id"] for d in receiver.deliveries]
    assert len(set(ids)) == 2
    # Without an inbox message the sentence is made for the webhook.
    assert receiver.deliveries[0]["body"]["messages"][0]["why"]


def test_webhook_is_skipped_without_a_url_or_when_she_unsubscribed(receiver, shop):
    no_hook, unsubscribed = make_fans(shop, 2)
    opt_out(unsubscribed, "webhook", shop)
    campaign = make_campaign(shop, webhook=True)
    [skipped_fan] = delivered(campaign, [unsubscribed], channels_=("webhook",))
    [no_url] = delivered(campaign, [no_hook], channels_=("webhook",))

    channels.outgoing_send_due()  # the shop has no webhook settings at all

    assert (outbox(no_url, "webhook").state, outbox(no_url, "webhook").last_error) == (
        OutgoingState.SKIPPED,
        "the shop has no webhook",
    )
    assert outbox(skipped_fan, "webhook").state == OutgoingState.SKIPPED
    assert receiver.deliveries == []


def test_webhook_to_a_private_address_is_refused_at_send_time(receiver, settings, shop):
    shop_settings(shop, webhook_url=receiver.url)
    [row] = delivered(make_campaign(shop, webhook=True), make_fans(shop, 1), channels_=("webhook",))
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = False  # e.g. its DNS now points inside

    assert channels.outgoing_send_due() == 0

    sent = outbox(row, "webhook")
    assert (sent.state, sent.attempts) == (OutgoingState.FAILED, 1)
    assert "private" in sent.last_error
    assert receiver.deliveries == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.1/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
        "ftp://93.184.216.34/hook",
        "javascript:alert(1)",
        "http:///hook",
        "https://93.184.216.34:99999/hook",
        "https://93.184.216.34/" + "a" * 500,
        "",
    ],
)
def test_webhook_url_check_refuses_what_is_not_a_public_http_server(settings, url):
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = False

    with pytest.raises(ValidationFailed) as refused:
        channels.webhook_url_check(url)

    assert refused.value.field == "webhook_url"


def test_webhook_url_check_accepts_a_public_address_and_private_ones_when_allowed(settings):
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = False
    assert channels.webhook_url_check(" https://93.184.216.34/hook?x=1 ") == (
        "https://93.184.216.34/hook?x=1"
    )
    settings.VSHOP_WEBHOOK_ALLOW_PRIVATE = True
    assert channels.webhook_url_check("http://127.0.0.1:8000/hook") == (
        "http://127.0.0.1:8000/hook"
    )
    with pytest.raises(ValidationFailed):
        channels.webhook_url_check("ftp://127.0.0.1/")  # still http(s) only


def test_webhook_verify_refuses_a_tampered_body_an_old_signature_or_another_secret():
    body = b'{"event":"campaign.message"}'
    now = 1_800_000_000
    header = channels.webhook_signature(secret=SECRET, timestamp=now, body=body)

    assert header.startswith(f"t={now},v1=")
    assert channels.webhook_verify(secret=SECRET, header=header, body=body, now=now + 10)
    assert not channels.webhook_verify(secret=SECRET, header=header, body=body + b" ", now=now)
    assert not channels.webhook_verify(secret="other", header=header, body=body, now=now)
    assert not channels.webhook_verify(secret=SECRET, header=header, body=body, now=now + 301)
    assert not channels.webhook_verify(secret=SECRET, header="t=x,v1=y", body=body, now=now)
    assert not channels.webhook_verify(secret=SECRET, header="", body=body, now=now)


# --- the whole way -------------------------------------------------------------------------


def test_a_planned_and_delivered_campaign_goes_out_by_email_and_webhook(
    smtp_server, receiver, shop
):
    from tests.campaigns.kit import deliver_all, plan

    shop_settings(shop, webhook_url=receiver.url)
    fans = make_fans(shop, 2)
    campaign = make_campaign(shop, inbox=True, email=True, webhook=True)
    plan(campaign)
    assert deliver_all(campaign) == 2

    assert channels.outgoing_send_due() == 4

    mails = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in mails) == sorted(f.email for f in fans)
    why = InboxMessage.objects.filter(recipient=fans[0]).get().why
    texts = "".join(parts(m)["text/plain"] for m in mails)
    assert why and f"Why you got this: {why}" in texts
    [delivery] = receiver.deliveries
    assert delivery["verified"]
    assert {m["fan_user_id"] for m in delivery["body"]["messages"]} == {f.pk for f in fans}
    assert OutgoingMessage.objects.filter(state=OutgoingState.SENT).count() == 4
