"""Run an action in many threads at once, each with its own database connection (the
PostgreSQL concurrency tests); what each got back is its result: "ok", a domain error's code,
or "error: ..." for anything else (a failure of the test)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.db import connections

from vshop.errors import DomainError


def race(n: int, action: Callable[[int], object]) -> list[str]:
    barrier = threading.Barrier(n)
    results: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            action(i)
            outcome = "ok"
        except DomainError as exc:
            outcome = exc.code
        except Exception as exc:
            outcome = f"error: {exc!r}"
        finally:
            connections.close_all()  # each thread had its own connection
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def wait_for_other_sessions_to_end(seconds: float = 10) -> None:
    """On PostgreSQL, wait until no other session uses the test database: a killed process's
    server process ends only once PostgreSQL notices its closed socket, and until then it holds
    the database (dropping it at the end of the run would warn)."""
    import time

    from django.db import connection

    if connection.vendor != "postgresql":
        return
    give_up = time.monotonic() + seconds
    while time.monotonic() < give_up:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0] == 0:
                return
        time.sleep(0.05)
