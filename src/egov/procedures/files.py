"""Blank forms (mẫu đơn, tờ khai) of required papers: checked on upload, served safely.

Accepted kinds, recognised by their bytes (never by the name or the browser's content type): PDF, DOCX,
XLSX, ODT and the legacy Word ``.doc`` (OLE2) that most official forms are still published in. Files are
served with the content type sniffed from the stored bytes, ``nosniff``, a sandboxing CSP and
``Content-Disposition: attachment``, so a browser never renders or executes them.
"""

from __future__ import annotations

import contextlib
import io
import zipfile
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.utils.text import slugify
from django.utils.translation import gettext as _

from egov.core.text import fold

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
DOC = "application/msword"
EXTENSIONS = {PDF: ".pdf", DOCX: ".docx", XLSX: ".xlsx", ODT: ".odt", DOC: ".doc"}
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def sniff(data: bytes) -> str | None:
    """The content type of a form from its bytes, or None when it is not an accepted kind."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(OLE2):
        return DOC
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                mimetype = (
                    zf.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
                )
        except (zipfile.BadZipFile, KeyError, OSError):
            return None
        if "word/document.xml" in names:
            return DOCX
        if "xl/workbook.xml" in names:
            return XLSX
        if mimetype == ODT:
            return ODT
    return None


def check_form(upload: Any) -> tuple[str, bytes]:
    """Read and check an uploaded form: (content type, bytes); ValidationError when refused."""
    limit = settings.EGOV_MAX_UPLOAD_MB * 1024 * 1024
    if hasattr(upload, "seek"):
        with contextlib.suppress(OSError, ValueError):
            upload.seek(0)
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            {"form_file": _("Tệp mẫu vượt quá %(n)s MB.") % {"n": settings.EGOV_MAX_UPLOAD_MB}}
        )
    if not data:
        raise ValidationError({"form_file": _("Tệp mẫu rỗng.")})
    content_type = sniff(data)
    if content_type is None:
        raise ValidationError(
            {
                "form_file": _(
                    "Mẫu đơn, tờ khai phải là tệp PDF, DOC, DOCX, ODT hoặc XLSX (kiểm tra theo nội dung)."
                )
            }
        )
    return content_type, data


def form_filename(procedure: Any, paper: Any, content_type: str) -> str:
    base = slugify(fold(paper.form_name or paper.name))[:80] or "mau"
    return f"{procedure.code}-{base}{EXTENSIONS[content_type]}"


def form_response(paper: Any) -> FileResponse:
    """The paper's blank form as a download."""
    handle = paper.form_file.open("rb")
    head = handle.read(64 * 1024)
    handle.seek(0)
    content_type = sniff(head) if not head.startswith(b"PK") else None
    if head.startswith(b"PK"):
        # Zip-based formats need the central directory: sniff the whole (small) file.
        content_type = sniff(head + handle.read())
        handle.seek(0)
    content_type = content_type or "application/octet-stream"
    name = slugify(fold(paper.form_name or paper.name))[:80] or "mau-don"
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=True,
        filename=f"{name}{EXTENSIONS.get(content_type, '.bin')}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Frame-Options"] = "DENY"
    response["Cache-Control"] = "public, max-age=3600"
    return response
