"""Reading the inbox: the API under /api/me/inbox and the /inbox/ page, each person seeing and
changing her own messages only; the unread badge in the site header."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from vshop.accounts.models import User
from vshop.errors import NotFound
from vshop.messaging import selectors, services
from vshop.messaging.models import InboxMessage
from vshop.messaging.services import notify

pytestmark = pytest.mark.django_db


def client_for(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def send(user: User, n: int = 1, **kwargs: str) -> list[InboxMessage]:
    """``n`` messages to her, the last one newest; no email (that is test_notify's business)."""
    made: list[InboxMessage] = []
    for i in range(1, n + 1):
        made += notify(
            recipients=[user],
            kind=kwargs.get("kind", "order.paid"),
            title=kwargs.get("title", f"Message {i}"),
            body=kwargs.get("body", ""),
            link=kwargs.get("link", ""),
            email=False,
        )
    return made


# --- services and selectors --------------------------------------------------------------


def test_marking_another_persons_message_read_is_not_found_and_changes_nothing(buyer, stranger):
    [message] = send(buyer)

    with pytest.raises(NotFound):
        services.inbox_mark_read(user=stranger, message_id=message.pk)
    with pytest.raises(NotFound):
        services.inbox_mark_read(user=buyer, message_id=2**70)

    message.refresh_from_db()
    assert message.read_at is None


def test_marking_read_twice_keeps_the_first_time(buyer):
    [message] = send(buyer)

    first = services.inbox_mark_read(user=buyer, message_id=message.pk).read_at
    again = services.inbox_mark_read(user=buyer, message_id=message.pk).read_at

    assert first is not None
    assert again == first


def test_mark_all_read_touches_only_her_own_unread_messages(buyer, stranger):
    send(buyer, 3)
    send(stranger, 2)
    services.inbox_mark_read(user=buyer, message_id=selectors.inbox_for(user=buyer)[0].pk)

    assert services.inbox_mark_all_read(user=buyer) == 2

    assert selectors.inbox_unread_count(user=buyer) == 0
    assert selectors.inbox_unread_count(user=stranger) == 2


def test_the_inbox_is_newest_first_and_the_unread_count_is_one_query(
    buyer, django_assert_num_queries
):
    send(buyer, 3)

    assert [m.title for m in selectors.inbox_for(user=buyer)] == [
        "Message 3",
        "Message 2",
        "Message 1",
    ]
    with django_assert_num_queries(1):
        assert selectors.inbox_unread_count(user=buyer) == 3


# --- API ---------------------------------------------------------------------------------


def test_api_lists_my_messages_newest_first_in_pages(buyer, stranger):
    send(buyer, 25)
    send(stranger, 1, title="Not yours")
    api = client_for(buyer)

    first = api.get("/api/me/inbox?page_size=10").json()
    last = api.get("/api/me/inbox?page_size=10&page=3").json()

    assert (first["count"], first["page"], first["pages"]) == (25, 1, 3)
    assert [m["title"] for m in first["items"]][:2] == ["Message 25", "Message 24"]
    assert len(first["items"]) == 10
    assert [m["title"] for m in last["items"]] == [f"Message {i}" for i in range(5, 0, -1)]
    item = first["items"][0]
    assert set(item) == {
        "id",
        "kind",
        "title",
        "body",
        "link",
        "created_at",
        "read_at",
        "is_read",
        "shop",
        "why",
    }
    assert item["is_read"] is False


def test_api_unread_filter_count_and_marking_read(buyer):
    messages = send(buyer, 3)
    api = client_for(buyer)
    assert api.get("/api/me/inbox/unread-count").json() == {"unread": 3}

    answer = api.post(f"/api/me/inbox/{messages[0].pk}/read")

    assert answer.status_code == 200
    assert answer.json()["is_read"] is True
    assert api.get("/api/me/inbox/unread-count").json() == {"unread": 2}
    unread = api.get("/api/me/inbox?unread=true").json()
    assert [m["title"] for m in unread["items"]] == ["Message 3", "Message 2"]
    assert api.get("/api/me/inbox").json()["count"] == 3

    assert api.post("/api/me/inbox/read-all").json() == {"marked": 2}
    assert api.get("/api/me/inbox/unread-count").json() == {"unread": 0}


def test_api_marking_another_persons_message_read_is_404(buyer, stranger):
    [message] = send(buyer)

    answer = client_for(stranger).post(f"/api/me/inbox/{message.pk}/read")

    assert answer.status_code == 404
    assert answer.json()["code"] == "not_found"
    message.refresh_from_db()
    assert message.read_at is None
    assert client_for(stranger).post("/api/me/inbox/read-all").json() == {"marked": 0}
    assert selectors.inbox_unread_count(user=buyer) == 1


def test_api_needs_a_logged_in_account():
    assert Client().get("/api/me/inbox").status_code == 401
    assert Client().get("/api/me/inbox/unread-count").status_code == 401


def test_api_refuses_a_session_post_without_the_csrf_token(buyer):
    [message] = send(buyer)
    api = Client(enforce_csrf_checks=True)
    api.force_login(buyer)

    assert api.post(f"/api/me/inbox/{message.pk}/read").status_code == 403


# --- pages -------------------------------------------------------------------------------


def test_the_header_badge_shows_my_unread_count_with_one_count_query(buyer, stranger):
    send(buyer, 2)
    send(stranger, 5)
    page_client = client_for(buyer)

    with CaptureQueriesContext(connection) as queries:
        page = page_client.get(reverse("accounts:me"))

    html = page.content.decode()
    assert '<span class="badge badge-count" data-testid="inbox-badge">2<' in html
    inbox_queries = [q["sql"] for q in queries if "messaging_inboxmessage" in q["sql"]]
    assert len(inbox_queries) == 1
    assert "COUNT(" in inbox_queries[0]


def test_no_badge_when_all_is_read_and_no_query_for_visitors(buyer):
    send(buyer)
    services.inbox_mark_all_read(user=buyer)

    assert (
        'data-testid="inbox-badge"'
        not in client_for(buyer).get(reverse("accounts:me")).content.decode()
    )
    with CaptureQueriesContext(connection) as queries:
        Client().get(reverse("accounts:login"))
    assert not [q for q in queries if "messaging_inboxmessage" in q["sql"]]


def test_the_inbox_page_lists_my_messages_with_the_unread_ones_highlighted(buyer, stranger):
    read, _unread = send(buyer, 2)
    services.inbox_mark_read(user=buyer, message_id=read.pk)
    send(stranger, 1, title="Not yours")

    page = client_for(buyer).get(reverse("messaging:inbox"))

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="inbox-message"') == 2
    assert "Not yours" not in html
    assert html.count("is-unread") == 1
    assert html.index("Message 2") < html.index("Message 1")  # newest first
    assert "Mark all read" in html


def test_opening_a_message_marks_it_read_and_goes_to_its_page(buyer):
    [message] = send(buyer, link="/orders/12/")

    answer = client_for(buyer).post(reverse("messaging:open", args=[message.pk]))

    assert answer.status_code == 302
    assert answer["Location"] == "/orders/12/"
    message.refresh_from_db()
    assert message.read_at is not None


def test_opening_a_message_without_a_link_goes_back_to_the_inbox_page(buyer):
    [message] = send(buyer)

    answer = client_for(buyer).post(reverse("messaging:open", args=[message.pk]), {"page": "2"})

    assert answer["Location"] == reverse("messaging:inbox") + "?page=2"


def test_opening_another_persons_message_is_a_404_page(buyer, stranger):
    [message] = send(buyer, link="/orders/12/")

    answer = client_for(stranger).post(reverse("messaging:open", args=[message.pk]))

    assert answer.status_code == 404
    message.refresh_from_db()
    assert message.read_at is None


def test_mark_all_read_button(buyer):
    send(buyer, 3)
    page_client = client_for(buyer)

    answer = page_client.post(reverse("messaging:read_all"), follow=True)

    assert selectors.inbox_unread_count(user=buyer) == 0
    html = answer.content.decode()
    assert "3 messages marked read." in html
    assert "is-unread" not in html
    assert 'data-testid="inbox-badge"' not in html


def test_the_inbox_page_is_paginated(buyer):
    send(buyer, 25)
    page_client = client_for(buyer)

    first = page_client.get(reverse("messaging:inbox")).content.decode()
    second = page_client.get(reverse("messaging:inbox") + "?page=2").content.decode()

    assert first.count('data-testid="inbox-message"') == 20
    assert "?page=2" in first
    assert second.count('data-testid="inbox-message"') == 5
    assert "Message 5<" in second and "Message 6<" not in second


def test_the_inbox_page_needs_login():
    answer = Client().get(reverse("messaging:inbox"))

    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("accounts:login"))


def test_pages_refuse_get_for_actions(buyer):
    [message] = send(buyer)
    page_client = client_for(buyer)

    assert page_client.get(reverse("messaging:read_all")).status_code == 405
    assert page_client.get(reverse("messaging:open", args=[message.pk])).status_code == 405
