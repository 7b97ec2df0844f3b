"""PNG images for signature appearances: checks on uploaded images and generated demo images.

Nghị định 30/2020 Phụ lục I: the signer's image is the handwritten signature, blue, PNG with a transparent
background; the agency's image is its seal, red, actual size, PNG with a transparent background. The demo
images made here follow those rules; they are plainly drawings, not copies of any real seal.
"""

from __future__ import annotations

import io
import math

from PIL import Image, ImageDraw, ImageFont

from egov.signing import fonts

SEAL_RED = (204, 16, 38, 255)
SIGNATURE_BLUE = (18, 45, 160, 255)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
MAX_IMAGE_BYTES = 2 * 1024 * 1024
MAX_IMAGE_SIDE = 4000


class ImageError(ValueError):
    pass


def check_png(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, or :class:`ImageError` when it is not a reasonable PNG image."""
    if not data.startswith(PNG_MAGIC):
        raise ImageError("not a PNG image")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageError(f"image larger than {MAX_IMAGE_BYTES // 1024 // 1024} MB")
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.verify()
        with Image.open(io.BytesIO(data)) as img:
            size = img.size
    except Exception as exc:
        raise ImageError(f"unreadable PNG image: {exc}") from exc
    if max(size) > MAX_IMAGE_SIDE or min(size) < 8:
        raise ImageError(f"image size {size[0]}x{size[1]} out of range")
    return size


def png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as img:
        return img.size


def trim_transparent(data: bytes, padding: int = 4) -> bytes:
    """The PNG cropped to its visible (non-transparent) pixels plus ``padding``: layouts then place what
    is drawn, not the empty margins around it. Unchanged when the image has no transparent margins."""
    with Image.open(io.BytesIO(data)) as img:
        if img.mode not in ("RGBA", "LA") and "transparency" not in img.info:
            return data
        rgba = img.convert("RGBA")
    bbox = rgba.getchannel("A").getbbox()
    if bbox is None:
        return data
    x1, y1, x2, y2 = bbox
    box = (
        max(x1 - padding, 0),
        max(y1 - padding, 0),
        min(x2 + padding, rgba.width),
        min(y2 + padding, rgba.height),
    )
    if box == (0, 0, rgba.width, rgba.height):
        return data
    return _png(rgba.crop(box))


def _png(img: Image.Image) -> bytes:
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True, dpi=(300, 300))
    return out.getvalue()


def _star(cx: float, cy: float, outer: float, inner: float) -> list[tuple[float, float]]:
    points = []
    for i in range(10):
        radius = outer if i % 2 == 0 else inner
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    return points


def _text_on_arc(
    canvas: Image.Image,
    text: str,
    font: ImageFont.FreeTypeFont,
    radius: float,
    max_span: float,
    min_span: float = 0.0,
) -> None:
    """Write ``text`` clockwise along the top of a circle centred in ``canvas``, letters upright outwards."""
    cx, cy = canvas.width / 2, canvas.height / 2
    widths = [font.getlength(ch) for ch in text]
    tracking = font.size * 0.08
    natural = sum(widths) + tracking * (len(text) - 1)
    min_length = radius * min_span
    if natural < min_length and len(text) > 1:  # short names are spread over most of the ring
        tracking += (min_length - natural) / (len(text) - 1)
    span = min((sum(widths) + tracking * (len(text) - 1)) / radius, max_span)
    angle = -math.pi / 2 - span / 2
    cell = int(font.size * 2.2)
    for ch, width in zip(text, widths, strict=True):
        step = (width + tracking) / radius
        mid = angle + (width / 2) / radius
        if not ch.isspace():
            glyph = Image.new("RGBA", (cell, cell), (0, 0, 0, 0))
            ImageDraw.Draw(glyph).text((cell / 2, cell / 2), ch, font=font, fill=SEAL_RED, anchor="mm")
            glyph = glyph.rotate(-math.degrees(mid + math.pi / 2), resample=Image.Resampling.BICUBIC)
            x = cx + radius * math.cos(mid) - cell / 2
            y = cy + radius * math.sin(mid) - cell / 2
            canvas.alpha_composite(glyph, (round(x), round(y)))
        angle += step


def make_seal_png(name: str, centre_text: str = "", *, size: int = 425) -> bytes:
    """A red round seal: ``name`` in capitals around the top, a star and ``centre_text`` in the middle.

    At 300 dpi the default 425 px is 36 mm, the usual diameter of an agency seal."""
    font_path = str(fonts.font_set().bold)
    scale = 4  # draw large, then downsample: smooth edges
    big = size * scale
    canvas = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    c = big / 2
    outer = big / 2 - 6 * scale
    draw.ellipse((c - outer, c - outer, c + outer, c + outer), outline=SEAL_RED, width=9 * scale)
    ring = outer - 13 * scale
    draw.ellipse((c - ring, c - ring, c + ring, c + ring), outline=SEAL_RED, width=2 * scale)
    inner = outer * 0.60
    draw.ellipse((c - inner, c - inner, c + inner, c + inner), outline=SEAL_RED, width=3 * scale)

    text = " ".join(name.upper().split())
    band_mid = (ring + inner) / 2
    font_size = int((ring - inner) * 0.55)
    max_span = math.radians(300)
    while font_size > 10 * scale:
        font = ImageFont.truetype(font_path, font_size)
        length = sum(font.getlength(ch) for ch in text) + font_size * 0.08 * (len(text) - 1)
        if length / band_mid <= max_span:
            break
        font_size -= scale
    font = ImageFont.truetype(font_path, font_size)
    _text_on_arc(canvas, text, font, band_mid - font_size * 0.1, max_span, math.radians(250))
    # Small stars close the text band at the bottom.
    for side in (-1, 1):
        a = math.pi / 2 + side * math.radians(22)
        sx, sy = c + band_mid * math.cos(a), c + band_mid * math.sin(a)
        draw.polygon(_star(sx, sy, font_size * 0.42, font_size * 0.17), fill=SEAL_RED)

    star_outer = inner * (0.42 if centre_text else 0.55)
    star_cy = c - (inner * 0.22 if centre_text else 0)
    draw.polygon(_star(c, star_cy, star_outer, star_outer * 0.4), fill=SEAL_RED)
    if centre_text:
        centre = centre_text.upper()
        centre_size = int(inner * 0.30)
        cfont = ImageFont.truetype(font_path, centre_size)
        while cfont.getlength(centre) > inner * 1.5 and centre_size > 8 * scale:
            centre_size -= scale
            cfont = ImageFont.truetype(font_path, centre_size)
        draw.text((c, c + inner * 0.45), centre, font=cfont, fill=SEAL_RED, anchor="mm")
    return _png(canvas.resize((size, size), Image.Resampling.LANCZOS))


def _bezier(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float], n: int
) -> list[tuple[float, float]]:
    out = []
    for i in range(n + 1):
        t = i / n
        a, b, c, d = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3
        out.append(
            (a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1])
        )
    return out


def make_signature_png(full_name: str, *, width: int = 600, height: int = 240) -> bytes:
    """A blue 'handwritten' signature (initial of the family name, given name, a swoosh), transparent."""
    words = full_name.split()
    given = words[-1] if words else "Ký"
    initial = words[0][0].upper() if len(words) > 1 else ""
    font_path = str(fonts.font_set().italic)
    scale = 3
    w, h = width * scale, height * scale
    canvas = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    size = int(h * 0.40)
    big_size = int(size * 1.55)
    font = ImageFont.truetype(font_path, size)
    big = ImageFont.truetype(font_path, big_size)
    while font.getlength(given) + big.getlength(initial) > w * 0.70 and size > 20:
        size -= 4
        big_size = int(size * 1.55)
        font = ImageFont.truetype(font_path, size)
        big = ImageFont.truetype(font_path, big_size)
    initial_w = big.getlength(initial) * 0.92
    text_w = initial_w + font.getlength(given)
    x0 = (w - text_w) / 2
    base = h * 0.58
    if initial:
        draw.text((x0, base), initial, font=big, fill=SIGNATURE_BLUE, anchor="ls")
    draw.text((x0 + initial_w, base), given, font=font, fill=SIGNATURE_BLUE, anchor="ls")
    # The swoosh: from under the initial, dipping below the name, rising past its end; tapering.
    stroke = _bezier(
        (x0 - w * 0.02, base + h * 0.08),
        (x0 + text_w * 0.35, base + h * 0.30),
        (x0 + text_w * 0.80, base + h * 0.02),
        (x0 + text_w + w * 0.08, base - h * 0.16),
        80,
    )
    for i in range(len(stroke) - 1):
        t = i / (len(stroke) - 1)
        draw.line([stroke[i], stroke[i + 1]], fill=SIGNATURE_BLUE, width=max(1, int((4.2 - 3.0 * t) * scale)))
    canvas = canvas.rotate(5, resample=Image.Resampling.BICUBIC, expand=False)
    return trim_transparent(_png(canvas.resize((width, height), Image.Resampling.LANCZOS)))
