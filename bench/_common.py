"""What the benchmarks share. Each benchmark still runs alone (``python bench/<name>.py``): the
script's folder is on ``sys.path``, so ``import _common`` finds this file."""

from __future__ import annotations

import os

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
