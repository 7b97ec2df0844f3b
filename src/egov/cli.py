"""The ``egov`` command: one entry point for operators, wrapping Django's management commands."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence

COMMANDS: list[tuple[str, str]] = [
    ("run", "start the web server and a background worker on this machine (for one machine / trying out)"),
    ("serve", "start the production web server (gunicorn); run workers separately with 'egov worker'"),
    ("worker", "run a background worker (tasks and periodic jobs); start as many as you need"),
    ("migrate", "create or upgrade the database tables"),
    ("demo", "load the demo province, its agencies, staff and a citizen (safe to run again)"),
    ("createadmin", "create a system administrator account"),
    ("import-units", "import the official administrative units (63-province and 34-province models)"),
    ("import-procedures", "import the procedure catalogue (national JSON records or XLSX)"),
    ("notify", "notifications: 'egov notify sweep' re-queues due messages; 'smpp-listen' takes receipts"),
    ("audit", "audit trail tools: 'egov audit verify' checks that no row was edited, inserted or deleted"),
    ("check", "check the configuration (use with EGOV_PRODUCTION=1 before going live)"),
    ("manage", "run any Django management command (advanced)"),
]

# egov sub-command -> Django management command
MANAGEMENT = {
    "worker": "worker",
    "migrate": "migrate",
    "demo": "demo",
    "createadmin": "createadmin",
    "import-units": "import_units",
    "import-procedures": "import_procedures",
    "notify": "notify",
    "audit": "audit",
    "check": "check",
}


def _django_manage(argv: Sequence[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["egov", *argv])


def _help() -> str:
    width = max(len(name) for name, _ in COMMANDS)
    lines = [
        "usage: egov COMMAND [options]",
        "",
        "egov — nền tảng chính quyền điện tử / e-government platform",
        "",
        "commands:",
    ]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in COMMANDS]
    lines += [
        "",
        "'egov COMMAND --help' explains the options of a command.",
        "Settings come from environment variables: see docs/configuration.md.",
    ]
    return "\n".join(lines)


def _serve(argv: Sequence[str]) -> int:
    from egov.core.config import env, env_int

    parser = argparse.ArgumentParser(prog="egov serve", description="production web server (gunicorn)")
    parser.add_argument("--bind", default=env("EGOV_BIND", "127.0.0.1:8000"))
    parser.add_argument("--workers", type=int, default=env_int("EGOV_WEB_WORKERS", 2))
    parser.add_argument("--threads", type=int, default=env_int("EGOV_WEB_THREADS", 4))
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("check", deploy=False, fail_level="ERROR")
    call_command("collectstatic", interactive=False, verbosity=0)
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "egov.wsgi:application",
        "--bind",
        args.bind,
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--access-logfile",
        "-",
        "--forwarded-allow-ips",
        env("EGOV_FORWARDED_ALLOW_IPS", "127.0.0.1"),
    ]
    os.execv(sys.executable, cmd)  # noqa: S606 - replaces this process: signals go straight to gunicorn
    return 0  # pragma: no cover


def _run(argv: Sequence[str]) -> int:
    """Web server plus one worker, both children of this process; Ctrl+C stops both."""
    parser = argparse.ArgumentParser(prog="egov run", description="web server and worker on one machine")
    parser.add_argument("--bind", default=os.environ.get("EGOV_BIND", "127.0.0.1:8000"))
    args = parser.parse_args(argv)
    egov = [sys.executable, "-m", "egov"]
    worker = subprocess.Popen([*egov, "worker"])
    web = subprocess.Popen([*egov, "serve", "--bind", args.bind])
    print(
        f"egov: web http://{args.bind}/ (worker pid {worker.pid}, web pid {web.pid}); Ctrl+C to stop",
        flush=True,
    )

    def stop(signum: int, frame: object) -> None:
        for proc in (web, worker):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    code = 0
    try:
        while True:
            for proc in (web, worker):
                rc = proc.poll()
                if rc is not None:
                    stop(signal.SIGTERM, None)
                    code = code or rc
            if web.poll() is not None and worker.poll() is not None:
                return code
            with contextlib.suppress(subprocess.TimeoutExpired):
                web.wait(timeout=1)
    finally:
        stop(signal.SIGTERM, None)
        for proc in (web, worker):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_help())
        return 0
    command, rest = args[0], args[1:]
    if command == "--version":
        import egov

        print(f"egov {egov.__version__}")
        return 0
    if command == "run":
        return _run(rest)
    if command == "serve":
        return _serve(rest)
    if command == "manage":
        _django_manage(rest)
        return 0
    if command in MANAGEMENT:
        _django_manage([MANAGEMENT[command], *rest])
        return 0
    # Commands added by later apps (e.g. 'egov exchange inspect') map to management commands of that name.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    import django
    from django.core.management import get_commands

    django.setup()
    name = command.replace("-", "_")
    if name in get_commands():
        _django_manage([name, *rest])
        return 0
    print(f"egov: unknown command {command!r}\n\n{_help()}", file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
