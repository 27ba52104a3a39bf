"""``notify``: an inbox message per person, and an email through a real SMTP server once the
surrounding transaction commits; a mail server that is down never fails the caller."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction
from huey.contrib.djhuey import HUEY

from tests.factories import make_user
from tests.smtp import subject_of, text_of
from vshop.errors import ValidationFailed
from vshop.messaging.models import InboxMessage
from vshop.messaging.services import notify
from vshop.messaging.tasks import SEND_RETRIES, inbox_email_send

committed = pytest.mark.django_db(transaction=True)


@committed
def test_notify_writes_one_message_per_person_and_emails_each_through_smtp(
    smtp_server, settings, buyer, stranger
):
    # given
    settings.VSHOP_SITE_URL = "https://vshop.example"
    settings.DEFAULT_FROM_EMAIL = "VShop <noreply@vshop.example>"
    # when the same person is named twice
    messages = notify(
        recipients=[buyer, stranger, buyer],
        kind="order.paid",
        title="Order #12 is paid",
        body="Thank you! Lily will ship it soon.",
        link="/orders/12/",
    )
    # then one message each, unread
    assert len(messages) == 2
    rows = InboxMessage.objects.order_by("recipient_id")
    assert [(m.recipient, m.kind, m.title, m.link, m.read_at) for m in rows] == [
        (buyer, "order.paid", "Order #12 is paid", "/orders/12/", None),
        (stranger, "order.paid", "Order #12 is paid", "/orders/12/", None),
    ]
    # and one email each arrived at the SMTP server
    mails = smtp_server.wait_for(2)
    assert sorted(m["To"] for m in mails) == ["buyer@example.com", "stranger@example.com"]
    for mail in mails:
        assert mail["Subject"] == "Order #12 is paid"
        assert mail["From"] == "VShop <noreply@vshop.example>"
        assert mail.get_content_type() == "text/plain"
        assert (
            text_of(mail)
            == "Thank you! Lily will ship it soon.\n\nhttps://vshop.example/orders/12/"
        )
    assert sorted(rcpt for e in smtp_server.envelopes for rcpt in e.rcpt_tos) == [
        "buyer@example.com",
        "stranger@example.com",
    ]
    assert InboxMessage.objects.filter(emailed_at__isnull=True).count() == 0


@committed
def test_a_chinese_title_and_body_arrive_intact(smtp_server, buyer):
    notify(recipients=[buyer], kind="order.shipped", title="订单已发货", body="顺丰 SF123")

    [mail] = smtp_server.wait_for(1)

    assert subject_of(mail) == "订单已发货"
    assert text_of(mail) == "顺丰 SF123"


@committed
def test_no_message_and_no_email_when_the_notifying_transaction_rolls_back(smtp_server, buyer):
    # when the order that notified fails after notify
    with pytest.raises(RuntimeError), transaction.atomic():
        notify(recipients=[buyer], kind="order.paid", title="Paid", body="")
        raise RuntimeError("payment callback failed")
    # then nothing was kept and nothing sent (tasks run synchronously, so it would be here by now)
    assert InboxMessage.objects.count() == 0
    assert smtp_server.messages == []


@committed
def test_mail_server_down_keeps_the_message_raises_nothing_and_schedules_a_retry(
    smtp_down, buyer, caplog
):
    caplog.set_level(logging.WARNING, logger="vshop.messaging.tasks")
    # when
    [message] = notify(recipients=[buyer], kind="order.paid", title="Paid", body="Thanks")
    # then the inbox message is there, not emailed, and the send waits for its next try
    message.refresh_from_db()
    assert message.emailed_at is None
    assert "retrying in 60s" in caplog.text
    [retry] = HUEY.scheduled()
    assert retry.name.endswith("inbox_email_send")
    assert retry.retries == SEND_RETRIES - 1


@pytest.mark.django_db
def test_the_last_try_gives_up_with_a_log_line_instead_of_an_error(smtp_down, buyer, caplog):
    [message] = notify(recipients=[buyer], kind="order.paid", title="Paid", body="", email=False)

    sent = inbox_email_send.call_local([message.pk])  # no retries left

    assert sent == 0
    assert "Inbox email given up" in caplog.text
    assert InboxMessage.objects.get().emailed_at is None


@pytest.mark.django_db
def test_a_retry_emails_only_the_messages_not_emailed_yet(smtp_server, buyer, stranger):
    first = notify(recipients=[buyer], kind="k", title="One", body="", email=False)
    second = notify(recipients=[stranger], kind="k", title="Two", body="", email=False)
    ids = [first[0].pk, second[0].pk]

    assert inbox_email_send.call_local(ids) == 2
    assert inbox_email_send.call_local(ids) == 0  # e.g. the worker retried after a late error

    assert [m["Subject"] for m in smtp_server.wait_for(2)] == ["One", "Two"]
    assert len(smtp_server.messages) == 2


@committed
def test_people_without_an_email_address_get_the_message_but_no_mail(smtp_server, buyer):
    mobile_only = make_user("138 0013 8000", name="Mobile only")
    assert not mobile_only.email

    notify(recipients=[mobile_only, buyer], kind="order.paid", title="Paid", body="")

    assert InboxMessage.objects.filter(recipient=mobile_only).exists()
    [mail] = smtp_server.wait_for(1)
    assert mail["To"] == "buyer@example.com"
    assert len(smtp_server.messages) == 1


@committed
def test_email_false_writes_the_message_only(smtp_server, buyer):
    notify(recipients=[buyer], kind="news", title="Hello", body="", email=False)

    assert InboxMessage.objects.filter(recipient=buyer).count() == 1
    assert smtp_server.messages == []


@committed
def test_without_a_site_url_the_email_carries_the_body_only(smtp_server, settings, buyer):
    settings.VSHOP_SITE_URL = ""

    notify(recipients=[buyer], kind="k", title="T", body="Just text", link="/orders/1/")

    [mail] = smtp_server.wait_for(1)
    assert text_of(mail) == "Just text"


@pytest.mark.django_db
def test_nobody_to_notify_writes_nothing():
    assert notify(recipients=[], kind="k", title="T", body="") == []
    assert InboxMessage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "link", ["https://evil.example/", "//evil.example/x", "orders/1", "/a\\b", "/a b", "/a\nb"]
)
def test_a_link_must_be_a_page_of_this_site(buyer, link):
    with pytest.raises(ValidationFailed) as exc:
        notify(recipients=[buyer], kind="k", title="T", body="", link=link)
    assert exc.value.field == "link"
    assert InboxMessage.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["", "Order Paid", "order/paid", "x" * 41])
def test_a_kind_is_a_short_code(buyer, kind):
    with pytest.raises(ValidationFailed):
        notify(recipients=[buyer], kind=kind, title="T", body="")


@pytest.mark.django_db
def test_a_long_title_or_body_is_cut_not_refused_and_the_title_is_one_line(buyer):
    [message] = notify(
        recipients=[buyer], kind="k", title="Line one\nline two " + "x" * 200, body="y" * 2500
    )

    assert len(message.title) == 120
    assert message.title.startswith("Line one line two x")
    assert message.title.endswith("…")
    assert len(message.body) == 2000
    message.refresh_from_db()
    assert len(message.body) == 2000
