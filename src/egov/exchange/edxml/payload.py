"""Attachment payloads: incremental base64 decoding, one-entry zip unwrapping, digests — block by block.

Reading never holds a whole attachment in memory: base64 text is decoded from its spool in 64 KiB blocks
into a spooled temporary file (in memory up to a threshold, then on disk), and a one-entry zip archive is
inflated the same way. Sizes are counted while decoding, so a limit stops the work as soon as it is passed,
whatever a zip header claims.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from .errors import EdxmlContentError, EdxmlSizeError

BLOCK = 1 << 16
_WHITESPACE = b" \t\r\n"
ZIP_MAGIC = b"PK\x03\x04"
ZIP_CONTENT_TYPES = {"application/zip", "application/x-zip-compressed", "application/x-zip"}
_DIGESTS = {"sha1": "sha1", "sha256": "sha256", "sha384": "sha384", "sha512": "sha512", "sha-256": "sha256"}


def spooled(threshold: int, tmpdir: str | None) -> IO[bytes]:
    return tempfile.SpooledTemporaryFile(max_size=threshold, dir=tmpdir)


@dataclass
class Decoded:
    file: IO[bytes]
    size: int
    sha256: str


def decode_base64(
    chunks: Iterable[bytes], *, where: str, limit: int, threshold: int, tmpdir: str | None
) -> Decoded:
    """Decode base64 text (white space allowed, padding optional) into a spooled file."""
    out = spooled(threshold, tmpdir)
    digest = hashlib.sha256()
    size = 0
    pending = b""
    padded = False
    try:
        for chunk in chunks:
            data = pending + chunk.translate(None, _WHITESPACE)
            usable = len(data) - len(data) % 4
            pending = data[usable:]
            if not usable:
                continue
            if padded:
                raise EdxmlContentError(f"{where}: invalid base64: Excess data after padding")
            part = data[:usable]
            padded = part.endswith(b"=")
            decoded = binascii.a2b_base64(part, strict_mode=True)
            size += len(decoded)
            if size > limit:
                raise EdxmlSizeError(f"{where}: attachment is larger than the limit of {limit} bytes")
            digest.update(decoded)
            out.write(decoded)
        if pending:
            if padded or len(pending) == 1:
                raise EdxmlContentError(f"{where}: invalid base64: truncated data")
            decoded = binascii.a2b_base64(pending + b"=" * (4 - len(pending)), strict_mode=True)
            size += len(decoded)
            if size > limit:
                raise EdxmlSizeError(f"{where}: attachment is larger than the limit of {limit} bytes")
            digest.update(decoded)
            out.write(decoded)
    except binascii.Error as exc:
        out.close()
        raise EdxmlContentError(f"{where}: invalid base64: {exc}") from None
    except BaseException:
        out.close()
        raise
    out.seek(0)
    return Decoded(out, size, digest.hexdigest())


@dataclass
class Unwrapped:
    decoded: Decoded
    zipped: bool
    entry_name: str = ""
    warning: str = ""


def unwrap_zip(
    payload: Decoded, *, name: str, where: str, limit: int, threshold: int, tmpdir: str | None
) -> Unwrapped:
    """If the payload is a one-entry zip archive wrapping the file (as the SDKs send it), inflate it.

    A payload is left as it is when it is not a zip archive, when the attachment itself is named ``*.zip``,
    or when the archive holds several entries (an OOXML or ODF document is a zip archive of many entries).
    """
    payload.file.seek(0)
    head = payload.file.read(4)
    payload.file.seek(0)
    if head != ZIP_MAGIC or name.lower().endswith(".zip"):
        return Unwrapped(payload, zipped=False)
    try:
        archive = zipfile.ZipFile(payload.file)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        payload.file.seek(0)
        return Unwrapped(
            payload, zipped=False, warning=f"{where}: looks like a zip archive but is not one ({exc})"
        )
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        if len(entries) != 1:
            payload.file.seek(0)
            return Unwrapped(payload, zipped=False)
        info = entries[0]
        if info.flag_bits & 0x1:
            payload.file.seek(0)
            return Unwrapped(payload, zipped=False, warning=f"{where}: encrypted zip entry kept as it is")
        if info.file_size > limit:
            raise EdxmlSizeError(f"{where}: attachment is larger than the limit of {limit} bytes (zipped)")
        out = spooled(threshold, tmpdir)
        digest = hashlib.sha256()
        size = 0
        try:
            with archive.open(info) as src:
                while block := src.read(BLOCK):
                    size += len(block)
                    if size > limit:
                        raise EdxmlSizeError(
                            f"{where}: attachment is larger than the limit of {limit} bytes (zipped)"
                        )
                    digest.update(block)
                    out.write(block)
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError, RuntimeError) as exc:
            out.close()
            raise EdxmlContentError(f"{where}: broken zip archive: {exc}") from None
        except BaseException:
            out.close()
            raise
    payload.file.close()
    out.seek(0)
    return Unwrapped(Decoded(out, size, digest.hexdigest()), zipped=True, entry_name=info.filename)


def choose_content_type(name: str, zipped: bool, *candidates: str) -> str:
    """The file's content type: the first declared one that describes the file rather than the zip wrapper."""
    for candidate in candidates:
        ctype = candidate.strip().lower()
        if not ctype:
            continue
        if zipped and ctype in ZIP_CONTENT_TYPES:
            continue
        return candidate.strip()
    guessed, _ = mimetypes.guess_type(name, strict=False)
    return guessed or "application/octet-stream"


def digest_of(file: IO[bytes], algorithm: str) -> bytes:
    hasher = hashlib.new(algorithm)
    file.seek(0)
    while block := file.read(BLOCK):
        hasher.update(block)
    file.seek(0)
    return hasher.digest()


def digest_algorithm(name: str) -> str | None:
    """``http://www.w3.org/2001/04/xmlenc#sha256``, ``SHA-256``, ``sha256`` → ``sha256``; None if unknown."""
    key = (name or "sha256").rsplit("#", 1)[-1].strip().lower().replace("_", "-")
    return _DIGESTS.get(key) or _DIGESTS.get(key.replace("-", ""))


def parse_digest_value(text: str) -> bytes | None:
    """Hex (``9f86d0…``) or base64 digest text; None when it is neither."""
    value = "".join(text.split())
    if (
        value
        and len(value) % 2 == 0
        and all(c in "0123456789abcdefABCDEF" for c in value)
        and len(value) >= 40
    ):
        return bytes.fromhex(value)
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None
