from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.audit.services import verify


class Command(BaseCommand):
    help = (
        "Audit trail tools. 'audit verify' checks every hash chain and names the first tampered row "
        "(chain and seq)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser(
            "verify", help="check the hash chains; exit status 1 when a row was edited, inserted or deleted"
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "verify":
            result = verify()
            if not result.ok:
                raise CommandError(
                    f"audit chain broken: {result.problem} ({result.checked} rows verified before it)"
                )
            self.stdout.write(
                f"audit chains intact: {result.checked} rows verified in {result.chains} chains"
            )
