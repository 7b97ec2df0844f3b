"""``egov manage notify smpp-listen``: a long-running SMPP receiver applying delivery receipts;
``egov manage notify sweep``: run the safety-net sweep once."""

from __future__ import annotations

import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from egov.core import context


class Command(BaseCommand):
    help = "Notification tools: 'notify smpp-listen' takes SMPP delivery receipts; 'notify sweep' runs once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("smpp-listen", help="bind to the SMSC as a receiver and apply delivery receipts")
        sub.add_parser("sweep", help="re-enqueue due or lost messages, settle interrupted ones")

    def handle(self, *args: Any, **options: Any) -> None:
        from egov.notify import services

        if options["action"] == "sweep":
            with context.bind(source="cli"):
                self.stdout.write(str(services.sweep()))
            return
        from egov.notify.sms.smpp import listen

        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_a: stop.set())

        def apply(receipt: Any) -> None:
            with context.bind(source="cli"):
                services.record_receipt(provider="smpp", receipt=receipt)

        self.stdout.write("smpp-listen: waiting for delivery receipts (Ctrl-C to stop)")
        listen(apply, stop=stop)
