"""``egov manage reporting_recompute --year 2026``: rebuild a year of platform facts (chỉ tiêu tính từ dữ liệu
hệ thống) from the transaction tables, set-based and idempotent, to repair drift."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from egov.reporting import facts, services


class Command(BaseCommand):
    help = (
        "Tính lại số liệu tổng hợp theo ngày của một năm từ dữ liệu giao dịch / rebuild a year of reporting "
        "facts. Example: egov manage reporting_recompute --year 2026"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--year", type=int, default=None, help="calendar year (default: this year)")
        parser.add_argument(
            "--metric",
            action="append",
            dest="metrics",
            choices=sorted(facts.METRICS),
            help="only these metrics",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = options["year"] or timezone.localdate().year
        started = time.monotonic()
        try:
            counts = services.recompute_facts(actor=None, year=year, metrics=options["metrics"])
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        for metric, rows in counts.items():
            self.stdout.write(f"{metric}: {rows} rows")
        self.stdout.write(f"recomputed {year} in {time.monotonic() - started:.1f} s")
