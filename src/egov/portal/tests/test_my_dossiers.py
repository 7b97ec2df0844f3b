"""'Hồ sơ của tôi': a dossier's page and its actions, only for its owner; the public status lookup."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from egov.dossiers import services
from egov.dossiers.models import Dossier, Payment, Rating, Status
from egov.dossiers.tests.conftest import pdf_io, submit

from .conftest import pdf_bytes


def pdf(name="bo-sung.pdf"):
    return SimpleUploadedFile(name, pdf_bytes("Bo sung"), content_type="application/pdf")


def test_another_citizens_dossier_is_a_404(client, world):
    dossier = submit(world)
    paper = dossier.papers.first()
    client.force_login(world.other_citizen)
    for name, args in [
        ("portal:dossier", [dossier.pk]),
        ("portal:submitted", [dossier.pk]),
        ("portal:result", [dossier.pk]),
        ("portal:paper", [dossier.pk, paper.pk]),
    ]:
        assert client.get(reverse(name, args=args)).status_code == 404, name
    for name in ("portal:withdraw", "portal:pay", "portal:rate", "portal:feedback", "portal:supplement"):
        assert (
            client.post(
                reverse(name, args=[dossier.pk]), {"reason": "x", "text": "x", "score": 5}
            ).status_code
            == 404
        )
    dossier.refresh_from_db()
    assert dossier.status == Status.NEW
    assert dossier.code not in client.get(reverse("portal:my-dossiers")).text
    client.force_login(world.citizen)
    page = client.get(reverse("portal:dossier", args=[dossier.pk]))
    assert page.status_code == 200 and dossier.code in page.text
    assert client.get(reverse("portal:paper", args=[dossier.pk, paper.pk])).status_code == 200


def test_supplement_payment_result_and_rating(client, world):
    dossier = submit(world)
    dossier = services.accept(actor=world.officer, dossier=dossier)
    dossier = services.request_supplement(
        actor=world.officer, dossier=dossier, reason="Thiếu bản sao sổ hộ khẩu", papers=["Bản sao sổ hộ khẩu"]
    )
    client.force_login(world.citizen)
    page = client.get(reverse("portal:dossier", args=[dossier.pk]))
    assert "Thiếu bản sao sổ hộ khẩu" in page.text and "Bản sao sổ hộ khẩu" in page.text
    url = reverse("portal:supplement", args=[dossier.pk])
    bad = client.post(url, {"note": ""})
    assert bad.status_code == 400 and "Cần tải lên ít nhất một giấy tờ bổ sung" in bad.text
    wrong = client.post(
        url, {"file_0": SimpleUploadedFile("a.pdf", b"not a pdf", content_type="application/pdf")}
    )
    assert wrong.status_code == 400 and "không đúng định dạng" in wrong.text
    assert Dossier.objects.get(pk=dossier.pk).status == Status.SUPPLEMENT
    ok = client.post(url, {"file_0": pdf(), "note": "Đã bổ sung"})
    assert ok.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED
    assert dossier.papers.filter(supplement__isnull=False).count() == 1

    dossier = services.start_processing(actor=world.officer, dossier=dossier, handler=world.specialist)
    dossier = services.request_payment(actor=world.officer, dossier=dossier)
    page = client.get(reverse("portal:dossier", args=[dossier.pk]))
    assert "50.000" in page.text and "Thanh toán trực tuyến" in page.text
    assert client.post(reverse("portal:pay", args=[dossier.pk])).status_code == 302
    payment = Payment.objects.get(dossier=dossier)
    assert payment.state == Payment.State.PAID and payment.method == "sandbox"
    again = client.post(reverse("portal:pay", args=[dossier.pk]), follow=True)
    assert "không có khoản phí" in again.text and Payment.objects.filter(dossier=dossier).count() == 1

    # No result yet: nothing to download, no rating.
    assert client.get(reverse("portal:result", args=[dossier.pk])).status_code == 404
    assert client.post(reverse("portal:rate", args=[dossier.pk]), {"score": 5}).status_code == 400
    dossier = services.complete_step(actor=world.specialist, dossier=dossier, note="Hợp lệ")
    dossier = services.attach_result(actor=world.leader, dossier=dossier, upload=pdf_io(), note="Bản sao")
    dossier = services.complete_step(actor=world.leader, dossier=dossier)
    assert dossier.status == Status.DONE
    result = client.get(reverse("portal:result", args=[dossier.pk]))
    assert result.status_code == 200 and result["Content-Type"] == "application/pdf"
    assert b"".join(result.streaming_content).startswith(b"%PDF")
    assert client.post(reverse("portal:rate", args=[dossier.pk]), {"score": 9}).status_code == 400
    assert (
        client.post(reverse("portal:rate", args=[dossier.pk]), {"score": 4, "comment": "Nhanh"}).status_code
        == 302
    )
    assert Rating.objects.get(dossier=dossier).score == 4
    assert "Bạn đã đánh giá 4/5" in client.get(reverse("portal:dossier", args=[dossier.pk])).text
    assert client.post(reverse("portal:feedback", args=[dossier.pk]), {"text": ""}).status_code == 400
    assert client.post(reverse("portal:feedback", args=[dossier.pk]), {"text": "Cảm ơn"}).status_code == 302


def test_withdraw(client, world):
    dossier = submit(world)
    client.force_login(world.citizen)
    response = client.post(reverse("portal:withdraw", args=[dossier.pk]), {"reason": "Nộp nhầm"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN and dossier.end_reason == "Nộp nhầm"
    page = client.get(reverse("portal:dossier", args=[dossier.pk]))
    assert "Xác nhận rút hồ sơ" not in page.text
    again = client.post(reverse("portal:withdraw", args=[dossier.pk]), {"reason": ""})
    assert again.status_code == 400


def test_status_lookup_shows_no_personal_data(client, world):
    dossier = submit(world)
    dossier = services.accept(actor=world.officer, dossier=dossier)
    response = client.get(reverse("portal:status", args=[dossier.code]))
    assert response.status_code == 200
    text = response.text
    assert dossier.code in text and "Được tiếp nhận" in text and world.procedure.name in text
    assert world.tree.department.name in text
    assert timezone.localtime(dossier.due_at).strftime("%d/%m/%Y") in text
    for private in ("Nguyễn Văn An", "001090000001", "0912345678", "0912345678@example.vn"):
        assert private not in text
    assert response["Cache-Control"] == "no-store"
    missing = client.get(reverse("portal:status", args=["KHONG-CO"]))
    assert missing.status_code == 404 and "Không tìm thấy hồ sơ" in missing.text
    form = client.get(reverse("portal:lookup"), {"code": f"  {dossier.code} "})
    assert form.status_code == 302 and form["Location"] == reverse("portal:status", args=[dossier.code])


def test_receipt_form_01_for_the_owner_only(client, world):
    dossier = services.accept(actor=world.officer, dossier=submit(world))
    client.force_login(world.citizen)
    page = client.get(reverse("portal:dossier", args=[dossier.pk]))
    assert reverse("portal:printout", args=[dossier.pk, "01"]) in page.text
    response = client.get(reverse("portal:printout", args=[dossier.pk, "01"]))
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert client.get(reverse("portal:printout", args=[dossier.pk, "06"])).status_code == 404
    client.force_login(world.other_citizen)
    assert client.get(reverse("portal:printout", args=[dossier.pk, "01"])).status_code == 404
