"""``egov import-procedures FILE``: the procedure catalogue from the national record shape (JSON) or a
spreadsheet (XLSX); see ``egov.procedures.importers`` and ``docs/procedures.md``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.core import context
from egov.procedures.importers import FORMATS, ImportProceduresError, import_procedures


class Command(BaseCommand):
    help = (
        "Nhập danh mục thủ tục hành chính / import the procedure catalogue (JSON of the national catalogue, "
        "or XLSX). All or nothing: any bad record is reported with its line and nothing is written. Safe to "
        "run again (created / updated / unchanged by procedure code)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the JSON or XLSX file")
        parser.add_argument(
            "--format", choices=FORMATS, help="json or xlsx (default: from the file name's extension)"
        )
        parser.add_argument(
            "--agency-map",
            type=Path,
            metavar="JSON",
            help='JSON object mapping executing-agency text to agencies, e.g. {"Sở Tư pháp": '
            '["000.00.03.H92"], "Ủy ban nhân dân cấp xã": ["communes-of:000.00.00.H92"]}',
        )
        parser.add_argument("--dry-run", action="store_true", help="check and report, write nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        try:
            with context.bind(source="cli"):
                report = import_procedures(
                    opts["file"], fmt=opts["format"], agency_map=opts["agency_map"], dry_run=opts["dry_run"]
                )
        except (ImportProceduresError, PermissionDenied) as exc:
            raise CommandError(str(exc)) from exc
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(f"({time.monotonic() - started:.1f} s)")
        if not report.ok:
            n = len(report.errors)
            raise CommandError(f"{n} bản ghi lỗi, không nhập gì / {n} bad records, nothing imported")
