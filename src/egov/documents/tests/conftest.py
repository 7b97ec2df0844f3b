from __future__ import annotations

import io

import pytest

from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.documents import services
from egov.documents.doctypes import ensure_document_types
from egov.documents.models import DocumentType


@pytest.fixture
def registers(tree):
    services.ensure_default_registers(actor=None, agency=tree.department)
    services.ensure_default_registers(actor=None, agency=tree.other_province)
    return tree


@pytest.fixture
def doctypes(db):
    ensure_document_types()  # transactional tests flush the rows the data migration created


@pytest.fixture
def qd(doctypes):
    return DocumentType.objects.get(code="quyet-dinh")


@pytest.fixture
def cv(doctypes):
    return DocumentType.objects.get(code="cong-van")


@pytest.fixture
def deputy(tree):
    return make_staff("phogiamdoc", tree.department, Role.DEPUTY_LEADER, title="Phó Giám đốc")


def pdf_bytes(text: str = "Quyết định về việc thành lập tổ công tác") -> bytes:
    """A small real PDF with a text layer (reportlab-free: a hand-assembled minimal PDF)."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    ascii_text = text.encode("ascii", "replace").decode()
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 12 Tf 72 760 Td ({ascii_text}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class NamedBytes(io.BytesIO):
    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self.name = name
