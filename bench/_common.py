"""What the benchmarks share. Each benchmark still runs alone (``python bench/<name>.py``): the
script's folder is on ``sys.path``, so ``import _common`` finds this file."""

from __future__ import annotations

import os
import socket

# A one-box install talks to PostgreSQL over its Unix socket (Debian's default); TCP otherwise.
SOCKET_DIR = "/var/run/postgresql"
DEFAULT_DB = (
    "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/vshop_bench"
    if os.path.exists(f"{SOCKET_DIR}/.s.PGSQL.5432")
    else "postgres://postgres@127.0.0.1:5432/vshop_bench"
)


def ensure_database(url: str) -> None:
    """Create the benchmark's PostgreSQL database if it does not exist yet."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def local_redis_url(*, database: int) -> str:
    """REDIS_URL when set; else a local server if one answers, as ``database`` (not the app's
    database 0, so a benchmark never mixes its keys with a running install's); else ""."""
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            if s.recv(16).startswith(b"+PONG"):
                return f"redis://127.0.0.1:6379/{database}"
    except OSError:
        pass
    return ""
