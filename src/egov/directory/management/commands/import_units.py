"""``egov import-units``: the official administrative units as people's committees (see ``importers``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.core import context
from egov.directory.importers import MODEL_2025, MODELS, ImportUnitsError, import_units


class Command(BaseCommand):
    help = (
        "Nhập đơn vị hành chính chính thức (UBND tỉnh, huyện, xã) / import the official administrative units "
        "as people's committees. Safe to run again: existing units are compared and only changes are written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--model",
            choices=MODELS,
            default=MODEL_2025,
            help="2025: 34 provinces, 3,321 communes (from 01/7/2025, default); legacy: 63 provinces, "
            "696 districts, ~10,035 communes (until 30/6/2025); both",
        )
        parser.add_argument(
            "--province",
            action="append",
            metavar="CODE",
            help="only this province (GSO code, e.g. 01 or 92); repeatable. With --model both, a 2025 code "
            "also selects the legacy provinces merged into it",
        )
        parser.add_argument(
            "--source",
            type=Path,
            metavar="PATH",
            help="read the JSON of vietnamese-provinces-database (a file, or a folder holding post-2025/ and "
            "pre-2025/) instead of the bundled vietnamadminunits data",
        )
        parser.add_argument("--dry-run", action="store_true", help="report what would change, write nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        started = time.monotonic()
        try:
            with context.bind(source="cli"):
                report = import_units(
                    model=opts["model"],
                    provinces=opts["province"],
                    source=opts["source"],
                    dry_run=opts["dry_run"],
                )
        except ImportUnitsError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(f"Dữ liệu không hợp lệ / invalid data: {exc}") from exc
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(f"({time.monotonic() - started:.1f} s)")
