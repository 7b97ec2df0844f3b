"""SMS text encoding and segmentation (3GPP TS 23.038 / 23.040).

Text that fits the GSM 7-bit default alphabet (with its extension table) is sent as GSM-7: 160 characters
in one SMS, 153 per part when concatenated (the 6-octet user data header takes the rest). Anything else —
every Vietnamese text with diacritics — is sent as UCS-2 (``data_coding`` 0x08, UTF-16BE): 70 characters in
one SMS, 67 per part. Text is normalised to NFC first: Vietnamese typed in decomposed form (NFD) would
otherwise count each combining accent as a character. Parts never split an escape sequence or a surrogate
pair.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = {
    "\f": 0x0A,
    "^": 0x14,
    "{": 0x28,
    "}": 0x29,
    "\\": 0x2F,
    "[": 0x3C,
    "~": 0x3D,
    "]": 0x3E,
    "|": 0x40,
    "€": 0x65,
}
_BASIC_INDEX = {ch: i for i, ch in enumerate(GSM7_BASIC) if ch != "\x1b"}
_EXT_REVERSE = {v: k for k, v in GSM7_EXTENSION.items()}
assert len(GSM7_BASIC) == 128

GSM7 = "gsm7"
UCS2 = "ucs2"
DATA_CODING = {GSM7: 0x00, UCS2: 0x08}
SINGLE = {GSM7: 160, UCS2: 70}
PER_PART = {GSM7: 153, UCS2: 67}
MAX_PARTS = 255


class MessageTooLong(ValueError):
    pass


@dataclass(frozen=True)
class EncodedSms:
    text: str
    encoding: str  # "gsm7" or "ucs2"
    parts: tuple[bytes, ...]  # payload of each part, without the user data header

    @property
    def data_coding(self) -> int:
        return DATA_CODING[self.encoding]

    @property
    def segments(self) -> int:
        return len(self.parts)


def is_gsm7(text: str) -> bool:
    return all(ch in _BASIC_INDEX or ch in GSM7_EXTENSION for ch in text)


def _gsm7_units(text: str) -> list[bytes]:
    """One entry per character: its septets (one, or escape + one), unpacked one per octet."""
    return [
        bytes([_BASIC_INDEX[ch]]) if ch in _BASIC_INDEX else bytes([0x1B, GSM7_EXTENSION[ch]]) for ch in text
    ]


def _ucs2_units(text: str) -> list[bytes]:
    return [ch.encode("utf-16-be") for ch in text]  # 2 octets, or 4 for a surrogate pair


def _split(units: list[bytes], limit: int, unit_size: int) -> list[bytes]:
    """Greedy split of characters into parts of at most ``limit`` septets (GSM) or code units (UCS-2)."""
    parts: list[bytes] = []
    current = bytearray()
    used = 0
    for unit in units:
        size = len(unit) // unit_size
        if used + size > limit:
            parts.append(bytes(current))
            current, used = bytearray(), 0
        current += unit
        used += size
    if current or not parts:
        parts.append(bytes(current))
    return parts


def encode(text: str) -> EncodedSms:
    text = unicodedata.normalize("NFC", text)
    if is_gsm7(text):
        encoding, units, unit_size = GSM7, _gsm7_units(text), 1
    else:
        encoding, units, unit_size = UCS2, _ucs2_units(text), 2
    total = sum(len(u) for u in units) // unit_size
    single = total <= SINGLE[encoding]
    parts = [b"".join(units)] if single else _split(units, PER_PART[encoding], unit_size)
    if len(parts) > MAX_PARTS:
        raise MessageTooLong(f"SMS of {len(parts)} parts (at most {MAX_PARTS})")
    return EncodedSms(text=text, encoding=encoding, parts=tuple(parts))


def count_segments(text: str) -> tuple[str, int]:
    encoded = encode(text)
    return encoded.encoding, encoded.segments


def udh(reference: int, total: int, seqnum: int) -> bytes:
    """Concatenation user data header, 8-bit reference (IEI 0x00)."""
    return bytes([0x05, 0x00, 0x03, reference & 0xFF, total, seqnum])


def decode(payload: bytes, data_coding: int) -> str:
    """Inverse of :func:`encode` for one part (used by the test SMSC and receipts)."""
    if data_coding == 0x08:
        return payload.decode("utf-16-be")
    if data_coding in (0x00, 0x01):
        out = []
        escape = False
        for octet in payload:
            if escape:
                out.append(_EXT_REVERSE.get(octet, " "))
                escape = False
            elif octet == 0x1B:
                escape = True
            else:
                out.append(GSM7_BASIC[octet & 0x7F])
        return "".join(out)
    return payload.decode("latin-1")
