"""The operator console shows inbox messages read-only; the email settings come from the
environment, with a console switch for laptops without a mail server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.urls import reverse

from vshop.messaging.services import notify


@pytest.mark.django_db
def test_operators_see_inbox_messages_but_cannot_add_change_or_delete_them(client, operator, buyer):
    [message] = notify(
        recipients=[buyer], kind="order.paid", title="Order 12 is paid", body="", email=False
    )
    client.force_login(operator)
    changelist = reverse("admin:messaging_inboxmessage_changelist")

    page = client.get(changelist)
    assert page.status_code == 200
    assert "Order 12 is paid" in page.content.decode()
    assert client.get(changelist, {"q": "buyer@"}).status_code == 200
    assert client.get(changelist, {"read_at__isempty": "1"}).status_code == 200
    row = client.get(reverse("admin:messaging_inboxmessage_change", args=[message.pk]))
    assert row.status_code == 200
    assert 'name="title"' not in row.content.decode()  # shown, not editable
    assert client.get(reverse("admin:messaging_inboxmessage_add")).status_code == 403
    delete = reverse("admin:messaging_inboxmessage_delete", args=[message.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403


def _email_settings(tmp_path, **env: str) -> list[str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EMAIL_")
        and k not in {"VSHOP_EMAIL", "DEFAULT_FROM_EMAIL", "VSHOP_SITE_URL", "SECRET_KEY", "DEBUG"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import vshop.settings as s; print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, "
            "s.EMAIL_TIMEOUT, s.VSHOP_SITE_URL, s.DEFAULT_FROM_EMAIL, sep='|')",
        ],
        env={**clean, "VSHOP_DATA_DIR": str(tmp_path), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().split("|")


def test_email_defaults_to_smtp_on_localhost_1025(tmp_path):
    assert _email_settings(tmp_path) == [
        "django.core.mail.backends.smtp.EmailBackend",
        "localhost",
        "1025",
        "10",
        "http://127.0.0.1:8000",
        "VShop <noreply@vshop.example>",
    ]


def test_vshop_email_console_prints_emails_instead_of_sending_them(tmp_path):
    backend, *_ = _email_settings(tmp_path, VSHOP_EMAIL="console")

    assert backend == "django.core.mail.backends.console.EmailBackend"


def test_email_server_and_site_url_come_from_the_environment(tmp_path):
    values = _email_settings(
        tmp_path,
        EMAIL_HOST="smtp.example.com",
        EMAIL_PORT="587",
        VSHOP_SITE_URL="https://vshop.example/",
        DEFAULT_FROM_EMAIL="Shop <shop@example.com>",
    )

    assert values[1:3] == ["smtp.example.com", "587"]
    assert values[4:] == ["https://vshop.example", "Shop <shop@example.com>"]
