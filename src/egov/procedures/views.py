"""Public pages of the procedure catalogue: the blank-form download."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from egov.procedures import files, selectors


@require_safe
def form_download(request: HttpRequest, paper_id: int) -> FileResponse:
    """Mẫu đơn, tờ khai of a required paper (public: forms are published with the procedure)."""
    if paper_id > 2**63 - 1:
        raise Http404
    paper = selectors.paper_with_form(paper_id)
    if paper is None:
        raise Http404
    try:
        return files.form_response(paper)
    except FileNotFoundError:
        raise Http404 from None
