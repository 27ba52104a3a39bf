"""Scaffolding shared by the payment gateway tests: RSA keys and their PEM text, SHA256withRSA
signatures, and a local provider server that records each request and answers as told.

What each provider's wire format adds (WeChat Pay's signed answer headers, Alipay's gateway path,
Stripe's request id) lives in a small ``LocalProvider`` subclass in that provider's test module."""

from __future__ import annotations

import base64
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# -- keys ----------------------------------------------------------------------------------


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(
    key: rsa.RSAPrivateKey,
    format: serialization.PrivateFormat = serialization.PrivateFormat.PKCS8,
) -> str:
    """``BEGIN PRIVATE KEY``; ``PrivateFormat.TraditionalOpenSSL`` gives ``BEGIN RSA PRIVATE KEY``."""
    return key.private_bytes(
        serialization.Encoding.PEM, format, serialization.NoEncryption()
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def rsa_sign(key: rsa.RSAPrivateKey, message: str) -> str:
    """SHA256withRSA (PKCS#1 v1.5), base64: WeChat Pay's signature and Alipay's RSA2."""
    return base64.b64encode(
        key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    ).decode()


def rsa_valid(key: rsa.RSAPrivateKey, message: str, signature: str) -> bool:
    """Whether ``signature`` is ``rsa_sign(key, message)``'s, checked with the public half."""
    try:
        key.public_key().verify(
            base64.b64decode(signature), message.encode(), padding.PKCS1v15(), hashes.SHA256()
        )
    except Exception:
        return False
    return True


# -- a local provider ----------------------------------------------------------------------


@dataclass
class Seen:
    """One request the local provider received."""

    method: str
    target: str  # the request target as sent: path and query
    headers: dict[str, str]
    body: bytes

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @cached_property
    def query(self) -> dict[str, str]:
        return dict(parse_qsl(urlsplit(self.target).query))

    @cached_property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode()))

    def json(self) -> Any:
        return json.loads(self.body)


Responder = Callable[[Seen], tuple[int, Any]]


class LocalProvider(ThreadingHTTPServer):
    """A provider's API on 127.0.0.1: records every request in ``seen`` and answers with what
    ``respond(seen)`` returns, ``(status, data)``, which ``answer`` puts on the wire (as JSON
    unless a subclass says otherwise)."""

    methods: tuple[str, ...] = ("GET", "POST")
    base_path = ""  # what ``url`` adds after the port
    unset: tuple[int, Any] = (500, {})  # the answer until a test sets ``respond``

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self.respond: Responder = lambda seen: self.unset

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{self.base_path}"

    def answer(self, status: int, data: Any) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body of the answer."""
        return status, {"Content-Type": "application/json"}, json.dumps(data).encode()


class _Handler(BaseHTTPRequestHandler):
    server: LocalProvider

    def _answer(self) -> None:
        if self.command not in self.server.methods:
            self.send_error(501, f"Unsupported method ({self.command!r})")
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        seen = Seen(self.command, self.path, dict(self.headers.items()), body)
        self.server.seen.append(seen)
        status, headers, payload = self.server.answer(*self.server.respond(seen))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


Server = TypeVar("Server", bound=LocalProvider)


@contextmanager
def serving(server: Server) -> Iterator[Server]:
    """Serves ``server`` from a thread for the duration of the block, then closes it."""
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def unreachable_url(path: str = "") -> str:
    """A URL on 127.0.0.1 at a port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
