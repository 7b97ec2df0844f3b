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

        system = sub.add_parser(
            "register-system",
            help="connect a document system to this hub (prints its secret once); --parent for the parent "
            "hub's record when this hub polls a national axis",
        )
        system.add_argument("--system-id", required=True)
        system.add_argument("--name", required=True)
        system.add_argument("--secret", default=None, help="use this secret instead of a generated one")
        system.add_argument("--parent", action="store_true")
        organ = sub.add_parser("register-organ", help="make an agency (OrganId) reachable through a system")
        organ.add_argument("--system-id", required=True)
        organ.add_argument("--organ-id", required=True, help="QCVN 102 code, e.g. 000.00.00.H92")
        organ.add_argument("--name", required=True)
        rotate = sub.add_parser("rotate-secret", help="new secret for a system; the old one works 24 h more")
        rotate.add_argument("--system-id", required=True)
        sub.add_parser("systems", help="list the connected systems and their agencies")

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        if action == "inspect":
            self._inspect(opts)
        elif action == "register-system":
            self._register_system(opts)
        elif action == "register-organ":
            self._register_organ(opts)
        elif action == "rotate-secret":
            self._rotate(opts)
        elif action == "systems":
            self._systems()

    def _system(self, system_id: str) -> Any:
        from egov.exchange.models import HubSystem

        system = HubSystem.objects.filter(system_id=system_id).first()
        if system is None:
            raise CommandError(f"no connected system {system_id!r}")
        return system

    def _register_system(self, opts: dict[str, Any]) -> None:
        from django.core.exceptions import ValidationError

        from egov.exchange import hub

        try:
            system, secret = hub.register_system(
                actor=None,
                system_id=opts["system_id"],
                name=opts["name"],
                secret=opts["secret"],
                is_parent=opts["parent"],
            )
        except ValidationError as exc:
            raise CommandError("; ".join(m for ms in exc.message_dict.values() for m in ms)) from None
        self.stdout.write(f"system {system.system_id} registered; X-SecretKey: {secret}")

    def _register_organ(self, opts: dict[str, Any]) -> None:
        from egov.directory.models import Agency
        from egov.directory.validators import QCVN102_RE
        from egov.exchange import hub

        if not QCVN102_RE.match(opts["organ_id"]):
            self.stderr.write(f"warning: {opts['organ_id']} is not a standard QCVN 102 code")
        agency = Agency.objects.filter(code_qcvn102=opts["organ_id"]).first()
        organ = hub.register_organ(
            actor=None,
            system=self._system(opts["system_id"]),
            organ_id=opts["organ_id"],
            name=opts["name"],
            agency=agency,
        )
        self.stdout.write(f"{organ.organ_id} reachable through {opts['system_id']}")

    def _rotate(self, opts: dict[str, Any]) -> None:
        from egov.exchange import hub

        secret = hub.rotate_secret(actor=None, system=self._system(opts["system_id"]))
        self.stdout.write(f"new X-SecretKey: {secret} (the previous one stays valid for 24 hours)")

    def _systems(self) -> None:
        from egov.exchange.models import HubSystem

        for system in HubSystem.objects.prefetch_related("organs").order_by("system_id"):
            kind = "parent hub" if system.is_parent else "system"
            self.stdout.write(f"{system.system_id}\t{kind}\t{system.name}")
            for organ in system.organs.all():
                self.stdout.write(f"  {organ.organ_id}\t{organ.name}")

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
