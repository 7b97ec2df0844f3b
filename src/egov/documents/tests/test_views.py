"""The staff pages of document management: who sees which page, the forms (errors save nothing), the
duplicate confirmation, each role's actions through the pages, the file view's headers, lists without a
query per row."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.directory.models import Role, User
from egov.directory.tests.fixtures import make_staff
from egov.documents import outgoing, services
from egov.documents.models import (
    Assignment,
    Attachment,
    IncomingDocument,
    OutgoingDocument,
    Register,
    RegisterCounter,
    StoredFile,
)
from egov.documents.services import AssignmentSpec
from egov.documents.tests.conftest import NamedBytes, pdf_bytes
from egov.documents.tests.test_incoming import register

HTMX = {"HTTP_HX_REQUEST": "true"}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def pdf_upload(
    name: str = "van-ban.pdf", text: str = "Quyet dinh thanh lap to cong tac"
) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def register_data(tree: Any, qd: Any, **overrides: Any) -> dict[str, Any]:
    data = {
        "register": Register.objects.get(agency=tree.department, name="Sổ văn bản đến").pk,
        "source": "paper",
        "document_type": qd.pk,
        "issuing_agency_name": "Ủy ban nhân dân tỉnh Demo",
        "code_number": "125",
        "code_notation": "QĐ-UBND",
        "issued_date": "03/11/2026",
        "subject": "Về việc thành lập tổ công tác chuyển đổi số",
        "signer_name": "Nguyễn Văn A",
        "signer_position": "Chủ tịch",
        "urgency": "1",
        "confidentiality": "0",
        "page_count": "2",
        "due_date": "",
    }
    data.update(overrides)
    return data


def counts() -> tuple[int, ...]:
    return (
        IncomingDocument.objects.count(),
        OutgoingDocument.objects.count(),
        Attachment.objects.count(),
        AuditEntry.objects.count(),
        RegisterCounter.objects.filter(last_number__gt=0).count(),
    )


@pytest.fixture
def unit_head(tree: Any) -> User:
    return make_staff("truongphong", tree.unit, Role.LEADER, title="Trưởng phòng", full_name="Đỗ Văn Nam")


@pytest.fixture
def incoming_doc(registers: Any, clerk: User, qd: Any) -> IncomingDocument:
    return register(clerk, registers, qd, files=[NamedBytes(pdf_bytes(), "qd-125.pdf")])


# --- Access -----------------------------------------------------------------------------------------------


def test_each_page_renders_for_the_right_roles(
    registers: Any, clerk: User, leader: User, specialist: User, incoming_doc: IncomingDocument, cv: Any
) -> None:
    draft = outgoing.create_draft(
        actor=specialist,
        agency=registers.department,
        document_type=cv,
        subject="Về việc cử cán bộ dự tập huấn",
        drafting_unit=registers.unit,
        files=[NamedBytes(pdf_bytes(), "du-thao.pdf")],
    )
    common = [
        reverse("documents-inbox"),
        reverse("incoming-list"),
        reverse("incoming-list") + "?status=registered&urgency=0&date_from=01/01/2020",
        reverse("outgoing-list"),
        reverse("documents-search"),
        reverse("documents-search") + "?q=to+cong+tac",
        reverse("documents-search") + "?direction=outgoing&q=tap+huan",
        reverse("incoming-detail", args=[incoming_doc.pk]),
        reverse("outgoing-detail", args=[draft.pk]),
        reverse("outgoing-draft"),
    ]
    for user in (clerk, leader, specialist):
        client = client_for(user)
        for url in common:
            response = client.get(url)
            assert response.status_code == 200, (user.username, url)
    clerk_client = client_for(clerk)
    assert clerk_client.get(reverse("incoming-register")).status_code == 200
    assert client_for(leader).get(reverse("incoming-assign", args=[incoming_doc.pk])).status_code == 200
    # Only clerks register, only leaders assign.
    assert client_for(specialist).get(reverse("incoming-register")).status_code == 403
    assert client_for(specialist).get(reverse("incoming-assign", args=[incoming_doc.pk])).status_code == 403
    # Navigation links of the staff header.
    page = clerk_client.get(reverse("documents-inbox")).content.decode()
    for label in ("Việc cần xử lý", "Văn bản đến", "Văn bản đi", "Tìm kiếm văn bản"):
        assert label in page


def test_anonymous_is_sent_to_login(incoming_doc: IncomingDocument) -> None:
    client = client_for(None)
    for url in (
        reverse("documents-inbox"),
        reverse("incoming-detail", args=[incoming_doc.pk]),
        reverse("document-file", args=[incoming_doc.attachments.get().pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_foreign_staff_sees_nothing(
    registers: Any, incoming_doc: IncomingDocument, foreign_staff: User, specialist: User, cv: Any
) -> None:
    draft = outgoing.create_draft(
        actor=specialist,
        agency=registers.department,
        document_type=cv,
        subject="Dự thảo nội bộ",
        drafting_unit=registers.unit,
        files=[NamedBytes(pdf_bytes(), "du-thao.pdf")],
    )
    client = client_for(foreign_staff)
    attachment = incoming_doc.attachments.get()
    for url in (
        reverse("incoming-detail", args=[incoming_doc.pk]),
        reverse("incoming-assign", args=[incoming_doc.pk]),
        reverse("outgoing-detail", args=[draft.pk]),
        reverse("document-file", args=[attachment.pk]) + "?inline=1",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        reverse("incoming-present", args=[incoming_doc.pk]),
        reverse("incoming-complete", args=[incoming_doc.pk]),
        reverse("outgoing-submit", args=[draft.pk]),
    ):
        assert client.post(url).status_code == 404, url
    # Lists and search show none of it.
    assert incoming_doc.subject not in client.get(reverse("incoming-list")).content.decode()
    search = client.get(reverse("documents-search") + "?q=to+cong+tac").content.decode()
    assert incoming_doc.subject not in search
    assert client.get(reverse("incoming-register")).status_code == 403


# --- Registering ------------------------------------------------------------------------------------------


def test_clerk_registers_a_paper_document_with_a_pdf(registers: Any, clerk: User, qd: Any) -> None:
    client = client_for(clerk)
    data = register_data(registers, qd, files=[pdf_upload(), pdf_upload("phu-luc.pdf", "Phu luc")])
    response = client.post(reverse("incoming-register"), data)
    assert response.status_code == 302
    doc = IncomingDocument.objects.get()
    assert response["Location"] == reverse("incoming-detail", args=[doc.pk])
    assert (doc.arrival_number, doc.number_notation, doc.status) == (1, "125/QĐ-UBND", "registered")
    assert doc.issued_date == dt.date(2026, 11, 3) and doc.urgency == 1 and doc.page_count == 2
    assert doc.agency == registers.department and doc.attachments.count() == 2
    page = client.get(response["Location"]).content.decode()
    assert "Đã vào sổ văn bản đến, số đến 1." in page
    assert "03/11/2026" in page and "125/QĐ-UBND" in page
    assert 'class="pdf-viewer"' in page and f"/documents/files/{doc.attachments.first().pk}/?inline=1" in page


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"code_notation": "CV-UBND"}, "code_notation", "không khớp loại Quyết định"),
        ({"code_number": "12a"}, "code_number", "Số văn bản chỉ gồm chữ số."),
        ({"issued_date": "31/02/2026"}, "issued_date", "Nhập ngày theo dạng dd/mm/yyyy"),
        ({"issued_date": "01/01/2099"}, "issued_date", "Ngày văn bản không thể sau ngày đến."),
        ({"subject": "", "issuing_agency_name": ""}, "subject", "Trường này là bắt buộc."),
        ({"due_date": "01/01/2026"}, "due_date", "Hạn xử lý không được trước ngày văn bản."),
        ({"confidentiality": "1"}, "register", "Văn bản mật phải vào sổ văn bản mật."),
        (
            {"files": [SimpleUploadedFile("virus.exe", b"MZ\x90\x00" * 100)]},
            "files",
            "không đúng định dạng cho phép",
        ),
        (
            {"files": [SimpleUploadedFile("hong.pdf", b"%PDF-1.7\n garbage without objects")]},
            "files",
            "bị hỏng, không đọc được",
        ),
    ],
)
def test_bad_input_gives_a_message_and_saves_nothing(
    registers: Any, clerk: User, qd: Any, overrides: dict[str, Any], field: str, message: str
) -> None:
    before = counts()
    files_before = StoredFile.objects.count()
    response = client_for(clerk).post(reverse("incoming-register"), register_data(registers, qd, **overrides))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Chưa lưu được" in page and message in page
    assert field in response.context["form"].errors
    assert counts() == before
    assert StoredFile.objects.count() == files_before


def test_oversized_file_is_refused(registers: Any, clerk: User, qd: Any, settings: Any) -> None:
    settings.EGOV_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("lon.pdf", b"%PDF-1.7\n" + b"0" * (1024 * 1024))
    before = counts()
    response = client_for(clerk).post(reverse("incoming-register"), register_data(registers, qd, files=[big]))
    assert response.status_code == 400
    assert "Tệp “lon.pdf” vượt quá 1 MB." in response.content.decode()
    assert counts() == before


def test_duplicate_is_registered_only_after_confirmation(registers: Any, clerk: User, qd: Any) -> None:
    client = client_for(clerk)
    assert client.post(reverse("incoming-register"), register_data(registers, qd)).status_code == 302
    first = IncomingDocument.objects.get()
    # The live check (htmx, on change of the identity fields) warns before the form is sent.
    check = client.get(
        reverse("incoming-duplicates"),
        {
            "register": first.register_id,
            "issuing_agency_name": "UỶ BAN NHÂN DÂN TỈNH DEMO",  # other case and accents: same agency
            "code_number": "0125",
            "code_notation": "QĐ-UBND",
            "issued_date": "03/11/2026",
        },
        **HTMX,
    )
    assert "Có thể trùng văn bản đã vào sổ" in check.content.decode()
    assert "số đến 1" in check.content.decode()
    assert "<html" not in check.content.decode()
    quiet = client.get(reverse("incoming-duplicates"), {"register": first.register_id, "code_number": "7"})
    assert "Có thể trùng" not in quiet.content.decode()
    # Sent without the confirmation: warned, nothing saved.
    before = counts()
    response = client.post(reverse("incoming-register"), register_data(registers, qd))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Có thể trùng văn bản đã vào sổ" in page and first.number_notation in page
    assert counts() == before
    # Confirmed: registered with the next arrival number.
    response = client.post(reverse("incoming-register"), register_data(registers, qd, confirm_duplicate="on"))
    assert response.status_code == 302
    assert sorted(IncomingDocument.objects.values_list("arrival_number", flat=True)) == [1, 2]


# --- The incoming flow through the pages -------------------------------------------------------------------


def test_clerk_presents_leader_assigns_specialist_completes(
    registers: Any, clerk: User, leader: User, specialist: User, incoming_doc: IncomingDocument
) -> None:
    doc = incoming_doc
    detail = reverse("incoming-detail", args=[doc.pk])
    clerk_client, leader_client, specialist_client = map(client_for, (clerk, leader, specialist))

    assert doc.subject in clerk_client.get(reverse("documents-inbox")).content.decode()
    page = clerk_client.get(detail).content.decode()
    assert "Trình lãnh đạo" in page and "Phân công xử lý</a>" not in page
    assert "Trình lãnh đạo" not in specialist_client.get(detail).content.decode()
    response = clerk_client.post(
        reverse("incoming-present", args=[doc.pk]),
        {"present-leader": leader.pk, "present-note": "Kính trình"},
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == IncomingDocument.Status.PRESENTED

    # The leader's inbox; the assign dialog arrives as a fragment inside the page.
    assert doc.subject in leader_client.get(reverse("documents-inbox")).content.decode()
    assert "Phân công xử lý" in leader_client.get(detail).content.decode()
    fragment = leader_client.get(reverse("incoming-assign", args=[doc.pk]), **HTMX).content.decode()
    assert "<html" not in fragment and 'role="dialog"' in fragment and "Specialist" not in fragment
    assert "Chuyenvien — Chuyên viên, Phòng Tổ chức" in fragment
    # A missing lead handler: refused, nothing assigned.
    bad = leader_client.post(reverse("incoming-assign", args=[doc.pk]), {"direction": "Xử lý"})
    assert bad.status_code == 400 and not Assignment.objects.exists()
    # Only a leader can assign.
    denied = specialist_client.post(
        reverse("incoming-assign", args=[doc.pk]), {"direction": "x", "lead": f"u{specialist.pk}"}
    )
    assert denied.status_code == 403
    response = leader_client.post(
        reverse("incoming-assign", args=[doc.pk]),
        {
            "direction": "Giao Phòng Tổ chức tham mưu, báo cáo trước hạn.",
            "lead": f"u{specialist.pk}",
            "inform": [f"u{clerk.pk}"],
            "cooperate": [f"a{registers.unit.pk}"],
            "deadline_working_days": "5",
        },
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == IncomingDocument.Status.ASSIGNED and doc.due_date is not None
    kinds = sorted(doc.assignments.values_list("kind", flat=True))
    assert kinds == ["cooperate", "inform", "lead"]

    # The specialist: opinion, then complete; a clerk cannot complete.
    inbox = specialist_client.get(reverse("documents-inbox")).content.decode()
    assert doc.subject in inbox
    page = specialist_client.get(detail).content.decode()
    assert "Ghi ý kiến" in page and "Hoàn thành xử lý" in page
    empty = specialist_client.post(reverse("incoming-opinion", args=[doc.pk]), {"opinion-text": " "})
    assert empty.status_code == 400
    response = specialist_client.post(
        reverse("incoming-opinion", args=[doc.pk]), {"opinion-text": "Đã dự thảo báo cáo."}
    )
    assert response.status_code == 302
    assert clerk_client.post(reverse("incoming-complete", args=[doc.pk])).status_code == 403
    response = specialist_client.post(
        reverse("incoming-complete", args=[doc.pk]), {"complete-summary": "Đã báo cáo bằng văn bản."}
    )
    assert response.status_code == 302
    doc.refresh_from_db()
    assert doc.status == IncomingDocument.Status.COMPLETED
    page = specialist_client.get(detail).content.decode()
    for text in (
        "Vào sổ văn bản đến",
        "Trình lãnh đạo",
        "Phân công xử lý",
        "Ý kiến xử lý",
        "Hoàn thành xử lý",
        "Đã dự thảo báo cáo.",
        "Chủ trì: Chuyenvien",
        "Để biết: Vanthu",
        "Phối hợp: Phòng Tổ chức",
    ):
        assert text in page, text
    assert doc.subject not in specialist_client.get(reverse("documents-inbox")).content.decode()


def test_lead_handler_forwards_within_the_unit(
    registers: Any, clerk: User, leader: User, specialist: User, incoming_doc: IncomingDocument
) -> None:
    colleague = make_staff("chuyenvien2", registers.unit, Role.SPECIALIST, full_name="Hoàng Thu Hà")
    services.assign(
        actor=leader, document=incoming_doc, direction="Xử lý", lead=AssignmentSpec("lead", user=specialist)
    )
    client = client_for(specialist)
    page = client.get(reverse("incoming-detail", args=[incoming_doc.pk])).content.decode()
    assert "Chuyển xử lý trong đơn vị" in page and "Hoàng Thu Hà" in page
    assert client.post(reverse("incoming-forward", args=[incoming_doc.pk]), {}).status_code == 400
    response = client.post(
        reverse("incoming-forward", args=[incoming_doc.pk]),
        {"forward-to": colleague.pk, "forward-note": "Nhờ chị Hà xử lý tiếp"},
    )
    assert response.status_code == 302
    lead = incoming_doc.assignments.get(kind="lead", completed_at__isnull=True)
    assert lead.user == colleague
    # The former lead handler no longer sees the actions; the new one does.
    assert (
        "Hoàn thành xử lý</button>"
        not in client.get(reverse("incoming-detail", args=[incoming_doc.pk])).content.decode()
    )
    page = client_for(colleague).get(reverse("incoming-detail", args=[incoming_doc.pk])).content.decode()
    assert "Hoàn thành xử lý</button>" in page and "Chuyển cho: Hoàng Thu Hà" in page


def test_a_wrong_step_shows_the_services_message(
    registers: Any, clerk: User, incoming_doc: IncomingDocument
) -> None:
    client = client_for(clerk)
    client.post(reverse("incoming-present", args=[incoming_doc.pk]), {})
    response = client.post(reverse("incoming-present", args=[incoming_doc.pk]), {})  # already presented
    assert response.status_code == 400
    assert "Không thể chuyển văn bản từ trạng thái “Đã trình lãnh đạo”" in response.content.decode()


def test_received_document_is_accepted_or_refused(registers: Any, clerk: User, qd: Any) -> None:
    received = register(clerk, registers, qd, number_now=False, source="exchange")
    other = register(clerk, registers, qd, code_number="200", number_now=False, source="exchange")
    client = client_for(clerk)
    page = client.get(reverse("incoming-detail", args=[received.pk])).content.decode()
    assert "Tiếp nhận, vào sổ" in page and "Từ chối tiếp nhận" in page
    register_pk = Register.objects.get(agency=registers.department, name="Sổ văn bản đến").pk
    assert (
        client.post(
            reverse("incoming-accept", args=[received.pk]), {"accept-register": register_pk}
        ).status_code
        == 302
    )
    received.refresh_from_db()
    assert received.status == "registered" and received.arrival_number == 1
    assert client.post(reverse("incoming-refuse", args=[other.pk]), {"refuse-reason": ""}).status_code == 400
    response = client.post(reverse("incoming-refuse", args=[other.pk]), {"refuse-reason": "Gửi nhầm cơ quan"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.status == "refused" and other.refusal_reason == "Gửi nhầm cơ quan"


# --- Outgoing ---------------------------------------------------------------------------------------------


@pytest.fixture
def certificates(registers: Any, leader: User) -> None:
    from egov.signing import services as signing

    signing.ensure_builtin_ca(actor=None)
    signing.issue_personal_certificate(actor=None, user=leader, agency=registers.department)
    signing.issue_agency_certificate(actor=None, agency=registers.department)


def test_draft_review_approve_sign_issue_through_the_pages(
    registers: Any,
    clerk: User,
    leader: User,
    specialist: User,
    unit_head: User,
    cv: Any,
    certificates: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    tree = registers
    services.ensure_default_registers(actor=None, agency=tree.office)
    specialist_client = client_for(specialist)
    form = specialist_client.get(reverse("outgoing-draft")).content.decode()
    assert "Phòng Tổ chức" in form and "KT. GIÁM ĐỐC" in form
    # Recipients come from the directory, searched without accents.
    found = specialist_client.get(
        reverse("outgoing-recipient-search"), {"recipient_q": "van phong ubnd"}, **HTMX
    ).content.decode()
    assert "Văn phòng UBND tỉnh" in found and f"?id={tree.office.pk}" in found
    picked = specialist_client.get(reverse("outgoing-recipient-pick"), {"id": tree.office.pk}, **HTMX)
    assert f'name="recipients" value="{tree.office.pk}" checked' in picked.content.decode()
    again = specialist_client.get(
        reverse("outgoing-recipient-pick"), {"id": tree.office.pk, "recipients": [tree.office.pk]}, **HTMX
    )
    assert again.content == b""

    response = specialist_client.post(
        reverse("outgoing-draft"),
        {
            "agency": tree.department.pk,
            "document_type": cv.pk,
            "subject": "Về việc cử cán bộ tham gia tập huấn chuyển đổi số",
            "drafting_unit": tree.unit.pk,
            "signer": leader.pk,
            "signing_authority": "",
            "urgency": "0",
            "confidentiality": "0",
            "recipients": [tree.office.pk, tree.other_province.pk],
            "recipients_text": "- Như trên;\n- Lưu: VT, TC.",
            "files": [pdf_upload("du-thao.pdf", "Cong van cu can bo")],
        },
    )
    assert response.status_code == 302
    doc = OutgoingDocument.objects.get()
    detail = reverse("outgoing-detail", args=[doc.pk])
    assert doc.recipients.count() == 2 and doc.signer == leader and doc.status == "draft"
    assert "Trình duyệt" in specialist_client.get(detail).content.decode()
    assert specialist_client.post(reverse("outgoing-submit", args=[doc.pk])).status_code == 302

    head_client = client_for(unit_head)
    assert doc.subject in head_client.get(reverse("documents-inbox")).content.decode()
    assert "Đồng ý, trình lãnh đạo cơ quan" in head_client.get(detail).content.decode()
    returned = head_client.post(reverse("outgoing-review", args=[doc.pk]), {"decision-decision": "return"})
    assert returned.status_code == 400 and "Cần ghi lý do trả lại." in returned.content.decode()
    response = head_client.post(
        reverse("outgoing-review", args=[doc.pk]), {"decision-decision": "approve", "decision-note": "Đồng ý"}
    )
    assert response.status_code == 302

    leader_client = client_for(leader)
    assert client_for(specialist).post(
        reverse("outgoing-approve", args=[doc.pk]), {"decision-decision": "approve"}
    ).status_code in (403, 400)
    assert (
        leader_client.post(
            reverse("outgoing-approve", args=[doc.pk]), {"decision-decision": "approve"}
        ).status_code
        == 302
    )
    page = leader_client.get(detail).content.decode()
    assert "Ký số" in page and "chứng thư số của Giamdoc" in page
    assert leader_client.post(reverse("outgoing-sign", args=[doc.pk])).status_code == 302
    doc.refresh_from_db()
    assert doc.status == "signed"
    signed = doc.attachments.get(role=Attachment.Role.SIGNED)
    assert f"/documents/files/{signed.pk}/?inline=1" in leader_client.get(detail).content.decode()

    clerk_client = client_for(clerk)
    assert doc.subject in clerk_client.get(reverse("documents-inbox")).content.decode()
    outgoing_register = Register.objects.get(agency=tree.department, name="Sổ văn bản đi")
    with django_capture_on_commit_callbacks(execute=True):
        response = clerk_client.post(
            reverse("outgoing-issue", args=[doc.pk]), {"issue-register": outgoing_register.pk}
        )
    assert response.status_code == 302
    page = clerk_client.get(detail).content.decode()
    assert "Đã cấp số 01/SNV-TC và phát hành văn bản." in page
    assert "01/SNV-TC" in page and "Văn phòng UBND tỉnh" in page
    assert page.count("01 · Đã đến") == 2  # both recipients are inside egov: delivered at once
    listing = clerk_client.get(reverse("outgoing-list")).content.decode()
    assert "01/SNV-TC" in listing


def test_signing_without_a_certificate_says_why(
    registers: Any, leader: User, specialist: User, qd: Any
) -> None:
    doc = outgoing.create_draft(
        actor=specialist,
        agency=registers.department,
        document_type=qd,
        subject="Quyết định thành lập hội đồng",
        files=[NamedBytes(pdf_bytes(), "du-thao.pdf")],
    )
    outgoing.submit(actor=specialist, document=doc)
    outgoing.review(actor=leader, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    client = client_for(leader)
    page = client.get(reverse("outgoing-detail", args=[doc.pk])).content.decode()
    assert "Bạn chưa có chứng thư số cá nhân còn hiệu lực. Liên hệ quản trị để được cấp." in page
    response = client.post(reverse("outgoing-sign", args=[doc.pk]), follow=True)
    assert "Bạn chưa có chứng thư số cá nhân còn hiệu lực." in response.content.decode()
    doc.refresh_from_db()
    assert doc.status == OutgoingDocument.Status.APPROVED
    # Someone else cannot sign: the service refuses (403).
    assert client_for(specialist).post(reverse("outgoing-sign", args=[doc.pk])).status_code == 403


def test_bad_draft_saves_nothing(registers: Any, specialist: User, cv: Any) -> None:
    before = counts()
    response = client_for(specialist).post(
        reverse("outgoing-draft"),
        {
            "agency": registers.department.pk,
            "document_type": cv.pk,
            "subject": "",
            "urgency": "0",
            "confidentiality": "0",
            "recipients": ["999999"],
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"subject", "drafting_unit", "files", "recipients"} <= set(errors)
    assert "Công văn cần đơn vị soạn thảo có tên viết tắt" in response.content.decode()
    assert counts() == before


# --- Files ------------------------------------------------------------------------------------------------


def test_file_view_headers(incoming_doc: IncomingDocument, clerk: User) -> None:
    att = incoming_doc.attachments.get()
    client = client_for(clerk)
    inline = client.get(reverse("document-file", args=[att.pk]) + "?inline=1")
    assert inline.status_code == 200
    assert inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"].startswith("inline")
    assert inline["X-Frame-Options"] == "SAMEORIGIN"
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert inline["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert b"".join(inline.streaming_content).startswith(b"%PDF-")
    download = client.get(reverse("document-file", args=[att.pk]))
    assert (
        download["Content-Disposition"].startswith("attachment")
        and "qd-125.pdf" in download["Content-Disposition"]
    )
    assert client.get(reverse("document-file", args=[att.pk + 1000])).status_code == 404


# --- Lists, flags, search ---------------------------------------------------------------------------------


def test_lists_are_paginated_without_a_query_per_row(registers: Any, clerk: User, qd: Any) -> None:
    client = client_for(clerk)
    register(clerk, registers, qd, code_number="1")

    def queries(url: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    few = {url: queries(url) for url in (reverse("incoming-list"), reverse("documents-inbox"))}
    for n in range(2, 32):
        register(
            clerk, registers, qd, code_number=str(n), due_date=timezone.localdate() + dt.timedelta(days=n)
        )
    for url, count in few.items():
        assert queries(url) <= count + 1, url  # +1: the paginator's count query once there are pages
    page1 = client.get(reverse("incoming-list")).content.decode()
    page2 = client.get(reverse("incoming-list") + "?page=2").content.decode()
    assert "Trang 1/2" in page1 and "Trang 2/2" in page2
    # Stable order: newest first; every document on exactly one page.
    numbers = [d.arrival_number for d in IncomingDocument.objects.order_by("-arrival_date", "-id")]
    assert f">{numbers[0]}<" in page1 and f">{numbers[-1]}<" in page2


def test_deadline_flags_are_words(
    registers: Any, clerk: User, leader: User, specialist: User, qd: Any
) -> None:
    today = timezone.localdate()
    late = register(clerk, registers, qd, code_number="1", due_date=today - dt.timedelta(days=3))
    soon = register(clerk, registers, qd, code_number="2", subject="Sắp tới hạn", due_date=today)
    page = client_for(clerk).get(reverse("incoming-list")).content.decode()
    assert "Quá hạn" in page and "Sắp đến hạn" in page
    detail = client_for(clerk).get(reverse("incoming-detail", args=[late.pk])).content.decode()
    assert 'class="flag flag-late">Quá hạn' in detail
    services.assign(
        actor=leader, document=soon, direction="Xử lý", lead=AssignmentSpec("lead", user=specialist)
    )
    inbox = client_for(specialist).get(reverse("documents-inbox")).content.decode()
    assert "Sắp đến hạn" in inbox and "Xử lý văn bản" in inbox


def test_search_with_filters(registers: Any, clerk: User, qd: Any, cv: Any) -> None:
    register(clerk, registers, qd, code_number="1", subject="Quyết định thành lập tổ công tác")
    register(
        clerk,
        registers,
        cv,
        code_number="2",
        code_notation="UBND-VX",
        subject="Công văn về tổ công tác phòng chống bão",
        issuing_agency_name="Ủy ban nhân dân xã An Bình",
        urgency=2,
    )
    client = client_for(clerk)

    def subjects(**params: Any) -> str:
        return client.get(reverse("documents-search"), params).content.decode()

    page = subjects(q="to cong tac")
    assert "Tìm thấy 2 văn bản" in page
    assert "Tìm thấy 1 văn bản" in subjects(q="to cong tac", document_type=cv.pk)
    assert "Tìm thấy 1 văn bản" in subjects(q="to cong tac", agency_text="an binh")
    assert "Tìm thấy 1 văn bản" in subjects(q="to cong tac", urgency=2)
    assert "Tìm thấy 0 văn bản" in subjects(q="to cong tac", status="completed")
    assert "Tìm thấy 0 văn bản" in subjects(q="to cong tac", date_from="01/01/2027")
    assert "1 văn bản phù hợp điều kiện lọc" in subjects(agency_text="AN BÌNH")
    bad = subjects(q="to cong tac", date_from="32/13/2026")
    assert "Nhập ngày theo dạng dd/mm/yyyy" in bad and "Tìm thấy 2 văn bản" in bad
    fragment = client.get(reverse("documents-search"), {"q": "bao"}, **HTMX).content.decode()
    assert "<html" not in fragment and "phòng chống bão" in fragment


def test_english_interface(registers: Any, clerk: User, incoming_doc: IncomingDocument) -> None:
    client = client_for(clerk)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("incoming-list")).content.decode()
    assert "Incoming documents" in page and "Arrival no." in page
    detail = client.get(reverse("incoming-detail", args=[incoming_doc.pk])).content.decode()
    assert "Present to the leader" in detail


def test_register_exports(
    registers: Any, clerk: User, incoming_doc: IncomingDocument, foreign_staff: User
) -> None:
    pytest.importorskip("egov.documents.exports")
    book = Register.objects.get(agency=registers.department, name="Sổ văn bản đến")
    client = client_for(clerk)
    assert "Tải sổ (Excel)" in client.get(reverse("incoming-list")).content.decode()
    xlsx = client.get(reverse("incoming-export"), {"register": book.pk, "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Disposition"].startswith("attachment")
    assert xlsx.content[:2] == b"PK"
    pdf = client.get(
        reverse("incoming-export"), {"register": book.pk, "format": "pdf", "date_from": "01/01/2020"}
    )
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    bad = client.get(reverse("incoming-export"), {"register": book.pk, "format": "doc"})
    assert bad.status_code == 302
    foreign = client_for(foreign_staff).get(
        reverse("incoming-export"), {"register": book.pk, "format": "xlsx"}
    )
    assert foreign.status_code == 302  # not one of their registers: back to the list with a message


def test_revocation_through_the_pages(client, registers, clerk, leader, specialist, qd):
    """The sender's leader revokes an issued document; the recipient clerk answers on the incoming page."""
    from egov.directory.models import Role
    from egov.directory.tests.fixtures import make_staff
    from egov.documents import outgoing, services
    from egov.documents.models import IncomingDocument, OutgoingDocument
    from egov.documents.tests.conftest import NamedBytes, pdf_bytes
    from egov.signing import services as signing

    tree = registers
    services.ensure_default_registers(actor=None, agency=tree.office)
    office_clerk = make_staff("vanthu_vp2", tree.office, Role.CLERK)
    signing.ensure_builtin_ca(actor=None)
    signing.issue_personal_certificate(actor=None, user=leader, agency=tree.department)
    signing.issue_agency_certificate(actor=None, agency=tree.department)
    doc = outgoing.create_draft(
        actor=specialist,
        agency=tree.department,
        document_type=qd,
        subject="Quyết định",
        recipients=[tree.office],
        files=[NamedBytes(pdf_bytes(), "qd.pdf")],
    )
    outgoing.submit(actor=specialist, document=doc)
    outgoing.review(actor=leader, document=doc, approve=True)
    outgoing.approve(actor=leader, document=doc)
    outgoing.sign(actor=leader, document=doc)
    outgoing.issue(actor=clerk, document=doc)

    client.force_login(leader)
    page = client.get(f"/documents/outgoing/{doc.pk}/")
    assert "Thu hồi văn bản" in page.content.decode()
    assert client.post(f"/documents/outgoing/{doc.pk}/revoke/", {"revoke-reason": ""}).status_code == 400
    response = client.post(f"/documents/outgoing/{doc.pk}/revoke/", {"revoke-reason": "Ban hành nhầm"})
    assert response.status_code == 302
    assert OutgoingDocument.objects.get(pk=doc.pk).status == "revoked"

    copy = IncomingDocument.objects.get(agency=tree.office)
    client.logout()
    client.force_login(office_clerk)
    page = client.get(f"/documents/incoming/{copy.pk}/").content.decode()
    assert "Đề nghị thu hồi văn bản" in page and "Ban hành nhầm" in page
    bad = client.post(f"/documents/incoming/{copy.pk}/revocation/", {"revocation-decision": "refuse"})
    assert bad.status_code == 400
    ok = client.post(f"/documents/incoming/{copy.pk}/revocation/", {"revocation-decision": "accept"})
    assert ok.status_code == 302
    assert IncomingDocument.objects.get(pk=copy.pk).status == "revoked"
