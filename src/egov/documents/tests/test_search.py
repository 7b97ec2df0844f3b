from __future__ import annotations

import pytest

from egov.documents import outgoing, search, selectors
from egov.documents.models import IncomingDocument, OutgoingDocument
from egov.documents.tests.conftest import NamedBytes, pdf_bytes
from egov.documents.tests.test_incoming import register


@pytest.fixture
def corpus(registers, clerk, qd, cv):
    return {
        "qd": register(clerk, registers, qd, subject="Quyết định thành lập Ban chỉ đạo chuyển đổi số"),
        "cv": register(
            clerk,
            registers,
            cv,
            code_number="7",
            code_notation="UBND-VX",
            subject="Về việc báo cáo tình hình giải quyết thủ tục hành chính",
        ),
        "att": register(
            clerk,
            registers,
            cv,
            code_number="8",
            code_notation="UBND-KT",
            subject="Công văn gửi kèm",
            files=[NamedBytes(pdf_bytes("Ke hoach kiem tra cong tac van thu luu tru"), "kh.pdf")],
        ),
    }


@pytest.mark.parametrize("query", ["quyet dinh", "Quyết định", "QUYẾT ĐỊNH", "quyet di", "chuyen doi so"])
def test_accent_and_case_insensitive(corpus, clerk, query):
    found = list(search.apply(selectors.incoming_visible_to(clerk), query))
    assert found == [corpus["qd"]], query


def test_attachment_text_and_issuing_agency_are_searched(corpus, clerk):
    assert list(search.apply(selectors.incoming_visible_to(clerk), "van thu luu tru")) == [corpus["att"]]
    assert set(search.apply(selectors.incoming_visible_to(clerk), "ubnd tinh demo")) == set(corpus.values())
    assert list(search.apply(selectors.incoming_visible_to(clerk), "   ")) == []


def test_ranking_and_filters_and_permissions(corpus, clerk, foreign_staff, cv):
    results = list(search.apply(selectors.incoming_visible_to(clerk), "thu tuc hanh chinh"))
    assert results[0] == corpus["cv"] and all(r.rank is not None for r in results)
    filtered = search.apply(selectors.incoming_list(clerk, document_type=cv.pk), "ubnd")
    assert set(filtered) == {corpus["cv"], corpus["att"]}
    assert list(search.apply(selectors.incoming_visible_to(foreign_staff), "quyet dinh")) == []


def test_index_follows_updates_and_outgoing(corpus, clerk, specialist, registers, qd):
    doc = corpus["qd"]
    IncomingDocument.objects.filter(pk=doc.pk)  # no-op: updates go through save()
    doc.subject = "Quyết định giải thể tổ công tác"
    doc.refresh_search_key()
    doc.save()
    assert list(search.apply(selectors.incoming_visible_to(clerk), "giai the")) == [doc]
    assert list(search.apply(selectors.incoming_visible_to(clerk), "chuyen doi so")) == []
    draft = outgoing.create_draft(
        actor=specialist,
        agency=registers.department,
        document_type=qd,
        subject="Kế hoạch ứng dụng công nghệ thông tin năm 2027",
    )
    found = list(search.apply(selectors.outgoing_visible_to(specialist), "cong nghe thong tin"))
    assert found == [draft] and isinstance(found[0], OutgoingDocument)
    assert search.reindex_all() >= 0
