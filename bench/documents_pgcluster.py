"""Shared by ``bench/documents_*.py``: a PostgreSQL database of its own for one benchmark run.

Either on a server the caller names (``--database-url postgres://user@host:port/anydb``: a new database
``egov_bench_<name>_<pid>`` is created there and dropped afterwards unless ``--keep``), or on a throwaway
cluster made with ``initdb`` in a temporary directory from ``/usr/lib/postgresql/<version>/bin`` — run as
the ``postgres`` user through ``runuser`` when we are root, as ``.ci/run`` does — and removed at the end.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

# Settings of the throwaway cluster: what one would give PostgreSQL on the project's standard machine
# (2 cores, 24 GiB, SSD). Printed by the benchmarks with their figures.
TUNED = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "8GB",
    "random_page_cost": "1.1",
    "max_connections": "100",
}


def pg_bin() -> Path:
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not versions:
        raise SystemExit(
            "PostgreSQL server binaries not found under /usr/lib/postgresql (apt install postgresql)"
        )
    return Path(versions[-1])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def throwaway_cluster(settings: dict[str, str]) -> Iterator[str]:
    """Start a private cluster; yields the URL of its ``postgres`` database (superuser ``egov``)."""
    binaries = pg_bin()
    root = Path(tempfile.mkdtemp(prefix="egov-bench-pg-"))
    run_as: list[str] = []
    if os.getuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "log"
    port = _free_port()
    subprocess.run(
        [
            *run_as,
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "egov",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = [f"-p {port}", f"-k {root}", "-c listen_addresses=127.0.0.1"]
    options += [f"-c {key}={value}" for key, value in settings.items()]
    subprocess.run(
        [
            *run_as,
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(log),
            "-w",
            "-o",
            " ".join(options),
            "start",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgres://egov@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            [*run_as, str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(root, ignore_errors=True)


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextlib.contextmanager
def bench_database(
    database_url: str | None,
    label: str,
    *,
    keep: bool = False,
    settings: dict[str, str] | None = None,
    reuse: str | None = None,
) -> Iterator[str]:
    """A fresh database for the benchmark; yields its URL. With ``reuse`` (a database name on
    ``database_url`` kept by an earlier run with ``keep``), that database as it is."""
    import signal

    import psycopg

    # SIGTERM (timeout, kill) unwinds like an exception, so that the cluster is stopped and removed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if reuse:
        if not database_url:
            raise SystemExit("--reuse needs --database-url (the server that holds the kept database)")
        yield with_database(database_url, reuse)
        return
    with contextlib.ExitStack() as stack:
        server = database_url or stack.enter_context(throwaway_cluster(settings or TUNED))
        name = f"egov_bench_{label}_{os.getpid()}"
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        try:
            yield with_database(server, name)
        finally:
            if not keep or database_url is None:
                from django.db import connections

                connections.close_all()
                time.sleep(0.2)
                with psycopg.connect(server, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            elif keep:
                print(f"kept database: {with_database(server, name)}")


def setup_django(url: str) -> None:
    """Point egov at ``url`` and start Django (settings read the environment once)."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "egov.settings")
    if "EGOV_VAR_DIR" not in os.environ:  # child processes inherit the parent's
        import atexit

        var_dir = tempfile.mkdtemp(prefix="egov-bench-var-")
        os.environ["EGOV_VAR_DIR"] = var_dir
        atexit.register(shutil.rmtree, var_dir, ignore_errors=True)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
    import django

    django.setup()


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of ``values``."""
    import math

    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[max(1, math.ceil(p / 100 * len(ordered))) - 1]
