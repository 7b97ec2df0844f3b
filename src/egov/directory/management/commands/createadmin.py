"""``egov createadmin``: create a system administrator (quản trị hệ thống).

The account is a staff user with ``is_superuser`` and ``is_staff``, created through
``directory.services.create_staff_user`` (audited). With ``--agency`` it also holds a SYSTEM_ADMIN position
at that agency. Missing values are asked for interactively (the password without echo, twice).
"""

from __future__ import annotations

import getpass
import sys
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from egov.core import context
from egov.directory import selectors, services
from egov.directory.models import Agency, Role, User

DEFAULT_FULL_NAME = "Quản trị hệ thống"


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{field}: {' '.join(str(m) for m in msgs)}" for field, msgs in exc.message_dict.items()
        )
    return " ".join(str(m) for m in exc.messages)


class Command(BaseCommand):
    help = "Tạo tài khoản quản trị hệ thống / create a system administrator account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", help="tên đăng nhập / login name")
        parser.add_argument("--email", default=None, help="thư điện tử / e-mail address")
        parser.add_argument("--full-name", dest="full_name", default=None, help="họ và tên / full name")
        parser.add_argument(
            "--password",
            help="mật khẩu / password (prefer the prompt: the command line stays in the shell history)",
        )
        parser.add_argument(
            "--agency",
            metavar="CODE",
            help="also give a SYSTEM_ADMIN position at this agency (QCVN 102 code, e.g. 000.00.00.H92, "
            "or GSO administrative unit code, e.g. 92)",
        )
        parser.add_argument(
            "--no-input",
            "--noinput",
            action="store_false",
            dest="interactive",
            help="never prompt; fail when --username or --password is missing",
        )

    def _can_prompt(self) -> bool:
        return sys.stdin.isatty()

    def _ask(self, prompt: str, *, default: str = "") -> str:
        suffix = f" [{default}]" if default else ""
        value = input(f"{prompt}{suffix}: ").strip()
        return value or default

    def _ask_password(self) -> str:
        for _attempt in range(3):
            first = getpass.getpass("Mật khẩu / password: ")
            second = getpass.getpass("Nhập lại mật khẩu / password (again): ")
            if first and first == second:
                return first
            self.stderr.write("Hai lần nhập không khớp hoặc để trống / the passwords differ or are empty.")
        raise CommandError("Không nhận được mật khẩu / no password given.")

    def _agency(self, code: str) -> Agency:
        code = code.strip()
        matches = list(selectors.agency_list(code=code)[:2])
        if not matches and code.isdigit():
            matches = list(selectors.agency_list(code=code.zfill(2))[:2])
        if not matches:
            raise CommandError(f"Không tìm thấy cơ quan mã “{code}” / no current agency with code {code!r}.")
        if len(matches) > 1:
            raise CommandError(f"Mã “{code}” trùng nhiều cơ quan / code {code!r} matches several agencies.")
        return matches[0]

    def handle(self, *args: Any, **opts: Any) -> None:
        interactive = opts["interactive"] and self._can_prompt()
        username = (opts["username"] or "").strip()
        if not username and interactive:
            username = self._ask("Tên đăng nhập / username")
        if not username:
            raise CommandError("Cần tên đăng nhập (--username) / a username is required.")
        if User.objects.filter(username=username).exists():
            raise CommandError(
                f"Tên đăng nhập “{username}” đã tồn tại / username {username!r} already exists."
            )
        agency = self._agency(opts["agency"]) if opts["agency"] else None
        full_name = opts["full_name"]
        if full_name is None:
            full_name = self._ask("Họ và tên / full name", default=DEFAULT_FULL_NAME) if interactive else ""
        email = opts["email"]
        if email is None:
            email = self._ask("Thư điện tử / e-mail (có thể bỏ trống / optional)") if interactive else ""
        password = opts["password"]
        if not password:
            if not interactive:
                raise CommandError("Cần mật khẩu (--password) / a password is required.")
            password = self._ask_password()
        try:
            with context.bind(source="cli"), transaction.atomic():
                user = services.create_staff_user(
                    actor=None,
                    username=username,
                    full_name=full_name or DEFAULT_FULL_NAME,
                    email=email or "",
                    password=password,
                    is_superuser=True,
                )
                if agency is not None:
                    services.assign_position(
                        actor=None,
                        user=user,
                        agency=agency,
                        role=Role.SYSTEM_ADMIN,
                        title="Quản trị hệ thống",
                    )
        except ValidationError as exc:
            raise CommandError(f"Không tạo được tài khoản / account not created: {_messages(exc)}") from exc
        where = f" tại / at {agency.name}" if agency is not None else ""
        self.stdout.write(f"Đã tạo quản trị hệ thống / system administrator created: {user.username}{where}")
