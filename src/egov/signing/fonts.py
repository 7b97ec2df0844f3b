"""A Unicode font with Vietnamese glyphs for signature appearances, stamps and demo images.

Nghị định 30/2020 prescribes Times New Roman. It is used when installed; otherwise a free font that covers
Vietnamese (Liberation Serif 2, DejaVu Serif, DejaVu Sans; Debian package ``fonts-dejavu-core``). The
base-14 PDF fonts and reportlab's bundled Vera have no Vietnamese letters, so without one of these fonts
signing with a visible appearance stops with :class:`FontMissing`.
"""

from __future__ import annotations

import functools
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

VIETNAMESE_SAMPLE = "Ủy ban nhân dân tỉnh Cần Thơ ĐƯỜNG ƠƯ ạấẫỹỵựữễộẩặẳ"

_FONT_DIRS = ("/usr/share/fonts/truetype", "/usr/local/share/fonts", "/usr/share/fonts/TTF")

# (name, regular, bold, italic): file names relative to one of _FONT_DIRS.
_CANDIDATES: tuple[tuple[str, str, str, str], ...] = (
    (
        "Times New Roman",
        "msttcorefonts/Times_New_Roman.ttf",
        "msttcorefonts/Times_New_Roman_Bold.ttf",
        "msttcorefonts/Times_New_Roman_Italic.ttf",
    ),
    (
        "Liberation Serif",
        "liberation2/LiberationSerif-Regular.ttf",
        "liberation2/LiberationSerif-Bold.ttf",
        "liberation2/LiberationSerif-Italic.ttf",
    ),
    (
        "DejaVu Serif",
        "dejavu/DejaVuSerif.ttf",
        "dejavu/DejaVuSerif-Bold.ttf",
        "dejavu/DejaVuSerif-Italic.ttf",
    ),
    ("DejaVu Sans", "dejavu/DejaVuSans.ttf", "dejavu/DejaVuSans-Bold.ttf", "dejavu/DejaVuSans-Oblique.ttf"),
)


class FontMissing(ImproperlyConfigured):
    """No installed font can write Vietnamese."""


@dataclass(frozen=True)
class FontSet:
    name: str
    regular: Path
    bold: Path
    italic: Path


def _covers_vietnamese(path: Path) -> bool:
    from reportlab.pdfbase.ttfonts import TTFontFile

    try:
        face = TTFontFile(str(path))
    except Exception:
        return False
    return all(ord(ch) in face.charToGlyph for ch in VIETNAMESE_SAMPLE if not ch.isspace())


def _candidate_sets() -> list[FontSet]:
    sets = []
    for name, regular, bold, italic in _CANDIDATES:
        for base in _FONT_DIRS:
            root = Path(base)
            if (root / regular).is_file():
                paths = [root / regular, root / bold, root / italic]
                sets.append(FontSet(name, *(p if p.is_file() else root / regular for p in paths)))
                break
    # matplotlib, when installed, ships DejaVu Sans.
    spec = importlib.util.find_spec("matplotlib")
    if spec and spec.origin:
        ttf = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf"
        if (ttf / "DejaVuSans.ttf").is_file():
            plain = ttf / "DejaVuSans.ttf"
            heavy = ttf / "DejaVuSans-Bold.ttf"
            slanted = ttf / "DejaVuSans-Oblique.ttf"
            sets.append(
                FontSet(
                    "DejaVu Sans (matplotlib)",
                    plain,
                    heavy if heavy.is_file() else plain,
                    slanted if slanted.is_file() else plain,
                )
            )
    return sets


@functools.cache
def font_set() -> FontSet:
    """The first installed font family that has every Vietnamese letter."""
    for candidate in _candidate_sets():
        if all(_covers_vietnamese(p) for p in (candidate.regular, candidate.bold, candidate.italic)):
            return candidate
    raise FontMissing(
        "No font with Vietnamese letters found for signature appearances. Install Times New Roman or the "
        "Debian package fonts-dejavu-core (DejaVu Serif) — looked in " + ", ".join(_FONT_DIRS)
    )


@functools.cache
def reportlab_fonts() -> tuple[str, str, str]:
    """Register the font set with reportlab; returns the (regular, bold, italic) font names."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    fonts = font_set()
    names = ("EgovSigning", "EgovSigning-Bold", "EgovSigning-Italic")
    for name, path in zip(names, (fonts.regular, fonts.bold, fonts.italic), strict=True):
        pdfmetrics.registerFont(TTFont(name, str(path)))
    return names
