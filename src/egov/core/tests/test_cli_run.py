"""The README's one-machine path, as an operator runs it (``make run``): ``egov migrate``, ``egov demo``,
``egov run`` — the web server and a worker as children of one process — on a free local port with a fresh
var directory, and a fresh database of the kind the suite runs on: the embedded SQLite database of the var
directory when the suite runs on SQLite; when it runs on PostgreSQL (``DATABASE_URL``, the second CI pass),
a new database on that server (``egov_cli_run_<random>``), created for the test and dropped after it, so the
demo is walked on PostgreSQL too and the two CI passes do not repeat the same work.

The test waits for ``/healthz`` (database and a worker heartbeat), reads the demo data through HTTP (a
procedure page of the portal, the one-stop queue of the demo officer after logging in with the printed demo
password), then stops ``egov run`` with SIGTERM, as Ctrl+C would, and checks that it and its children are
gone. Whatever happens, the whole process group is killed at the end. No network beyond 127.0.0.1."""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from egov.directory.demo_data import DEMO_PASSWORD
from egov.dossiers.models import Dossier
from egov.procedures.demo import SPECS

pytestmark = pytest.mark.slow

#: ``egov demo`` takes a few minutes on a loaded two-core machine.
DEMO_TIMEOUT = 1500
START_TIMEOUT = 240
STOP_TIMEOUT = 60


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _is_postgres(url: str) -> bool:
    return urllib.parse.urlsplit(url).scheme in ("postgres", "postgresql", "pgsql")


@pytest.fixture
def database_url() -> Iterator[str | None]:
    """``None`` (the var directory's SQLite database) unless the suite runs on PostgreSQL; then the URL of a
    fresh database on the suite's server, with the suite's credentials, dropped at the end whatever
    happens (``WITH (FORCE)``: a straggler's connection does not keep it)."""
    suite = os.environ.get("DATABASE_URL", "")
    if not _is_postgres(suite):
        yield None
        return
    import psycopg

    name = f"egov_cli_run_{uuid.uuid4().hex[:12]}"
    url = urllib.parse.urlunsplit(urllib.parse.urlsplit(suite)._replace(path=f"/{name}"))

    def admin() -> Any:
        # The suite's database itself may not exist (pytest-django only creates test_<name>): then the
        # server's maintenance database.
        try:
            return psycopg.connect(suite, autocommit=True)
        except psycopg.OperationalError:
            maintenance = urllib.parse.urlsplit(suite)._replace(path="/postgres")
            return psycopg.connect(urllib.parse.urlunsplit(maintenance), autocommit=True)

    with admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url
    finally:
        with admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _env(var_dir: Path, database_url: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    if database_url is not None:
        env["DATABASE_URL"] = database_url
    env.update(
        {
            "EGOV_VAR_DIR": str(var_dir),
            "EGOV_WEB_WORKERS": "1",
            "EGOV_WEB_THREADS": "4",
            "EGOV_DEBUG": "0",
            "EGOV_PRODUCTION": "0",
        }
    )
    return env


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _egov(*args: str, env: dict[str, str], log: Path, timeout: float) -> None:
    with log.open("ab") as out:
        done = subprocess.run(
            [sys.executable, "-m", "egov", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            timeout=timeout,
            check=False,
        )
    assert done.returncode == 0, f"egov {' '.join(args)} failed:\n{_tail(log)}"


class Browser:
    """A tiny HTTP client with cookies, never through a proxy."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, timeout: float = 30) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=timeout) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def post(self, path: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1 only
            self.base + path, data=body, headers={"Referer": self.base + path}
        )
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode("utf-8", "replace")

    def login(self, username: str, password: str) -> str:
        status, page = self.get("/login/")
        assert status == 200
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the login page"
        status, page = self.post(
            "/login/", {"csrfmiddlewaretoken": token.group(1), "username": username, "password": password}
        )
        assert status == 200, status  # redirected to the home page
        return page


def _health(browser: Browser) -> dict[str, Any] | None:
    try:
        status, body = browser.get("/healthz", timeout=5)
    except OSError:
        return None
    return json.loads(body) if status == 200 else None


def _stop(proc: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM (what Ctrl+C does) and wait; ``None`` when it had to be killed."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        return None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - a recycled id of another user
        return False
    return True


def _dossiers_in(database_url: str | None, var: Path) -> int:
    """Dossiers stored by the demo in the test's own database (not the suite's)."""
    table = Dossier._meta.db_table
    if database_url is None:
        with contextlib.closing(sqlite3.connect(var / "egov.sqlite3")) as db:
            return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608
    import psycopg

    with psycopg.connect(database_url) as conn:
        row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()  # noqa: S608
        return int(row[0]) if row else 0


def test_egov_run_serves_the_demo(tmp_path: Path, database_url: str | None) -> None:
    var = tmp_path / "var"
    log = tmp_path / "egov.log"
    env = _env(var, database_url)
    _egov("migrate", "--noinput", env=env, log=log, timeout=DEMO_TIMEOUT)
    _egov("demo", env=env, log=log, timeout=DEMO_TIMEOUT)
    assert _dossiers_in(database_url, var) > 0, "the demo stored no dossier in the test's database"

    port = _free_port()
    browser = Browser(f"http://127.0.0.1:{port}")
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "egov", "run", "--bind", f"127.0.0.1:{port}"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: the web server and worker die with it
        )
    pgid = proc.pid
    code: int | None = None
    try:
        deadline = time.monotonic() + START_TIMEOUT
        health = None
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"egov run exited with {proc.returncode}:\n{_tail(log)}"
            health = _health(browser)
            if health and health.get("workers_seen"):
                break
            time.sleep(0.5)
        assert health, f"/healthz never answered 200:\n{_tail(log)}"
        assert health["status"] == "ok" and health["database"] == "ok"
        assert health["workers_seen"], f"the worker never sent a heartbeat:\n{_tail(log)}"

        # The portal shows the demo catalogue.
        spec = SPECS[0]
        status, page = browser.get(f"/dich-vu-cong/thu-tuc/{spec.code}/")
        assert status == 200 and spec.name in page

        # The demo one-stop officer logs in with the printed password and sees the demo dossiers.
        home = browser.login("motcua.ttpvhcc", DEMO_PASSWORD)
        assert 'href="/mot-cua/"' in home
        status, queue = browser.get("/mot-cua/")
        assert status == 200
        assert re.search(r'href="/mot-cua/ho-so/\d+/"', queue), "no dossier in the demo officer's queue"
    finally:
        code = _stop(proc)
        survivors = _group_alive(pgid)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)  # stragglers (gunicorn workers, the task worker), if any
    assert code == 0, f"egov run did not stop cleanly (exit {code}):\n{_tail(log)}"
    assert not survivors, "children of egov run outlived it"
