"""The ``vshop`` command: serve the site and the worker, load the demo, create operators.

vshop serve            web (gunicorn) + Huey worker; migrates, loads the demo on first run
vshop worker           the Huey worker alone
vshop demo [--reset]   load the demo data (or wipe and load it again)
vshop createoperator   an operator account for the operator console (/operator/)
vshop ledger-check     prove the ledger balances (exit code 1 and each problem if not)
vshop manage ARGS...   any Django management command
"""

from __future__ import annotations

import argparse
import getpass
import os
import signal
import subprocess
import sys
import time


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vshop.settings")
    import django

    django.setup()


def _manage(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def prepare(*, load_demo: bool = True) -> None:
    """Migrate, create the cache table, collect static files when needed, demo on first run."""
    from django.conf import settings

    _manage("migrate", "--no-input", "-v", "0")
    _manage("createcachetable")
    if not settings.DEBUG:
        _manage("collectstatic", "--no-input", "-v", "0")
    if load_demo and os.environ.get("VSHOP_NO_DEMO") != "1":
        from vshop.demo import demo_is_loaded, demo_load, print_demo_logins

        if not demo_is_loaded():
            print("First run: loading the demo data (about 10 seconds)…", flush=True)
            demo_load()
        print_demo_logins()


def cmd_serve(args: argparse.Namespace) -> int:
    _django()
    prepare(load_demo=not args.no_demo)
    procs: list[subprocess.Popen[bytes]] = []
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="vshop.settings")
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "vshop.wsgi:application",
        "--bind",
        f"{args.host}:{args.port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--access-logfile",
        "-" if args.access_log else "/dev/null",
        "--graceful-timeout",
        "5",
        "--config",
        "python:vshop.gunicorn_conf",
    ]
    procs.append(subprocess.Popen(web, env=env))
    if not args.no_worker:
        procs.append(subprocess.Popen([sys.executable, "-m", "vshop.cli", "worker"], env=env))
    print(f"VShop is running on http://{args.host}:{args.port}/  (Ctrl-C stops it)", flush=True)

    def stop(*_: object) -> None:
        for p in procs:
            if p.poll() is None:
                p.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
    finally:
        stop()
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
    return max((p.returncode or 0) for p in procs)


def cmd_worker(args: argparse.Namespace) -> int:
    _django()
    _manage("run_huey")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _django()
    prepare(load_demo=False)
    from vshop.demo import demo_load, print_demo_logins

    demo_load(reset=args.reset)
    print_demo_logins()
    return 0


def cmd_createoperator(args: argparse.Namespace) -> int:
    _django()
    from vshop.accounts.services import operator_create
    from vshop.errors import DomainError

    identifier = args.identifier or input("Email or mobile number: ").strip()
    password = args.password or os.environ.get("VSHOP_OPERATOR_PASSWORD") or getpass.getpass()
    try:
        user = operator_create(
            identifier=identifier, password=password, display_name=args.name or ""
        )
    except DomainError as exc:
        print(f"Could not create the operator: {exc.message}", file=sys.stderr)
        return 2
    print(f"Operator {user.get_username()} created. The operator console is at /operator/.")
    return 0


def cmd_ledger_check(args: argparse.Namespace) -> int:
    _django()
    from django.core.management.base import CommandError

    try:
        _manage("ledger_check")
    except CommandError as exc:
        print(exc, file=sys.stderr)
        return exc.returncode
    return 0


def cmd_manage(args: argparse.Namespace) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vshop.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["vshop manage", *args.args])
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="vshop", description="VShop: micro-shops for people with fans."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the site and the worker")
    serve.add_argument("--host", default=os.environ.get("VSHOP_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("VSHOP_PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))
    serve.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "4")))
    serve.add_argument("--no-worker", action="store_true", help="do not start the Huey worker")
    serve.add_argument("--no-demo", action="store_true", help="do not load the demo data")
    serve.add_argument("--access-log", action="store_true")
    serve.set_defaults(func=cmd_serve)

    sub.add_parser("worker", help="run the Huey worker").set_defaults(func=cmd_worker)

    demo = sub.add_parser("demo", help="load the demo data")
    demo.add_argument("--reset", action="store_true", help="delete the demo data and load it again")
    demo.set_defaults(func=cmd_demo)

    op = sub.add_parser("createoperator", help="create an operator account")
    op.add_argument("--identifier", help="email or mobile number")
    op.add_argument("--password", help="or set VSHOP_OPERATOR_PASSWORD, or type it when asked")
    op.add_argument("--name", help="display name")
    op.set_defaults(func=cmd_createoperator)

    sub.add_parser("ledger-check", help="check that the ledger balances").set_defaults(
        func=cmd_ledger_check
    )

    manage = sub.add_parser("manage", help="run a Django management command")
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=cmd_manage)

    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
