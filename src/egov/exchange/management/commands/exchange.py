"""``egov exchange inspect FILE [--json]``: read an edXML packet and say what it is, or why it is invalid."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.exchange.edxml import EdxmlError, ReaderOptions, read_packet
from egov.exchange.edxml.summary import describe, format_text

DEFAULTS = ReaderOptions()


class Command(BaseCommand):
    help = "Document exchange tools. 'exchange inspect FILE' reads an edXML packet and describes it."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        inspect = sub.add_parser(
            "inspect",
            help="describe an edXML packet (kind, ids, parties, status, attachments, signature); "
            "exit status 1 with a one-line reason when it is invalid",
        )
        inspect.add_argument("file", help="the .edxml packet")
        inspect.add_argument("--json", action="store_true", help="print JSON instead of text")
        inspect.add_argument(
            "--trusted-ca",
            action="append",
            default=[],
            metavar="PEM",
            help="PEM file of CA certificates a signature must chain to (repeatable)",
        )
        inspect.add_argument(
            "--require-signature",
            action="store_true",
            help="treat a packet without a valid signature as invalid",
        )
        inspect.add_argument("--max-packet-bytes", type=int, default=None)
        inspect.add_argument("--max-attachment-bytes", type=int, default=None)

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["action"] == "inspect":
            self._inspect(opts)

    def _inspect(self, opts: dict[str, Any]) -> None:
        trusted: list[x509.Certificate] = []
        for pem in opts["trusted_ca"]:
            try:
                trusted.extend(x509.load_pem_x509_certificates(Path(pem).read_bytes()))
            except (OSError, ValueError) as exc:
                raise CommandError(f"cannot read trusted CA file {pem}: {exc}") from None
        options = ReaderOptions(
            max_packet_bytes=opts["max_packet_bytes"]
            or getattr(settings, "EGOV_EDXML_MAX_PACKET_BYTES", DEFAULTS.max_packet_bytes),
            max_attachment_bytes=opts["max_attachment_bytes"]
            or getattr(settings, "EGOV_EDXML_MAX_ATTACHMENT_BYTES", DEFAULTS.max_attachment_bytes),
            trusted_certificates=tuple(trusted),
            require_signature=opts["require_signature"],
        )
        try:
            packet = read_packet(Path(opts["file"]), options)
        except EdxmlError as exc:
            raise CommandError(f"invalid packet {opts['file']}: {exc}") from None
        with packet:
            info = describe(packet)
        if opts["json"]:
            self.stdout.write(json.dumps(info, ensure_ascii=False, indent=2))
        else:
            self.stdout.write(format_text(info))
