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
