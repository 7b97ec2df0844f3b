"""``egov manage signing_ca``: create the built-in demo CA if needed and print its certificate (PEM).

Install that PEM as a trusted root where signed documents are checked (a poppler/NSS database, Adobe
Acrobat's trusted identities) to see the demo signatures as trusted. For demonstrations and tests only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.core import context
from egov.signing import services


class Command(BaseCommand):
    help = "Tạo CA nội bộ (chỉ dùng thử nghiệm) và in chứng thư PEM / create the demo CA, print its PEM."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", help="write the PEM to this file instead of standard output")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.bind(source="cli"):
            ca = services.ensure_builtin_ca(actor=None)
        if options.get("out"):
            Path(options["out"]).write_text(ca.certificate_pem, encoding="ascii")
            self.stdout.write(f"{ca.common_name} (SHA-256 {ca.fingerprint_sha256}) -> {options['out']}")
        else:
            self.stdout.write(ca.certificate_pem, ending="")
