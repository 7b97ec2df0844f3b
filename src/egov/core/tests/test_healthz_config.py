from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.utils import timezone

import egov
from egov.core.config import ConfigError, env_bool, env_int
from egov.core.models import WorkerHeartbeat

REPO = Path(__file__).resolve().parents[4]


@pytest.mark.django_db
def test_healthz_ok_reports_worker_age(client):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["version"] == egov.__version__
    assert body["worker_heartbeat_age"] is None
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        worker_id="w",
        hostname="h",
        pid=1,
        queues="default",
        started_at=now,
        last_seen=now - timezone.timedelta(seconds=12),
    )
    body = client.get("/healthz").json()
    assert 11 <= body["worker_heartbeat_age"] < 60


def test_healthz_503_when_database_unreachable(tmp_path):
    """A real unreachable database (nothing listens on the port): the endpoint answers 503, not 500."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status_code': r.status_code, 'body': r.json()}))"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "DJANGO_SETTINGS_MODULE": "egov.settings",
        "EGOV_VAR_DIR": str(tmp_path),
        "EGOV_ALLOWED_HOSTS": "testserver",
    }
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status_code"] == 503
    assert result["body"]["status"] == "error" and result["body"]["database"] == "unreachable"


def test_env_parsers(monkeypatch):
    monkeypatch.setenv("X_BOOL", "yes")
    assert env_bool("X_BOOL", False) is True
    monkeypatch.setenv("X_BOOL", "maybe")
    with pytest.raises(ConfigError, match="X_BOOL"):
        env_bool("X_BOOL", False)
    monkeypatch.setenv("X_INT", "ten")
    with pytest.raises(ConfigError, match="X_INT"):
        env_int("X_INT", 1)


def test_every_environment_variable_is_documented():
    doc = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    used: set[str] = set()
    for path in (REPO / "src" / "egov").rglob("*.py"):
        if "tests" in path.parts:
            continue
        used |= set(
            re.findall(r"env(?:_bool|_int|_list)?\(\s*\"([A-Z0-9_]+)\"", path.read_text(encoding="utf-8"))
        )
    assert used, "no settings found: the pattern is stale"
    missing = sorted(name for name in used if f"`{name}`" not in doc)
    assert not missing, f"undocumented in docs/configuration.md: {missing}"


def test_production_mode_refuses_unsafe_settings(settings):
    settings.PRODUCTION = True
    settings.DEBUG = True
    settings.SECRET_KEY = "short"
    settings.ALLOWED_HOSTS = ["*"]
    settings.SESSION_COOKIE_SECURE = False
    ids = {m.id for m in run_checks(include_deployment_checks=False) if m.id.startswith("egov.")}
    assert {"egov.E001", "egov.E002", "egov.E003", "egov.E005"} <= ids


def test_production_process_refuses_to_start(tmp_path):
    env = {
        **os.environ,
        "EGOV_PRODUCTION": "1",
        "EGOV_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    env.pop("SECRET_KEY", None)
    out = subprocess.run(
        [sys.executable, "-m", "egov", "check"], env=env, capture_output=True, text=True, timeout=120
    )
    assert out.returncode != 0
    assert "SECRET_KEY" in out.stderr and "DATABASE_URL" in out.stderr and "EGOV_HTTPS" not in out.stderr


def test_cli_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "egov", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for command in ("run", "serve", "worker", "migrate", "demo", "createadmin", "import-units", "audit"):
        assert re.search(rf"^\s+{re.escape(command)}\s", out.stdout, re.M), command
