from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from egov import cli
from egov.audit.models import AuditEntry
from egov.directory import selectors
from egov.directory.management.commands import createadmin
from egov.directory.models import Position, Role, User

STRONG = "Quan-Tri-He-Thong-2026!"


def createadmin_cmd(*args: str) -> str:
    out = StringIO()
    call_command("createadmin", *args, stdout=out)
    return out.getvalue()


def test_create_with_options(db):
    out = createadmin_cmd(
        "--username", "admin", "--email", "Admin@Example.gov.vn", "--full-name", "Nguyễn Quản Trị",
        "--password", STRONG, "--no-input",
    )  # fmt: skip
    user = User.objects.get(username="admin")
    assert user.is_superuser and user.is_staff and user.kind == User.Kind.STAFF
    assert (user.full_name, user.email) == ("Nguyễn Quản Trị", "admin@example.gov.vn")
    assert user.check_password(STRONG)
    assert selectors.is_system_admin(user)
    assert not Position.objects.filter(user=user).exists()
    entry = AuditEntry.objects.get(action="directory.user.create")
    assert entry.object_id == str(user.pk) and entry.after["is_superuser"] is True and entry.source == "cli"
    assert "admin" in out


@pytest.mark.parametrize("code", ["000.00.00.H99", "99001"])
def test_agency_by_qcvn102_or_admin_unit_code(tree, code):
    createadmin_cmd("--username", "admin", "--password", STRONG, "--agency", code, "--no-input")
    position = Position.objects.get(user__username="admin")
    assert position.role == Role.SYSTEM_ADMIN
    assert position.agency == (tree.province if code.startswith("000") else tree.commune)


def test_existing_username_refused(db):
    createadmin_cmd("--username", "admin", "--password", STRONG, "--no-input")
    with pytest.raises(CommandError, match="đã tồn tại"):
        createadmin_cmd("--username", "admin", "--password", STRONG + "x", "--no-input")
    assert User.objects.filter(username="admin").count() == 1


@pytest.mark.parametrize("password", ["123", "password", "12345678901", "admin1234"])
def test_weak_password_refused(db, password):
    with pytest.raises(CommandError, match="account not created"):
        createadmin_cmd("--username", "admin", "--password", password, "--no-input")
    assert not User.objects.exists() and not AuditEntry.objects.exists()


def test_unknown_agency_refused_before_anything_is_written(tree):
    users = User.objects.count()
    with pytest.raises(CommandError, match="no current agency"):
        createadmin_cmd(
            "--username", "admin", "--password", STRONG, "--agency", "000.00.00.H01", "--no-input"
        )
    assert User.objects.count() == users


def test_missing_values_without_prompt(db):
    with pytest.raises(CommandError, match="password"):
        createadmin_cmd("--username", "admin", "--no-input")
    with pytest.raises(CommandError, match="username"):
        createadmin_cmd("--password", STRONG, "--no-input")


def test_interactive_prompts(db, monkeypatch):
    answers = iter(["admin", "", "admin@example.gov.vn"])  # username, full name (default), e-mail
    passwords = iter(["short", "different", STRONG, STRONG])  # first pair differs, second pair matches
    monkeypatch.setattr(createadmin.Command, "_can_prompt", lambda self: True)
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(createadmin.getpass, "getpass", lambda prompt="": next(passwords))
    createadmin_cmd()
    user = User.objects.get(username="admin")
    assert user.full_name == createadmin.DEFAULT_FULL_NAME and user.email == "admin@example.gov.vn"
    assert user.check_password(STRONG) and user.is_superuser


def test_egov_cli_exits_non_zero_on_error(db, capsys, monkeypatch):
    monkeypatch.setattr(connections, "close_all", lambda: None)  # keep the test transaction open
    cli.main(["createadmin", "--username", "admin", "--password", STRONG, "--no-input"])
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["createadmin", "--username", "admin", "--password", STRONG, "--no-input"])
    assert exit_info.value.code == 1
    assert "đã tồn tại" in capsys.readouterr().err
