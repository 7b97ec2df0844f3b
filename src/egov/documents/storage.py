"""Uploaded files: checked, content-addressed and text-extracted before they are attached.

Only PDF, DOCX and scanned images (PNG, JPEG, TIFF) are accepted, recognised by their content (never by the
name or the browser's content type), with a size limit (``EGOV_MAX_UPLOAD_MB``). A corrupt PDF/DOCX is
refused with a clear message. Files are stored with their SHA-256 and served only with the content type
recorded here plus ``X-Content-Type-Options: nosniff`` and ``Content-Disposition`` (see ``views``), so a
browser never executes them.
"""

from __future__ import annotations

import functools
import io
import logging
import zipfile
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, ParamSpec, Protocol, TypeVar

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from egov.documents.models import Attachment, IncomingDocument, OutgoingDocument, StoredFile

logger = logging.getLogger(__name__)

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
IMAGES = {"image/png", "image/jpeg", "image/tiff"}
ALLOWED = {PDF, DOCX, *IMAGES}
OCTET = "application/octet-stream"
EXTENSIONS = {
    PDF: ".pdf",
    DOCX: ".docx",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/tiff": ".tif",
    OCTET: ".bin",
}
MAX_TEXT = 200_000  # characters of extracted text kept for search

P = ParamSpec("P")
R = TypeVar("R")
# Names of the files written by store() in the current discard_on_error scope (None: no scope).
_written: ContextVar[list[str] | None] = ContextVar("egov_documents_written", default=None)


def discard_on_error(func: Callable[P, R]) -> Callable[P, R]:
    """Decorator of a service that stores files inside its transaction: when the service fails (its
    transaction rolls back, so no row refers to them), the files it wrote are deleted from storage. Put it
    above ``@transaction.atomic``. Scopes nest: the files of a service that succeeded inside another one
    belong to the outer scope and go if the outer one fails. A file that another ``StoredFile`` row still
    names (a content-addressed name reused by a storage that overwrites, e.g. object storage) is kept.

    This is the one mechanism for files of failed transactions (documents and dossiers use it)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        written: list[str] = []
        token = _written.set(written)
        try:
            result = func(*args, **kwargs)
        except BaseException:
            _written.reset(token)
            _discard(written)
            raise
        _written.reset(token)
        outer = _written.get()
        if outer is not None:
            outer.extend(written)
        return result

    return wrapper


def _discard(names: list[str]) -> None:
    """Delete the files written by a failed scope, except those a remaining ``StoredFile`` row refers to.

    Runs after the rollback (of the service's transaction or savepoint), so the rows seen are the committed
    ones and those of an enclosing transaction. When that check itself fails (e.g. the enclosing transaction
    is broken) the file is kept: an orphan file is harmless, a row without its file is not. Never raises, so
    the service's own error is the one the caller sees."""
    file_storage = StoredFile._meta.get_field("file").storage
    for name in dict.fromkeys(names):
        try:
            if StoredFile.objects.filter(file=name).exists():
                continue
        except Exception:
            logger.warning("kept %s: could not check whether a row still refers to it", name, exc_info=True)
            continue
        try:
            file_storage.delete(name)
        except OSError:  # pragma: no cover - best effort; the rollback already lost the rows
            logger.warning("could not delete %s after a failed transaction", name, exc_info=True)


class Upload(Protocol):
    name: str | None

    def read(self, size: int = ...) -> bytes: ...


def sniff(data: bytes) -> str | None:
    """The content type of ``data`` from its bytes, or None when it is not an accepted kind."""
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except zipfile.BadZipFile:
            return None
        return DOCX if "word/document.xml" in names and "[Content_Types].xml" in names else None
    kind = filetype.guess(data)
    if kind is not None and kind.mime in IMAGES:
        return str(kind.mime)
    return None


def extract_text(data: bytes, content_type: str) -> str:
    """PDF text layer or DOCX paragraphs; raises ValueError when the file cannot be read (corrupt)."""
    if content_type == PDF:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError

        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                raise ValueError(_("Tệp PDF được đặt mật khẩu."))
            parts = []
            for page in reader.pages:
                parts.append(page.extract_text() or "")
                if sum(len(p) for p in parts) > MAX_TEXT:
                    break
        except (PdfReadError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(str(exc)) from exc
        return "\n".join(parts)[:MAX_TEXT]
    if content_type == DOCX:
        import docx

        try:
            document = docx.Document(io.BytesIO(data))
        except Exception as exc:  # python-docx raises several kinds for a broken package
            raise ValueError(str(exc)) from exc
        lines = [p.text for p in document.paragraphs]
        for table in document.tables:
            for row in table.rows:
                lines.append(" ".join(cell.text for cell in row.cells))
        return "\n".join(lines)[:MAX_TEXT]
    return ""


def max_upload_bytes() -> int:
    return int(settings.EGOV_MAX_UPLOAD_MB) * 1024 * 1024


def store(upload: Any, *, actor: Any = None, field: str = "files", lenient: bool = False) -> StoredFile:
    """Validate and store one upload. Raises ValidationError naming the file and the problem.

    ``lenient`` is for files that arrive with a document from another agency (exchange axis): refusing them
    would lose the document, so any type is kept — stored as ``application/octet-stream`` (always served as a
    download) when it is not an accepted kind — and a file whose text cannot be read is kept without text."""
    name = (getattr(upload, "name", None) or "tep").rsplit("/", 1)[-1][:200]
    limit = max_upload_bytes()
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise ValidationError(
            {field: _("Tệp “%(n)s” vượt quá %(m)s MB.") % {"n": name, "m": settings.EGOV_MAX_UPLOAD_MB}}
        )
    if not data:
        raise ValidationError({field: _("Tệp “%(n)s” rỗng.") % {"n": name}})
    content_type = sniff(data)
    if content_type is None and lenient:
        content_type = OCTET
    if content_type is None:
        raise ValidationError(
            {
                field: _("Tệp “%(n)s” không đúng định dạng cho phép (PDF, DOCX, PNG, JPEG, TIFF).")
                % {"n": name}
            }
        )
    try:
        text = extract_text(data, content_type)
    except ValueError as exc:
        if lenient:
            logger.warning("no text from %s (%s): %s", name, content_type, exc)
            text = ""
        else:
            raise ValidationError(
                {field: _("Tệp “%(n)s” bị hỏng, không đọc được: %(e)s") % {"n": name, "e": exc}}
            ) from exc
    digest = StoredFile.digest(data)
    stored = StoredFile(
        sha256=digest,
        size=len(data),
        content_type=content_type,
        original_name=name,
        text=text,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    stored.file.save(f"{digest}{EXTENSIONS[content_type]}", ContentFile(data), save=False)
    written = _written.get()
    if written is not None and stored.file.name:
        written.append(stored.file.name)
    stored.save()
    return stored


def attach(
    doc: IncomingDocument | OutgoingDocument,
    upload: Any,
    *,
    actor: Any = None,
    role: str = Attachment.Role.MAIN,
    lenient: bool = False,
) -> Attachment:
    stored = store(upload, actor=actor, lenient=lenient)
    if isinstance(doc, IncomingDocument):
        return Attachment.objects.create(incoming=doc, file=stored, role=role)
    return Attachment.objects.create(outgoing=doc, file=stored, role=role)


def texts_of(doc: IncomingDocument | OutgoingDocument) -> list[str]:
    return [a.file.text for a in doc.attachments.select_related("file") if a.file.text]
