"""``manage.py ledger_check``: print the ledger's problems and exit 1, or one line and exit 0."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from vshop.ledger.checks import ledger_check, ledger_summary


class Command(BaseCommand):
    help = "Check that every ledger transaction balances and every cached balance is right."

    def handle(self, *args: Any, **options: Any) -> None:
        problems = ledger_check()
        for problem in problems:
            self.stdout.write(problem)
        if problems:
            raise CommandError(f"ledger: {len(problems)} problem(s) found", returncode=1)
        self.stdout.write(ledger_summary())
