"""Vietnamese text helpers.

``fold`` turns Vietnamese text into a lower-case, accent-free key used for accent-insensitive search
(``Hà Nội``, ``ha noi`` and ``HA NOI`` all fold to ``ha noi``; ``đ``/``Đ`` fold to ``d``). It is computed in
Python and stored in ``*_search`` columns so that SQLite and PostgreSQL search the same way with an index.
"""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_D_MAP = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})


def fold(text: str | None) -> str:
    """Lower-case ``text``, strip Vietnamese diacritics and collapse white space."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()


def nfc(text: str) -> str:
    """Normalise to NFC (Vietnamese text typed on different keyboards mixes NFC and NFD)."""
    return unicodedata.normalize("NFC", text)
