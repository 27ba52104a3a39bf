"""A real SMTP server for tests (aiosmtpd on 127.0.0.1, a free port) with Huey tasks run at once.

``smtp_server`` points Django's SMTP backend at it, so an email goes the whole way a production
one does: ``transaction.on_commit`` → Huey task → ``smtplib`` → a socket. Any test package may use
it (``tests/conftest.py`` imports it)::

    def test_paid_order_emails_the_buyer(smtp_server, ...):
        ...
        [mail] = smtp_server.wait_for(1)
        assert mail["To"] == "fan@example.com"

Tests that need ``on_commit`` to fire must commit: ``@pytest.mark.django_db(transaction=True)``
or ``django_capture_on_commit_callbacks(execute=True)``.
"""

from __future__ import annotations

import email
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.header import decode_header, make_header
from email.message import Message
from typing import Any

import pytest
from huey.contrib.djhuey import HUEY

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port nobody listens on right now (the OS hands out other ports next)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def huey_immediate() -> Iterator[None]:
    """Run Huey tasks in the calling thread as they are enqueued, with a fresh in-memory queue
    (where retries wait: ``HUEY.scheduled()``)."""
    before, storage = HUEY.immediate, HUEY.storage
    HUEY.immediate = True
    HUEY.storage = HUEY.get_immediate_storage()
    try:
        yield
    finally:
        HUEY.immediate = before
        HUEY.storage = storage


def subject_of(message: Message) -> str:
    """The Subject header decoded (non-ASCII subjects travel RFC 2047-encoded)."""
    return str(make_header(decode_header(message["Subject"])))


def text_of(message: Message) -> str:
    """A plain-text message's body, decoded, with the CRLF line ends SMTP uses turned back into
    newlines and without the line break SMTP adds at its end."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes), "not a single-part message"
    text = payload.decode(message.get_content_charset() or "ascii").replace("\r\n", "\n")
    return text.removesuffix("\n")


@dataclass
class SmtpServer:
    host: str
    port: int
    #: Every message received, parsed, in arrival order.
    messages: list[Message] = field(default_factory=list)
    #: The SMTP envelopes (``mail_from``, ``rcpt_tos``, raw ``content``), same order.
    envelopes: list[Any] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition, repr=False)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._arrived:
            self.envelopes.append(envelope)
            self.messages.append(email.message_from_bytes(envelope.original_content))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, n: int = 1, timeout: float = 5.0) -> list[Message]:
        """The first ``n`` messages, waiting up to ``timeout`` seconds for them to arrive."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"expected {n} email(s) within {timeout}s, got {len(self.messages)}"
                    )
                self._arrived.wait(left)
            return list(self.messages[:n])


@pytest.fixture
def smtp_server(settings) -> Iterator[SmtpServer]:
    """A running SMTP server that Django sends to, with Huey tasks run immediately."""
    # Imported here, so that the rest of the suite runs even where aiosmtpd is not installed.
    from aiosmtpd.controller import Controller

    server = SmtpServer(HOST, free_port())
    controller = Controller(server, hostname=server.host, port=server.port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        with huey_immediate():
            yield server
    finally:
        controller.stop()
