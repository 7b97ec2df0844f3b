"""Serving stored files safely: the content type recorded at upload (never guessed from the name),
``nosniff``, a download disposition with the original name, and framing allowed only from egov's own pages
(the PDF viewer on a document page)."""

from __future__ import annotations

from django.http import FileResponse

from egov.documents.models import StoredFile
from egov.documents.storage import ALLOWED


def file_response(stored: StoredFile, *, inline: bool = False) -> FileResponse:
    content_type = stored.content_type if stored.content_type in ALLOWED else "application/octet-stream"
    # Only PDFs and images may be shown inline; anything else is always a download.
    show_inline = inline and (content_type == "application/pdf" or content_type.startswith("image/"))
    response = FileResponse(
        stored.file.open("rb"),
        content_type=content_type,
        as_attachment=not show_inline,
        filename=stored.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Frame-Options"] = "SAMEORIGIN"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = stored.sha256
    return response
