"""``egov manage signing_rekey``: re-encrypt stored private keys with the current passphrase.

Run it after setting or changing ``EGOV_SIGNING_KEY_PASSPHRASE`` (or changing ``SECRET_KEY`` while the
passphrase is derived from it). The old passphrase is read from a file (never from the command line, which
other users of the machine can see), or derived from an old SECRET_KEY read from a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from egov.core import context
from egov.signing import crypto, services


class Command(BaseCommand):
    help = "Mã hóa lại khóa bí mật bằng mật khẩu mới / re-encrypt private keys with the current passphrase."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--old-passphrase-file", help="file holding the old EGOV_SIGNING_KEY_PASSPHRASE")
        group.add_argument(
            "--old-secret-key-file", help="file holding the old SECRET_KEY (when no passphrase was set)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("old_passphrase_file"):
            old = Path(options["old_passphrase_file"]).read_text(encoding="utf-8").strip().encode("utf-8")
        else:
            secret = Path(options["old_secret_key_file"]).read_text(encoding="utf-8").strip()
            old = crypto.derive_passphrase(secret)
        try:
            with context.bind(source="cli"):
                count = services.reencrypt_private_keys(actor=None, old_passphrase=old)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        self.stdout.write(f"{count} private key(s) re-encrypted.")
