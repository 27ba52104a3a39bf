"""Her message preferences: quiet hours and unsubscribes, through the services, the API under
/api/me/inbox and the /inbox/preferences/ page, each person changing her own only; the header's
unread badge polled by htmx; why she got a shop's message."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.api.conftest import client_for
from tests.factories import make_shop
from vshop.errors import NotFound, ValidationFailed
from vshop.fans.services import fan_follow
from vshop.messaging import selectors, services
from vshop.messaging.models import ChannelOptOut, InboxMessage, MessagePreferences

pytestmark = pytest.mark.django_db

PREFS = "/api/me/inbox/preferences"
UNSUBSCRIBES = "/api/me/inbox/unsubscribes"


def put(client: Client, path: str, data: object) -> object:
    return client.put(path, json.dumps(data), content_type="application/json")


def page_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- services ------------------------------------------------------------------------------


def test_quiet_hours_are_saved_and_equal_hours_mean_none(buyer):
    services.preferences_update(user=buyer, quiet_start=23, quiet_end=7)
    assert selectors.quiet_hours_of([buyer.pk]) == {buyer.pk: (23, 7)}

    services.preferences_update(user=buyer, quiet_start=0, quiet_end=0)

    assert selectors.quiet_hours_of([buyer.pk]) == {buyer.pk: (0, 0)}
    assert not selectors.is_quiet(3, (0, 0))
    assert MessagePreferences.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (24, 8, "quiet_start"),
        (22, -1, "quiet_end"),
        (True, 8, "quiet_start"),
        ("22", 8, "quiet_start"),
    ],
)
def test_an_hour_outside_0_to_23_is_refused_and_nothing_is_written(buyer, start, end, field):
    with pytest.raises(ValidationFailed) as refused:
        services.preferences_update(user=buyer, quiet_start=start, quiet_end=end)

    assert refused.value.field == field
    assert not MessagePreferences.objects.exists()


def test_unsubscribing_twice_keeps_one_row_and_an_unknown_channel_is_refused(buyer):
    shop = make_shop()
    first = services.channel_unsubscribe(user=buyer, channel="email", shop=shop)
    again = services.channel_unsubscribe(user=buyer, channel="email", shop=shop)
    everywhere = services.channel_unsubscribe(user=buyer, channel="email")

    assert first.pk == again.pk
    assert everywhere.shop is None
    with pytest.raises(ValidationFailed):
        services.channel_unsubscribe(user=buyer, channel="sms")
    assert ChannelOptOut.objects.count() == 2
    assert selectors.channel_opt_outs(user_ids=[buyer.pk], shop_id=shop.pk) == {buyer.pk: {"email"}}


def test_resubscribing_another_persons_unsubscribe_is_not_found_and_keeps_it(buyer, stranger):
    hers = services.channel_unsubscribe(user=stranger, channel="inbox")

    with pytest.raises(NotFound):
        services.channel_resubscribe(user=buyer, opt_out_id=hers.pk)
    with pytest.raises(NotFound):
        services.channel_resubscribe(user=buyer, opt_out_id=2**70)

    assert ChannelOptOut.objects.filter(pk=hers.pk).exists()
    services.channel_resubscribe(user=stranger, opt_out_id=hers.pk)
    assert not ChannelOptOut.objects.exists()


# --- API -----------------------------------------------------------------------------------


def test_api_reads_the_default_quiet_hours_then_sets_them(buyer, stranger):
    services.preferences_update(user=stranger, quiet_start=1, quiet_end=2)
    api = client_for(buyer)

    assert api.get(PREFS).json() == {"quiet_start": 22, "quiet_end": 8}
    answer = put(api, PREFS, {"quiet_start": 21, "quiet_end": 9})

    assert answer.status_code == 200
    assert answer.json() == {"quiet_start": 21, "quiet_end": 9}
    assert api.get(PREFS).json() == {"quiet_start": 21, "quiet_end": 9}
    assert selectors.quiet_hours_of([stranger.pk]) == {stranger.pk: (1, 2)}  # hers unchanged


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"quiet_start": 24, "quiet_end": 8}, 400),
        ({"quiet_start": 22, "quiet_end": -3}, 400),
        ({"quiet_start": "22", "quiet_end": 8}, 422),
        ({"quiet_start": 22}, 422),
        ({"quiet_start": 22, "quiet_end": 8, "user": 1}, 422),
    ],
)
def test_api_refuses_bad_quiet_hours_and_writes_nothing(buyer, body, status):
    answer = put(client_for(buyer), PREFS, body)

    assert answer.status_code == status
    assert answer.json()["message"]
    assert not MessagePreferences.objects.exists()


def test_api_unsubscribes_lists_and_resubscribes_her_own_only(buyer, stranger):
    shop = make_shop(slug="lily-picks")
    api = client_for(buyer)

    everywhere = api.post(UNSUBSCRIBES, {"channel": "email"})
    one_shop = api.post(UNSUBSCRIBES, {"channel": "webhook", "shop": "lily-picks"})
    theirs = services.channel_unsubscribe(user=stranger, channel="inbox")
    listed = api.get(UNSUBSCRIBES).json()

    assert everywhere.status_code == 201 and one_shop.status_code == 201
    assert everywhere.json()["shop"] is None
    assert one_shop.json()["shop"] == "lily-picks" and one_shop.json()["shop_name"] == shop.name
    assert [(o["channel"], o["shop"]) for o in listed] == [
        ("email", None),
        ("webhook", "lily-picks"),
    ]
    # Another person's unsubscribe: not found, and it stays.
    assert api.delete(f"{UNSUBSCRIBES}/{theirs.pk}").status_code == 404
    assert ChannelOptOut.objects.filter(pk=theirs.pk).exists()
    assert api.delete(f"{UNSUBSCRIBES}/{everywhere.json()['id']}").status_code == 204
    assert [o["channel"] for o in api.get(UNSUBSCRIBES).json()] == ["webhook"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"channel": "sms"}, 400),
        ({"channel": "email", "shop": "no-such-shop"}, 404),
        ({}, 422),
        ({"channel": "email", "user": 2}, 422),
    ],
)
def test_api_refuses_a_bad_unsubscribe_and_writes_nothing(buyer, body, status):
    answer = client_for(buyer).post(UNSUBSCRIBES, body)

    assert answer.status_code == status
    assert not ChannelOptOut.objects.exists()


def test_api_preferences_need_a_login():
    anon = client_for(None)

    assert anon.get(PREFS).status_code == 401
    assert anon.get(UNSUBSCRIBES).status_code == 401
    assert put(anon, PREFS, {"quiet_start": 1, "quiet_end": 2}).status_code == 401


def test_inbox_api_shows_the_shop_and_why_of_a_shops_message(buyer):
    shop = make_shop(slug="lily-picks")
    InboxMessage.objects.create(
        recipient=buyer, kind="campaign", title="Sale", shop=shop, why="You follow Lily"
    )
    InboxMessage.objects.create(recipient=buyer, kind="order.paid", title="Paid")

    items = client_for(buyer).get("/api/me/inbox").json()["items"]

    assert [(m["shop"], m["why"]) for m in items] == [(None, ""), ("lily-picks", "You follow Lily")]


# --- pages ---------------------------------------------------------------------------------


def test_preferences_page_shows_and_saves_quiet_hours(buyer):
    client = page_client(buyer)

    page = client.get(reverse("messaging:preferences"))
    saved = client.post(reverse("messaging:preferences"), {"quiet_start": "23", "quiet_end": "6"})

    assert page.status_code == 200
    html = page.content.decode()
    assert '<option value="22" selected>' in html and '<option value="8" selected>' in html
    assert reverse("fans_mine:following") in html
    assert saved.status_code == 302
    assert selectors.quiet_hours_of([buyer.pk]) == {buyer.pk: (23, 6)}


@pytest.mark.parametrize(("start", "end"), [("24", "8"), ("x", "8"), ("", "8"), ("22", "-1")])
def test_preferences_page_refuses_a_bad_hour_with_400_and_writes_nothing(buyer, start, end):
    answer = page_client(buyer).post(
        reverse("messaging:preferences"), {"quiet_start": start, "quiet_end": end}
    )

    assert answer.status_code == 400
    assert 'data-testid="preferences-error"' in answer.content.decode()
    assert not MessagePreferences.objects.exists()


def test_preferences_page_unsubscribes_per_shop_and_resubscribes(buyer):
    shop = make_shop(slug="lily-picks")
    fan_follow(fan=buyer, shop=shop)
    client = page_client(buyer)
    assert 'value="lily-picks"' in client.get(reverse("messaging:preferences")).content.decode()

    done = client.post(
        reverse("messaging:unsubscribe"), {"channel": "webhook", "shop": "lily-picks"}
    )

    assert done.status_code == 302
    [opt_out] = ChannelOptOut.objects.all()
    assert (opt_out.user_id, opt_out.shop_id, opt_out.channel) == (buyer.pk, shop.pk, "webhook")
    html = client.get(reverse("messaging:preferences")).content.decode()
    assert 'data-testid="opt-out"' in html and "The shop&#x27;s app / WeChat" in html
    back = client.post(reverse("messaging:resubscribe", args=[opt_out.pk]))
    assert back.status_code == 302
    assert not ChannelOptOut.objects.exists()


@pytest.mark.parametrize(
    ("data", "status"),
    [({"channel": "sms", "shop": ""}, 400), ({"channel": "email", "shop": "nope"}, 404)],
)
def test_preferences_page_refuses_a_bad_unsubscribe_and_writes_nothing(buyer, data, status):
    answer = page_client(buyer).post(reverse("messaging:unsubscribe"), data)

    assert answer.status_code == status
    assert not ChannelOptOut.objects.exists()


def test_preferences_page_resubscribing_another_persons_unsubscribe_is_404(buyer, stranger):
    hers = services.channel_unsubscribe(user=stranger, channel="email")

    answer = page_client(buyer).post(reverse("messaging:resubscribe", args=[hers.pk]))

    assert answer.status_code == 404
    assert ChannelOptOut.objects.filter(pk=hers.pk).exists()
    assert stranger.pk  # her page shows it still
    assert (
        'data-testid="opt-out"'
        in page_client(stranger).get(reverse("messaging:preferences")).content.decode()
    )


def test_preferences_pages_need_a_login():
    for name in ("messaging:preferences",):
        answer = Client().get(reverse(name))
        assert answer.status_code == 302 and "/login" in answer["Location"]
    assert Client().post(reverse("messaging:unsubscribe"), {"channel": "email"}).status_code == 302
    assert not ChannelOptOut.objects.exists()


def test_inbox_page_explains_why_with_links_to_mute_and_unsubscribe(buyer):
    shop = make_shop()
    InboxMessage.objects.create(
        recipient=buyer, kind="campaign", title="Sale", shop=shop, why="You follow Lily · VIP"
    )
    InboxMessage.objects.create(recipient=buyer, kind="order.paid", title="Paid")

    html = page_client(buyer).get(reverse("messaging:inbox")).content.decode()

    assert html.count('data-testid="inbox-why"') == 1
    assert "Why did I get this?" in html and "You follow Lily · VIP" in html
    assert reverse("fans_mine:following") in html and reverse("messaging:preferences") in html


# --- the header badge ----------------------------------------------------------------------


def test_the_badge_is_an_htmx_fragment_polled_every_30_seconds(buyer):
    InboxMessage.objects.create(recipient=buyer, kind="order.paid", title="One")
    InboxMessage.objects.create(recipient=buyer, kind="order.paid", title="Two")
    client = page_client(buyer)

    page = client.get(reverse("accounts:me")).content.decode()
    fragment = client.get(reverse("messaging:badge"))

    poll = f'hx-get="{reverse("messaging:badge")}" hx-trigger="every 30s"'
    assert poll in page
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert poll in html
    assert '<span class="badge badge-count" data-testid="inbox-badge">2<' in html
    assert "<body" not in html  # the fragment only
    services.inbox_mark_all_read(user=buyer)
    assert (
        'data-testid="inbox-badge"' not in client.get(reverse("messaging:badge")).content.decode()
    )


def test_visitors_get_no_badge_poll_and_an_empty_answer(buyer):
    page = Client().get(reverse("accounts:login")).content.decode()
    answer = Client().get(reverse("messaging:badge"))

    assert reverse("messaging:badge") not in page
    assert answer.status_code == 204 and answer.content == b""


def test_the_badge_counts_her_own_messages_only(buyer, stranger):
    InboxMessage.objects.create(recipient=stranger, kind="order.paid", title="Theirs")

    html = page_client(buyer).get(reverse("messaging:badge")).content.decode()

    assert 'data-testid="inbox-badge"' not in html
