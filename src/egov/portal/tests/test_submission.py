"""Online submission through the portal: the happy path and every bad input (nothing is half-saved)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from egov.documents.models import StoredFile
from egov.dossiers import services
from egov.dossiers.models import CitizenDocument, Dossier, DossierPaper, Status
from egov.procedures.models import Procedure

from .conftest import PASSWORD, pdf_bytes


def url(world):
    return reverse("portal:submit", args=[world.procedure.code])


def pdf(name="to-khai.pdf", text="To khai"):
    return SimpleUploadedFile(name, pdf_bytes(text), content_type="application/pdf")


def form_data(world, **changes):
    papers = list(world.procedure.papers.all())
    data = {
        "applicant_name": "Nguyễn Văn An",
        "applicant_identity": "001090000001",
        "applicant_phone": "0912345678",
        "applicant_email": "an@example.vn",
        "applicant_address": "12 Lê Lợi, Cần Thơ",
        "description": "Xin cấp",
        "idempotency_key": "key-1",
        f"paper_{papers[0].pk}": pdf("to-khai.pdf"),
        f"paper_{papers[1].pk}": pdf("cccd.pdf", "CCCD"),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def nothing_saved():
    assert Dossier.objects.count() == 0
    assert DossierPaper.objects.count() == 0
    assert StoredFile.objects.count() == 0


def test_pages_need_a_citizen_account(client, world):
    response = client.get(url(world))
    assert response.status_code == 302 and response["Location"].startswith(reverse("portal:login"))
    assert client.get(reverse("portal:my-dossiers")).status_code == 302
    client.force_login(world.officer)
    response = client.get(url(world))
    assert response.status_code == 403
    assert "tài khoản cán bộ" in response.text


def test_citizen_logs_in_on_the_portal_and_staff_is_refused(client, world):
    response = client.post(
        reverse("portal:login"), {"username": "0912 345 678", "password": PASSWORD, "next": url(world)}
    )
    assert response.status_code == 302 and response["Location"] == url(world)
    client.logout()
    response = client.post(reverse("portal:login"), {"username": "motcua", "password": PASSWORD})
    assert response.status_code == 200
    assert "Tài khoản cán bộ, công chức không dùng để nộp hồ sơ" in response.text


def test_register_a_citizen_account(client, world):
    response = client.post(
        reverse("portal:register"),
        {
            "full_name": "Lê Thị Cúc",
            "identity_number": "001090000077",
            "phone": "0933333333",
            "email": "",
            "password": "Mat-khau-rat-manh-2026",
            "password2": "Mat-khau-rat-manh-2026",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("portal:my-dossiers")).status_code == 200


def test_form_is_prefilled_from_the_account(client, world):
    client.force_login(world.citizen)
    response = client.get(url(world))
    assert response.status_code == 200
    text = response.text
    assert 'value="Nguyễn Văn An"' in text and 'value="001090000001"' in text and 'value="0912345678"' in text
    assert 'name="idempotency_key"' in text and "data-upload-progress" in text
    assert "Tờ khai" in text and "Bản sao CCCD" in text


def test_submission_happy_path(client, world):
    client.force_login(world.citizen)
    response = client.post(url(world), form_data(world))
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert response["Location"] == reverse("portal:submitted", args=[dossier.pk])
    assert dossier.status == Status.NEW and dossier.owner == world.citizen
    assert dossier.applicant_email == "an@example.vn" and dossier.applicant_address == "12 Lê Lợi, Cần Thơ"
    assert dossier.papers.filter(file__isnull=False).count() == 2
    page = client.get(response["Location"])
    assert dossier.code in page.text and "Ngày hẹn trả dự kiến" in page.text
    mine = client.get(reverse("portal:my-dossiers"))
    assert dossier.code in mine.text and "Mới đăng ký" in mine.text


def test_double_submission_with_the_same_key_makes_one_dossier(client, world):
    client.force_login(world.citizen)
    first = client.post(url(world), form_data(world))
    second = client.post(url(world), form_data(world))
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert Dossier.objects.count() == 1
    third = client.post(url(world), form_data(world, idempotency_key="key-2"))
    assert third.status_code == 302 and Dossier.objects.count() == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"applicant_identity": "12345"}, "Số CCCD phải gồm đúng 12 chữ số"),
        ({"applicant_identity": "999090000001"}, "mã tỉnh"),
        ({"applicant_phone": "0112345678"}, "Số điện thoại"),
        ({"applicant_email": "an@@example"}, "không hợp lệ"),
        ({"applicant_phone": "", "applicant_email": ""}, "Cần số điện thoại hoặc thư điện tử"),
        ({"applicant_name": ""}, "Họ và tên chủ hồ sơ"),
    ],
)
def test_bad_applicant_is_refused_and_nothing_saved(client, world, changes, message):
    client.force_login(world.citizen)
    response = client.post(url(world), form_data(world, **changes))
    assert response.status_code == 400
    assert message in response.text
    nothing_saved()
    # The idempotency key is kept so the corrected form is still one submission.
    assert 'value="key-1"' in response.text


def test_missing_required_paper(client, world):
    client.force_login(world.citizen)
    paper = world.procedure.papers.order_by("order").last()
    response = client.post(url(world), form_data(world, **{f"paper_{paper.pk}": None}))
    assert response.status_code == 400
    assert "Cần tải lên tệp hoặc chọn giấy tờ từ kho dữ liệu" in response.text
    nothing_saved()


def test_wrong_file_type(client, world):
    client.force_login(world.citizen)
    paper = world.procedure.papers.order_by("order").first()
    fake = SimpleUploadedFile("to-khai.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    response = client.post(url(world), form_data(world, **{f"paper_{paper.pk}": fake}))
    assert response.status_code == 400
    assert "không đúng định dạng cho phép" in response.text
    nothing_saved()


def test_oversized_upload(client, world, settings):
    settings.EGOV_MAX_UPLOAD_MB = 1
    client.force_login(world.citizen)
    paper = world.procedure.papers.order_by("order").first()
    big = SimpleUploadedFile(
        "scan.pdf", pdf_bytes() + b"%" * (1024 * 1024 + 10), content_type="application/pdf"
    )
    response = client.post(url(world), form_data(world, **{f"paper_{paper.pk}": big}))
    assert response.status_code == 400
    assert "vượt quá 1 MB" in response.text
    nothing_saved()


def test_corrupt_pdf_caught_by_the_service_leaves_nothing(client, world):
    client.force_login(world.citizen)
    paper = world.procedure.papers.order_by("order").first()
    broken = SimpleUploadedFile(
        "to-khai.pdf", b"%PDF-1.7\n garbage without objects", content_type="application/pdf"
    )
    response = client.post(url(world), form_data(world, **{f"paper_{paper.pk}": broken}))
    assert response.status_code == 400
    assert "bị hỏng" in response.text
    nothing_saved()


def test_reuse_a_document_of_the_citizen_store(client, world):
    client.force_login(world.citizen)
    assert client.post(url(world), form_data(world)).status_code == 302
    first = Dossier.objects.get()
    stored = first.papers.order_by("id").first().file
    doc = CitizenDocument.objects.create(
        owner=world.citizen, paper_code="TO_KHAI", name="Tờ khai cũ", file=stored
    )
    paper = world.procedure.papers.order_by("order").first()
    response = client.post(
        url(world),
        form_data(
            world, idempotency_key="key-2", **{f"paper_{paper.pk}": None, f"doc_{paper.pk}": str(doc.pk)}
        ),
    )
    assert response.status_code == 302
    second = Dossier.objects.exclude(pk=first.pk).get()
    assert second.papers.filter(citizen_document=doc, file=stored).exists()
    # Another citizen's document cannot be used.
    other = CitizenDocument.objects.create(owner=world.other_citizen, name="Của người khác", file=stored)
    response = client.post(
        url(world),
        form_data(
            world, idempotency_key="key-3", **{f"paper_{paper.pk}": None, f"doc_{paper.pk}": str(other.pk)}
        ),
    )
    assert response.status_code == 400 and Dossier.objects.count() == 2


def test_procedure_not_online(client, world):
    Procedure.objects.filter(pk=world.procedure.pk).update(online_level=Procedure.OnlineLevel.NONE)
    client.force_login(world.citizen)
    response = client.get(url(world))
    assert response.status_code == 302 and response["Location"] == reverse(
        "portal:procedure", args=[world.procedure.code]
    )


def test_group_submission_one_form_one_code(client, group_world):
    world, group, procedures, _agencies = group_world
    client.force_login(world.citizen)
    submit_url = reverse("portal:group-submit", args=[group.code])
    page = client.get(submit_url)
    assert page.status_code == 200 and all(p.name in page.text for p in procedures)
    data = form_data(world, idempotency_key="g-1")
    for key in [k for k in data if k.startswith("paper_")]:
        del data[key]
    for procedure in procedures:
        for paper in procedure.papers.all():
            data[f"paper_{paper.pk}"] = pdf(f"{paper.code}.pdf")
    response = client.post(submit_url, data)
    assert response.status_code == 302
    assert Dossier.objects.count() == 3
    codes = {d.group.code for d in Dossier.objects.select_related("group")}
    assert len(codes) == 1
    code = codes.pop()
    assert response["Location"] == reverse("portal:group", args=[code])
    again = client.post(submit_url, {**data, **{k: pdf() for k in data if k.startswith("paper_")}})
    assert again["Location"] == response["Location"] and Dossier.objects.count() == 3
    page = client.get(response["Location"])
    assert code in page.text and "Mới đăng ký" in page.text
    client.logout()
    status = client.get(reverse("portal:status", args=[code]))
    assert status.status_code == 200 and all(p.name in status.text for p in procedures)
    assert "Nguyễn Văn An" not in status.text


def test_service_refusal_shown_not_saved(client, world):
    """A rule only the service knows (the agency's code is missing) becomes a message; nothing saved."""
    world.tree.department.code_qcvn102 = ""
    world.tree.department.save()
    client.force_login(world.citizen)
    response = client.post(url(world), form_data(world))
    assert response.status_code == 400
    nothing_saved()
    assert services  # the service decided


def test_upload_script_gets_the_target_in_a_header(client, world):
    """The progress script posts with XMLHttpRequest: success answers X-Redirect (no redirect to follow),
    errors answer the form again."""
    client.force_login(world.citizen)
    bad = client.post(
        url(world), form_data(world, applicant_identity="1"), HTTP_X_REQUESTED_WITH="XMLHttpRequest"
    )
    assert bad.status_code == 400 and "X-Redirect" not in bad
    ok = client.post(url(world), form_data(world), HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    dossier = Dossier.objects.get()
    assert ok.status_code == 200 and ok["X-Redirect"] == reverse("portal:submitted", args=[dossier.pk])
