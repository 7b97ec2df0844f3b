"""The documents REST API (/api/v1/): the whole incoming and outgoing flows, bad input, downloads.

The sweep of every route with a foreign agency's user lives in
``directory/tests/test_api_permissions.py``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from egov.audit.models import AuditEntry
from egov.core import calendar
from egov.directory.models import Role, User
from egov.directory.tests.fixtures import make_staff
from egov.documents import selectors, services
from egov.documents.models import (
    Assignment,
    Attachment,
    DocumentType,
    IncomingDocument,
    OutgoingDocument,
    Register,
    RegisterCounter,
    StoredFile,
)
from egov.documents.tests.conftest import pdf_bytes

API = "/api/v1"
S = IncomingDocument.Status
O = OutgoingDocument.Status  # noqa: E741


def client_for(user: User | None = None) -> APIClient:
    """A client authenticating with a real DRF token (``Authorization: Token ...``)."""
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def pdf(name: str = "van-ban.pdf", text: str = "Quyet dinh thanh lap to cong tac") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def incoming_body(doc_type: DocumentType, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "document_type": doc_type.pk,
        "subject": "Về việc thành lập tổ công tác chuyển đổi số",
        "issuing_agency_name": "Ủy ban nhân dân tỉnh Demo",
        "code_number": "15",
        "code_notation": "QĐ-UBND",
        "issued_date": "2026-01-05",
        "urgency": 1,
    }
    body.update(overrides)
    return body


def counts() -> dict[str, int]:
    return {
        "incoming": IncomingDocument.objects.count(),
        "outgoing": OutgoingDocument.objects.count(),
        "attachments": Attachment.objects.count(),
        "files": StoredFile.objects.count(),
        "audit": AuditEntry.objects.count(),
        "counters": sum(RegisterCounter.objects.values_list("last_number", flat=True)),
    }


def errors_of(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, (response.status_code, response.content[:500])
    data = response.json()
    assert isinstance(data, dict)
    return data


def register(clerk: User, tree: Any, doc_type: DocumentType, **kw: Any) -> IncomingDocument:
    defaults: dict[str, Any] = {
        "actor": clerk,
        "agency": tree.department,
        "document_type": doc_type,
        "subject": "Về việc báo cáo",
        "issuing_agency_name": "Ủy ban nhân dân tỉnh Demo",
        "code_number": "15",
        "code_notation": "QĐ-UBND",
    }
    defaults.update(kw)
    return services.register_incoming(**defaults)


@pytest.fixture
def colleague(registers: Any) -> User:
    """A second specialist of Phòng Tổ chức (to forward the handling to)."""
    return make_staff("chuyenvien2", registers.unit, Role.SPECIALIST, title="Chuyên viên")


@pytest.fixture
def certificates(registers: Any, leader: User) -> dict[str, Any]:
    from egov.signing import services as signing

    signing.ensure_builtin_ca(actor=None)
    return {
        "leader": signing.issue_personal_certificate(actor=None, user=leader, agency=registers.department),
        "agency": signing.issue_agency_certificate(actor=None, agency=registers.department),
    }


# --- Authentication and reference data ------------------------------------------------------------------


def test_token_authentication_and_document_types(registers: Any, clerk: User, doctypes: None) -> None:
    assert APIClient().get(f"{API}/document-types/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert bad.get(f"{API}/incoming/").status_code == 401
    response = client_for(clerk).get(f"{API}/document-types/")
    assert response.status_code == 200
    by_code = {row["code"]: row for row in response.json()["results"]}
    assert by_code["quyet-dinh"]["abbreviation"] == "QĐ" and by_code["cong-van"]["abbreviation"] == ""


def test_registers_of_my_agencies(registers: Any, clerk: User, specialist: User, foreign_staff: User) -> None:
    tree = registers
    mine = client_for(clerk).get(f"{API}/registers/").json()["results"]
    assert {row["agency"] for row in mine} == {tree.department.pk} and len(mine) == 4
    of_unit_member = client_for(specialist).get(f"{API}/registers/", {"direction": "incoming"}).json()
    assert {(r["agency"], r["direction"]) for r in of_unit_member["results"]} == {
        (tree.department.pk, "incoming")
    }
    foreign = client_for(foreign_staff).get(f"{API}/registers/").json()["results"]
    assert {row["agency"] for row in foreign} == {tree.other_province.pk}
    assert client_for(clerk).get(f"{API}/registers/", {"direction": "sideways"}).status_code == 400


# --- Incoming: the whole flow ---------------------------------------------------------------------------


def test_incoming_flow_through_the_api(
    registers: Any,
    clerk: User,
    leader: User,
    specialist: User,
    colleague: User,
    qd: DocumentType,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tree = registers
    clerk_api, leader_api = client_for(clerk), client_for(leader)
    data = pdf_bytes("Thanh lap to cong tac chuyen doi so")
    upload = SimpleUploadedFile("quyet-dinh.pdf", data, content_type="application/pdf")
    response = clerk_api.post(
        f"{API}/incoming/", {**incoming_body(qd), "files": [upload]}, format="multipart"
    )
    assert response.status_code == 201, response.content
    doc = response.json()
    pk = doc["id"]
    assert (
        doc["status"] == "registered" and doc["arrival_number"] == 1 and doc["agency"] == tree.department.pk
    )
    assert doc["number_notation"] == "15/QĐ-UBND" and doc["issued_date"] == "2026-01-05"
    assert doc["document_type"]["code"] == "quyet-dinh" and doc["urgency"] == 1
    [att] = doc["attachments"]
    assert att["sha256"] == hashlib.sha256(data).hexdigest() and att["content_type"] == "application/pdf"
    assert att["download_url"].endswith(f"/api/v1/files/{att['id']}/")
    assert [e["kind"] for e in doc["timeline"]] == ["registered"]

    # The same document again: 409 with the duplicate, then registered on confirmation.
    before = counts()
    again = clerk_api.post(f"{API}/incoming/", incoming_body(qd, code_notation="qđ-ubnd"), format="json")
    assert again.status_code == 409
    assert [d["id"] for d in again.json()["duplicates"]] == [pk]
    assert "15/QĐ-UBND" in again.json()["duplicates"][0]["message"]
    assert counts() == before
    confirmed = clerk_api.post(
        f"{API}/incoming/",
        {**incoming_body(qd), "confirm_duplicate": "true", "issued_date": "05/01/2026"},
        format="multipart",
    )
    assert confirmed.status_code == 201 and confirmed.json()["arrival_number"] == 2
    assert confirmed.json()["issued_date"] == "2026-01-05"  # the Vietnamese date format is accepted too

    # Present → assign → opinion → forward → complete.
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_api.post(f"{API}/incoming/{pk}/present/", {"leader": leader.pk}, format="json")
        assert response.status_code == 200 and response.json()["status"] == "presented"
        denied = client_for(specialist).post(
            f"{API}/incoming/{pk}/assign/", {"lead": {"user": specialist.pk}}, format="json"
        )
        assert denied.status_code == 403 and "Lãnh đạo" in denied.json()["detail"]
        assign = {
            "direction": "Giao Phòng Tổ chức chủ trì tham mưu.",
            "lead": {"user": specialist.pk},
            "cooperate": [{"unit": tree.unit.pk}],
            "inform": [{"user": clerk.pk}],
            "deadline_working_days": 5,
        }
        response = leader_api.post(f"{API}/incoming/{pk}/assign/", assign, format="json")
        assert response.status_code == 200, response.content
        body = response.json()
        assert body["status"] == "assigned"
        assert body["due_date"] == calendar.add_working_days(timezone.localdate(), 5).isoformat()
        assert [
            (a["kind"], (a["user"] or {}).get("id"), (a["unit"] or {}).get("id")) for a in body["assignments"]
        ] == [
            ("lead", specialist.pk, None),
            ("cooperate", None, tree.unit.pk),
            ("inform", clerk.pk, None),
        ]
        outsider = leader_api.post(
            f"{API}/incoming/{pk}/assign/", {"lead": {"unit": tree.office.pk}}, format="json"
        )
        assert "assignments" in errors_of(outsider)
        specialist_api = client_for(specialist)
        response = specialist_api.post(
            f"{API}/incoming/{pk}/opinion/", {"text": "Đã dự thảo."}, format="json"
        )
        assert response.status_code == 200 and response.json()["status"] == "in_progress"
        response = specialist_api.post(
            f"{API}/incoming/{pk}/forward/", {"to": colleague.pk, "note": "Nhờ anh xử lý"}, format="json"
        )
        assert response.status_code == 200
        assert specialist_api.post(f"{API}/incoming/{pk}/complete/", {}, format="json").status_code == 403
        response = client_for(colleague).post(
            f"{API}/incoming/{pk}/complete/", {"summary": "Đã trả lời."}, format="json"
        )
        assert response.status_code == 200, response.content
    done = client_for(colleague).get(f"{API}/incoming/{pk}/").json()
    assert done["status"] == "completed" and done["deadline_flag"] == "" and done["completed_at"]
    assert [e["kind"] for e in done["timeline"]] == [
        "registered",
        "presented",
        "assigned",
        "opinion",
        "forwarded",
        "completed",
    ]
    assert done["timeline"][2]["actor"]["id"] == leader.pk and done["timeline"][2]["note"].startswith("Giao")
    assert not Assignment.objects.filter(document_id=pk, completed_at__isnull=True).exists()
    # Completed is final: an illegal transition is a 400, and nothing changes.
    before = counts()
    response = leader_api.post(
        f"{API}/incoming/{pk}/assign/", {"lead": {"user": specialist.pk}}, format="json"
    )
    assert "non_field_errors" in errors_of(response)
    assert counts() == before


def test_received_documents_accepted_or_refused(registers: Any, clerk: User, leader: User, qd: Any) -> None:
    waiting = [
        register(None, registers, qd, code_number=str(n), source="exchange", number_now=False) for n in (1, 2)
    ]
    api = client_for(clerk)
    secret_register = Register.objects.get(agency=registers.department, name="Sổ văn bản đến mật")
    assert "register" in errors_of(
        api.post(f"{API}/incoming/{waiting[0].pk}/accept/", {"register": 999999}, format="json")
    )
    assert (
        client_for(leader).post(f"{API}/incoming/{waiting[0].pk}/accept/", {}, format="json").status_code
        == 403
    )
    response = api.post(
        f"{API}/incoming/{waiting[0].pk}/accept/", {"register": secret_register.pk}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "registered"
    assert response.json()["arrival_number"] == 1 and response.json()["register"] == secret_register.pk
    assert "reason" in errors_of(api.post(f"{API}/incoming/{waiting[1].pk}/refuse/", {}, format="json"))
    response = api.post(f"{API}/incoming/{waiting[1].pk}/refuse/", {"reason": "Gửi nhầm"}, format="json")
    assert response.status_code == 200 and response.json()["refusal_reason"] == "Gửi nhầm"
    # Neither step is legal any more (status 03 / 02): 400, nothing changes.
    before = counts()
    for pk, step, body in [
        (waiting[0].pk, "accept", {}),
        (waiting[0].pk, "refuse", {"reason": "x"}),
        (waiting[1].pk, "accept", {}),
        (waiting[1].pk, "present", {}),
    ]:
        assert "non_field_errors" in errors_of(api.post(f"{API}/incoming/{pk}/{step}/", body, format="json"))
    assert counts() == before


# --- Incoming: bad input --------------------------------------------------------------------------------


def _oversized() -> SimpleUploadedFile:
    data = pdf_bytes() + b"\n%" + b"0" * (1024 * 1024 + 10)
    return SimpleUploadedFile("lon.pdf", data, content_type="application/pdf")


BAD_INPUT = [
    pytest.param(
        lambda: {"files": [SimpleUploadedFile("hong.pdf", b"%PDF-1.4 garbage", "application/pdf")]},
        "files",
        "hỏng",
        id="corrupt-pdf",
    ),
    pytest.param(
        lambda: {"files": [SimpleUploadedFile("virus.pdf", b"MZ\x90\x00\x03 not a pdf", "application/pdf")]},
        "files",
        "định dạng",
        id="exe-disguised-as-pdf",
    ),
    pytest.param(
        lambda: {"files": [pdf("ok.pdf"), SimpleUploadedFile("rong.pdf", b"", "application/pdf")]},
        "files",
        "rỗng",
        id="empty-second-file",
    ),
    pytest.param(lambda: {"files": [_oversized()]}, "files", "1 MB", id="oversized"),
    pytest.param(lambda: {"issued_date": "2026-13-45"}, "issued_date", "", id="impossible-date"),
    pytest.param(lambda: {"issued_date": "5 tháng 1 năm 2026"}, "issued_date", "", id="wrong-date-format"),
    pytest.param(lambda: {"due_date": "2026.01.05"}, "due_date", "", id="wrong-due-date-format"),
    pytest.param(lambda: {"code_notation": "CV-UBND"}, "code_notation", "QĐ", id="notation-not-of-type"),
    pytest.param(lambda: {"subject": None}, "subject", "", id="missing-subject"),
    pytest.param(lambda: {"subject": "   "}, "subject", "", id="blank-subject"),
    pytest.param(lambda: {"document_type": None}, "document_type", "", id="missing-type"),
    pytest.param(lambda: {"code_number": "1a"}, "code_number", "", id="number-not-digits"),
    pytest.param(lambda: {"urgency": 9}, "urgency", "", id="unknown-urgency"),
    pytest.param(lambda: {"issued_date": "2099-01-01"}, "issued_date", "", id="issued-after-arrival"),
    pytest.param(lambda: {"register": 999999}, "register", "", id="unknown-register"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_bad_input_is_400_with_field_errors_and_saves_nothing(
    registers: Any, clerk: User, qd: DocumentType, settings: Any, change: Any, field: str, message: str
) -> None:
    settings.EGOV_MAX_UPLOAD_MB = 1
    body = {**incoming_body(qd), "files": [pdf()]}
    for key, value in change().items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    before = counts()
    response = client_for(clerk).post(f"{API}/incoming/", body, format="multipart")
    errors = errors_of(response)
    assert field in errors, errors
    assert message in " ".join(errors[field]), errors
    assert counts() == before


def test_secret_document_into_ordinary_register_is_refused(registers: Any, clerk: User, qd: Any) -> None:
    ordinary = Register.objects.get(agency=registers.department, name="Sổ văn bản đến")
    before = counts()
    response = client_for(clerk).post(
        f"{API}/incoming/", incoming_body(qd, confidentiality=1, register=ordinary.pk), format="json"
    )
    assert "register" in errors_of(response)
    assert counts() == before


def test_who_registers_incoming(
    registers: Any, clerk: User, specialist: User, foreign_staff: User, qd: Any
) -> None:
    tree = registers
    before = counts()
    response = client_for(specialist).post(f"{API}/incoming/", incoming_body(qd), format="json")
    assert response.status_code == 403 and "Văn thư" in response.json()["detail"]
    response = client_for(foreign_staff).post(
        f"{API}/incoming/", incoming_body(qd, agency=tree.department.pk), format="json"
    )
    assert response.status_code == 403
    # A foreign clerk learns nothing of B's register through the duplicate check either.
    register(clerk, tree, qd)
    foreign_clerk = make_staff("vanthu_ngoai", tree.other_province, Role.CLERK)
    response = client_for(foreign_clerk).post(
        f"{API}/incoming/", incoming_body(qd, agency=tree.department.pk), format="json"
    )
    assert response.status_code == 403 and "duplicates" not in response.json()
    assert counts()["incoming"] == before["incoming"] + 1
    # The foreign clerk's own agency is the default.
    response = client_for(foreign_clerk).post(f"{API}/incoming/", incoming_body(qd), format="json")
    assert response.status_code == 201 and response.json()["agency"] == tree.other_province.pk


# --- Incoming: list, filters, search, deadlines ---------------------------------------------------------


def test_list_filters_search_flags_and_no_query_per_row(
    registers: Any, clerk: User, qd: DocumentType, cv: DocumentType, django_assert_max_num_queries: Any
) -> None:
    tree = registers
    today = timezone.localdate()
    late = register(
        clerk, tree, qd, code_number="1", subject="Quyết định thành lập Ban chỉ đạo chuyển đổi số"
    )
    IncomingDocument.objects.filter(pk=late.pk).update(due_date=today - dt.timedelta(days=1))
    soon = register(clerk, tree, cv, code_number="2", code_notation="UBND-VX", subject="Về việc báo cáo")
    IncomingDocument.objects.filter(pk=soon.pk).update(due_date=today)
    far = register(clerk, tree, qd, code_number="3", subject="Kế hoạch năm", urgency=2)
    IncomingDocument.objects.filter(pk=far.pk).update(due_date=today + dt.timedelta(days=60))
    api = client_for(clerk)

    rows = api.get(f"{API}/incoming/").json()["results"]
    assert [r["id"] for r in rows] == [far.pk, soon.pk, late.pk]  # newest first, id breaks ties
    assert {r["id"]: r["deadline_flag"] for r in rows} == {late.pk: "late", soon.pk: "due_soon", far.pk: ""}
    for doc in (late, soon, far):
        doc.refresh_from_db()
        assert selectors.deadline_flag(doc) == {late.pk: "late", soon.pk: "due_soon", far.pk: ""}[doc.pk]

    def ids(**params: Any) -> list[int]:
        response = api.get(f"{API}/incoming/", params)
        assert response.status_code == 200, response.content
        return [r["id"] for r in response.json()["results"]]

    assert ids(document_type=cv.pk) == [soon.pk]
    assert ids(urgency=2) == [far.pk]
    assert ids(status="registered", register=late.register_id) == [far.pk, soon.pk, late.pk]
    assert ids(status="completed") == []
    assert ids(date_from=today.isoformat(), date_to=today.strftime("%d/%m/%Y")) == [far.pk, soon.pk, late.pk]
    assert ids(date_to=(today - dt.timedelta(days=1)).isoformat()) == []
    assert ids(q="chuyen doi so") == [late.pk]
    assert set(ids(q="Quyết định", document_type=qd.pk)) == {far.pk, late.pk}  # the type's name too
    assert ids(q="BAN CHỈ ĐẠO", document_type=qd.pk) == [late.pk]
    assert ids(q="   ") == [far.pk, soon.pk, late.pk]
    for params, field in [
        ({"date_from": "hôm qua"}, "date_from"),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "date_to"),
        ({"status": "lost"}, "status"),
        ({"register": "abc"}, "register"),
    ]:
        assert field in errors_of(api.get(f"{API}/incoming/", params))

    # The number of queries does not grow with the number of rows.
    with CaptureQueriesContext(connection) as few:
        assert len(api.get(f"{API}/incoming/").json()["results"]) == 3
    for n in range(10):
        register(clerk, tree, qd, code_number=str(100 + n), due_date=today + dt.timedelta(days=n))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(api.get(f"{API}/incoming/").json()["results"]) == 13
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the search's own clause
        assert len(api.get(f"{API}/incoming/", {"q": "ubnd"}).json()["results"]) == 13


def test_pagination_is_stable(registers: Any, clerk: User, qd: DocumentType, settings: Any) -> None:
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 2}
    docs = [register(clerk, registers, qd, code_number=str(n)) for n in range(5)]
    IncomingDocument.objects.update(arrival_date=timezone.now())  # all at the same moment: id decides
    api = client_for(clerk)
    seen: list[int] = []
    url: str | None = f"{API}/incoming/"
    while url:
        page = api.get(url).json()
        seen += [r["id"] for r in page["results"]]
        url = page["next"]
    assert seen == [d.pk for d in reversed(docs)]


# --- Downloads ------------------------------------------------------------------------------------------


def test_download_headers_and_visibility(
    registers: Any, clerk: User, specialist: User, foreign_staff: User, qd: DocumentType
) -> None:
    data = pdf_bytes("Noi dung van ban")
    doc = register(
        clerk, registers, qd, files=[SimpleUploadedFile("Quyết định 15.pdf", data, content_type="text/html")]
    )
    att = doc.attachments.get()
    url = f"{API}/files/{att.pk}/"
    response = client_for(specialist).get(url, HTTP_ACCEPT="application/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"  # the checked type, not the browser's text/html
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Quy%E1%BA%BFt%20%C4%91%E1%BB%8Bnh%2015.pdf" in response["Content-Disposition"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert response["X-Content-SHA256"] == hashlib.sha256(data).hexdigest() == att.file.sha256
    assert b"".join(response.streaming_content) == data
    assert client_for(specialist).head(url).status_code == 200
    assert client_for(foreign_staff).get(url).status_code == 404
    assert client_for(clerk).get(f"{API}/files/{att.pk + 1000}/").status_code == 404
    assert client_for(clerk).get(f"{API}/files/99999999999999999999999/").status_code == 404
    assert client_for(foreign_staff).get(f"{API}/incoming/{doc.pk}/").status_code == 404
    assert APIClient().get(url).status_code == 401


# --- Outgoing: the whole flow ---------------------------------------------------------------------------


def test_outgoing_flow_through_the_api(
    registers: Any,
    clerk: User,
    leader: User,
    specialist: User,
    cv: DocumentType,
    certificates: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tree = registers
    services.ensure_default_registers(actor=None, agency=tree.office)
    office_clerk = make_staff("vanthu_vp", tree.office, Role.CLERK)
    unit_head = make_staff("truongphong", tree.unit, Role.LEADER, title="Trưởng phòng")
    drafter = client_for(specialist)
    body = {
        "document_type": cv.pk,
        "subject": "Về việc cử cán bộ tham gia tập huấn chuyển đổi số",
        "drafting_unit": tree.unit.pk,
        "signing_authority": "KT. Giám đốc",
        "recipients": [tree.office.pk, tree.other_province.pk],
        "recipients_text": "Như trên; Lưu: VT, TC.",
        "files": [pdf("du-thao.pdf", "Du thao cong van")],
    }
    response = drafter.post(f"{API}/outgoing/", body, format="multipart")
    assert response.status_code == 201, response.content
    doc = response.json()
    pk = doc["id"]
    assert doc["status"] == "draft" and doc["agency"] == tree.department.pk and doc["number_notation"] == ""
    assert [(r["agency"]["id"], r["channel"], r["status_code"]) for r in doc["recipients"]] == [
        (tree.office.pk, "internal", ""),
        (tree.other_province.pk, "internal", ""),
    ]
    assert doc["attachments"][0]["role"] == "main" and len(doc["attachments"][0]["sha256"]) == 64

    assert client_for(clerk).post(f"{API}/outgoing/{pk}/submit/").status_code == 403  # only the drafter
    assert drafter.post(f"{API}/outgoing/{pk}/submit/").json()["status"] == "in_review"
    head = client_for(unit_head)
    assert "note" in errors_of(head.post(f"{API}/outgoing/{pk}/review/", {"approve": False}, format="json"))
    assert "approve" in errors_of(head.post(f"{API}/outgoing/{pk}/review/", {}, format="json"))
    response = head.post(f"{API}/outgoing/{pk}/review/", {"approve": True, "note": "Đồng ý"}, format="json")
    assert response.json()["status"] == "pending_approval"
    assert drafter.post(f"{API}/outgoing/{pk}/approve/", {}, format="json").status_code == 403
    boss = client_for(leader)
    assert boss.post(f"{API}/outgoing/{pk}/sign/").status_code == 403  # nobody designated to sign yet
    response = boss.post(f"{API}/outgoing/{pk}/approve/", {"approve": True}, format="json")
    assert response.json()["status"] == "approved" and response.json()["signer"]["id"] == leader.pk
    before = counts()
    not_signed = client_for(clerk).post(f"{API}/outgoing/{pk}/issue/", {}, format="json")
    assert "non_field_errors" in errors_of(not_signed)  # an illegal transition
    assert counts() == before
    assert client_for(clerk).post(f"{API}/outgoing/{pk}/sign/").status_code == 403
    response = boss.post(f"{API}/outgoing/{pk}/sign/")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "signed"
    assert response.json()["number_notation"] == ""  # numbered at issue, by the clerk
    assert drafter.post(f"{API}/outgoing/{pk}/issue/", {}, format="json").status_code == 403
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(clerk).post(f"{API}/outgoing/{pk}/issue/", {}, format="json")
    assert response.status_code == 200, response.content
    issued = response.json()
    assert issued["status"] == "issued" and issued["number_notation"] == "01/SNV-TC"
    assert [e["kind"] for e in issued["timeline"]] == [
        "drafted",
        "submitted",
        "reviewed",
        "approved",
        "signed",
        "issued",
    ]
    signed = next(a for a in issued["attachments"] if a["role"] == "signed")
    download = boss.get(signed["download_url"])
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == signed["sha256"]
    assert {r["agency"]["id"]: r["status_code"] for r in issued["recipients"]} == {
        tree.office.pk: "01",
        tree.other_province.pk: "01",
    }

    # The office's clerk registers the delivered document; the sender sees status 03.
    office = client_for(office_clerk)
    [delivered] = office.get(f"{API}/incoming/", {"status": "received"}).json()["results"]
    assert delivered["number_notation"] == "01/SNV-TC" and delivered["arrival_number"] is None
    with django_capture_on_commit_callbacks(execute=True):
        assert office.post(f"{API}/incoming/{delivered['id']}/accept/", {}, format="json").status_code == 200
    recipients = client_for(specialist).get(f"{API}/outgoing/{pk}/").json()["recipients"]
    office_row = next(r for r in recipients if r["agency"]["id"] == tree.office.pk)
    assert office_row["status_code"] == "03" and office_row["status_at"]
    # The office sees its own copy, not the sender's document; the sender does not see the office's copy.
    assert office.get(f"{API}/outgoing/{pk}/").status_code == 404
    assert client_for(clerk).get(f"{API}/incoming/{delivered['id']}/").status_code == 404

    listed = client_for(specialist).get(f"{API}/outgoing/", {"status": "issued"}).json()["results"]
    assert [r["id"] for r in listed] == [pk]
    assert client_for(specialist).get(f"{API}/outgoing/", {"q": "tap huan"}).json()["count"] == 1
    assert client_for(specialist).get(f"{API}/outgoing/", {"q": "khong co"}).json()["count"] == 0


def test_outgoing_bad_input_and_permissions(
    registers: Any, specialist: User, foreign_staff: User, cv: DocumentType, settings: Any
) -> None:
    tree = registers
    api = client_for(specialist)
    before = counts()
    errors = errors_of(api.post(f"{API}/outgoing/", {"document_type": cv.pk, "subject": "  "}, format="json"))
    assert {"subject", "drafting_unit"} <= set(errors)  # every field's error at once
    assert "subject" in errors_of(api.post(f"{API}/outgoing/", {"document_type": cv.pk}, format="json"))
    errors = errors_of(
        api.post(
            f"{API}/outgoing/",
            {"document_type": cv.pk, "subject": "Công văn", "drafting_unit": tree.unit.pk, "recipients": [0]},
            format="json",
        )
    )
    assert "recipients" in errors
    settings.EGOV_MAX_UPLOAD_MB = 1
    body = {
        "document_type": cv.pk,
        "subject": "Công văn",
        "drafting_unit": tree.unit.pk,
        "files": [_oversized()],
    }
    assert "files" in errors_of(api.post(f"{API}/outgoing/", body, format="multipart"))
    foreign = client_for(foreign_staff).post(
        f"{API}/outgoing/",
        {"agency": tree.department.pk, "document_type": cv.pk, "subject": "x", "drafting_unit": tree.unit.pk},
        format="json",
    )
    assert foreign.status_code == 403
    assert counts() == before
    # A draft without a file cannot be submitted.
    response = api.post(
        f"{API}/outgoing/", {"document_type": cv.pk, "subject": "Công văn", "drafting_unit": tree.unit.pk}
    )
    assert response.status_code == 201
    pk = response.json()["id"]
    assert "files" in errors_of(api.post(f"{API}/outgoing/{pk}/submit/"))
    assert OutgoingDocument.objects.get(pk=pk).status == O.DRAFT
    assert client_for(foreign_staff).get(f"{API}/outgoing/{pk}/").status_code == 404
    assert client_for(foreign_staff).post(f"{API}/outgoing/{pk}/submit/").status_code == 404


def test_outgoing_list_has_no_query_per_row(
    registers: Any, specialist: User, qd: DocumentType, django_assert_max_num_queries: Any
) -> None:
    from egov.documents import outgoing

    def draft(n: int) -> OutgoingDocument:
        return outgoing.create_draft(
            actor=specialist,
            agency=registers.department,
            document_type=qd,
            subject=f"Dự thảo {n}",
            drafting_unit=registers.unit,
        )

    first = draft(0)
    api = client_for(specialist)
    with CaptureQueriesContext(connection) as one:
        assert [r["id"] for r in api.get(f"{API}/outgoing/").json()["results"]] == [first.pk]
    later = [draft(n) for n in range(1, 8)]
    with django_assert_max_num_queries(len(one.captured_queries)):
        rows = api.get(f"{API}/outgoing/").json()["results"]
    assert [r["id"] for r in rows] == [d.pk for d in reversed([first, *later])]
    assert rows[0]["drafting_unit"]["short_name"] == "TC" and rows[0]["created_by"]["id"] == specialist.pk
