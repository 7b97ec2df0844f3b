"""``egov manage export_register``: print a register (sổ đăng ký văn bản đến / đi) to XLSX or PDF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.documents import exports
from egov.documents.models import Register


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"Ngày không hợp lệ / invalid date (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = (
        "In sổ đăng ký văn bản đến/đi (Nghị định 30/2020, Phụ lục IV) ra XLSX hoặc PDF / export a register "
        "for a date range. Example: egov manage export_register --register 3 --from 2026-01-01 "
        "--to 2026-12-31 --format pdf --out so-den-2026.pdf"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--register", type=int, required=True, metavar="ID", help="register id")
        parser.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD", help="first day (inclusive)")
        parser.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="last day (inclusive)")
        parser.add_argument("--format", choices=["xlsx", "pdf"], default="xlsx")
        parser.add_argument(
            "--out", metavar="FILE", help="output file (default: a name built from the register and dates)"
        )
        parser.add_argument(
            "--user",
            metavar="USERNAME",
            help="export with this staff account's permissions (default: the system, everything)",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        from egov.directory.models import User

        register = Register.objects.select_related("agency").filter(pk=opts["register"]).first()
        if register is None:
            raise CommandError(f"Không có sổ / no register with id {opts['register']}")
        date_from = _date(opts["date_from"]) if opts["date_from"] else None
        date_to = _date(opts["date_to"]) if opts["date_to"] else None
        if date_from and date_to and date_from > date_to:
            raise CommandError("--from phải trước --to / --from must not be after --to")
        user = None
        if opts["user"]:
            user = User.objects.filter(username=opts["user"]).first()
            if user is None:
                raise CommandError(f"Không có tài khoản / no user {opts['user']}")
        try:
            data = exports.export(user, register, date_from, date_to, opts["format"])
        except PermissionDenied as exc:
            raise CommandError(f"Không có quyền / permission denied: {exc}") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        out = Path(opts["out"] or exports.filename(register, date_from, date_to, opts["format"]))
        out.write_bytes(data)
        self.stdout.write(
            f"{register.agency.name} — {register.name} "
            f"({exports.period_label(date_from, date_to)}): {out} ({len(data):,} bytes)"
        )
