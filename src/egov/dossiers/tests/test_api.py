"""The dossiers REST API: officials, citizens and the public status look-up, end to end."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from egov.audit.models import AuditEntry
from egov.directory.models import User
from egov.dossiers import services
from egov.dossiers.models import Dossier, Status

from .conftest import desk, pdf_io, submit, upload


@pytest.fixture(autouse=True)
def _fresh_throttle() -> Any:
    cache.clear()  # the public look-up counts live in the default cache
    yield
    cache.clear()


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def ok(response: Any, code: int = 200) -> Any:
    assert response.status_code == code, (response.status_code, getattr(response, "data", response))
    return response.json()


def papers_of(procedure: Any) -> list[int]:
    return list(procedure.papers.order_by("order").values_list("pk", flat=True))


def test_desk_lifecycle_through_the_api(world):
    officer = client_for(world.officer)
    specialist = client_for(world.specialist)
    leader = client_for(world.leader)
    body = {
        "procedure": world.procedure.pk,
        "agency": world.tree.department.pk,
        "applicant_name": "Lê Văn Cường",
        "applicant_identity": "001090000009",
        "applicant_phone": "0912000111",
        "papers": papers_of(world.procedure),
        "files": [upload("to-khai.pdf", "To khai scan")],
        "file_papers": papers_of(world.procedure)[:1],
        "accept": "false",
    }
    created = ok(officer.post("/api/v1/dossiers/", body, format="multipart"), 201)
    pk = created["id"]
    assert created["status"] == Status.NEW and created["code"]
    assert len(created["papers"]) == 2
    scanned = [p for p in created["papers"] if p["file"]]
    assert len(scanned) == 1 and scanned[0]["file"]["content_type"] == "application/pdf"
    download = officer.get(scanned[0]["download_url"])
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF")

    d = ok(officer.post(f"/api/v1/dossiers/{pk}/accept/"))
    assert d["status"] == Status.RECEIVED and d["due_at"] and len(d["steps"]) == 2
    d = ok(officer.post(f"/api/v1/dossiers/{pk}/start/", {"handler": world.specialist.pk}, format="json"))
    assert d["status"] == Status.PROCESSING and d["current_step"]["handler"]["id"] == world.specialist.pk

    d = ok(
        specialist.post(
            f"/api/v1/dossiers/{pk}/request-supplement/",
            {"reason": "Thiếu bản sao giấy khai sinh", "papers": ["Bản sao giấy khai sinh"]},
            format="json",
        )
    )
    assert d["status"] == Status.SUPPLEMENT and d["supplements"][0]["papers"] == ["Bản sao giấy khai sinh"]
    provided = {"files": [upload("khai-sinh.pdf", "Khai sinh")], "file_papers": [0], "note": "Mang đến quầy"}
    d = ok(officer.post(f"/api/v1/dossiers/{pk}/provide-supplement/", provided, format="multipart"))
    assert d["status"] == Status.PROCESSING and d["supplements"][0]["provided_at"]
    assert any(p["name"] == "khai-sinh.pdf" for p in d["papers"])

    d = ok(specialist.post(f"/api/v1/dossiers/{pk}/complete-step/", {"note": "Hợp lệ"}, format="json"))
    assert d["current_step"]["order"] == 2
    d = ok(
        leader.post(
            f"/api/v1/dossiers/{pk}/result/", {"file": pdf_io(), "note": "Giấy xác nhận"}, format="multipart"
        )
    )
    assert d["result"]["note"] == "Giấy xác nhận" and d["result"]["download_url"]
    d = ok(leader.post(f"/api/v1/dossiers/{pk}/complete-step/", {"note": "Đồng ý"}, format="json"))
    assert d["status"] == Status.DONE and d["is_on_time"] is True
    result = officer.get(f"/api/v1/dossiers/{pk}/result-file/")
    assert result.status_code == 200 and result["Content-Disposition"].startswith("attachment")
    d = ok(officer.post(f"/api/v1/dossiers/{pk}/return/", {"method": "desk"}, format="json"))
    assert d["status"] == Status.RETURNED and d["result"]["returned_at"]

    kinds = [e["kind"] for e in d["events"]]
    assert kinds[:3] == ["received", "accepted", "processing"] or kinds[0] in ("submitted", "received")
    assert kinds[-1] == "returned" and "supplement_requested" in kinds and "supplement_provided" in kinds
    assert [e["to_status"] for e in d["events"]][-1] == Status.RETURNED


def test_illegal_transitions_answer_400_and_change_nothing(world):
    officer = client_for(world.officer)
    dossier = desk(world)  # accepted at once (status 2)
    audit = AuditEntry.objects.count()
    for action, body in [
        ("accept", {}),
        ("return", {"method": "desk"}),
        ("complete-step", {}),
        ("refuse", {"reason": "Sai"}),
    ]:
        response = officer.post(f"/api/v1/dossiers/{dossier.pk}/{action}/", body, format="json")
        assert response.status_code == 400, (action, response.data)
    response = officer.post(f"/api/v1/dossiers/{dossier.pk}/refuse/", {}, format="json")
    assert response.status_code == 400 and "reason" in response.json()
    response = officer.post(f"/api/v1/dossiers/{dossier.pk}/return/", {"method": "drone"}, format="json")
    assert response.status_code == 400 and "method" in response.json()
    assert AuditEntry.objects.count() == audit
    dossier.refresh_from_db()
    assert dossier.status == Status.RECEIVED


def test_desk_reception_is_refused_to_non_officers_and_bad_papers(world):
    body = {
        "procedure": world.procedure.pk,
        "agency": world.tree.department.pk,
        "applicant_name": "Lê Văn Cường",
        "applicant_identity": "001090000009",
        "papers": papers_of(world.procedure),
    }
    assert client_for(world.specialist).post("/api/v1/dossiers/", body, format="multipart").status_code == 403
    missing = {**body, "papers": papers_of(world.procedure)[:1]}
    response = client_for(world.officer).post("/api/v1/dossiers/", missing, format="multipart")
    assert response.status_code == 400 and "papers" in response.json()
    unpaired = {**body, "files": [upload()], "file_papers": []}
    response = client_for(world.officer).post("/api/v1/dossiers/", unpaired, format="multipart")
    assert response.status_code == 400 and "file_papers" in response.json()
    assert Dossier.objects.count() == 0


def _online_body(world: Any) -> dict[str, Any]:
    ids = papers_of(world.procedure)
    return {
        "procedure": world.procedure.pk,
        "agency": world.tree.department.pk,
        "description": "Xin cấp bản sao",
        "files": [upload(f"giay-{i}.pdf", f"Giay {i}") for i in ids],
        "file_papers": ids,
    }


def test_online_submission_is_idempotent_and_private(world):
    citizen = client_for(world.citizen)
    headers = {"HTTP_IDEMPOTENCY_KEY": "nop-lan-1"}
    first = ok(citizen.post("/api/v1/my/dossiers/", _online_body(world), format="multipart", **headers), 201)
    again = ok(citizen.post("/api/v1/my/dossiers/", _online_body(world), format="multipart", **headers), 200)
    assert first["id"] == again["id"] and first["code"] == again["code"]
    assert Dossier.objects.count() == 1
    assert first["status"] == Status.NEW and first["channel"] == 2
    assert first["applicant_name"] == "Nguyễn Văn An"  # from the account
    assert all(p["download_url"].endswith("/file/") and "/my/" in p["download_url"] for p in first["papers"])
    assert citizen.get(first["papers"][0]["download_url"]).status_code == 200

    mine = ok(citizen.get("/api/v1/my/dossiers/"))
    assert [row["id"] for row in mine["results"]] == [first["id"]]
    assert ok(citizen.get(f"/api/v1/my/dossiers/{first['id']}/"))["code"] == first["code"]

    # Another citizen: not found, whatever they try; their list is empty.
    other = client_for(world.other_citizen)
    pk = first["id"]
    assert other.get(f"/api/v1/my/dossiers/{pk}/").status_code == 404
    assert other.get(f"/api/v1/my/dossiers/{pk}/papers/{first['papers'][0]['id']}/file/").status_code == 404
    for action, body in [("withdraw", {}), ("feedback", {"text": "x"}), ("rate", {"score": 5}), ("pay", {})]:
        assert other.post(f"/api/v1/my/dossiers/{pk}/{action}/", body, format="json").status_code == 404
    assert ok(other.get("/api/v1/my/dossiers/"))["results"] == []
    # Citizens never reach the staff API, officials never the citizen API.
    assert citizen.get(f"/api/v1/dossiers/{pk}/").status_code == 403
    assert client_for(world.officer).get("/api/v1/my/dossiers/").status_code == 403
    assert APIClient().get("/api/v1/my/dossiers/").status_code == 401


def test_citizen_pays_supplements_withdraws_and_rates(world):
    citizen = client_for(world.citizen)
    officer = client_for(world.officer)
    d = submit(world)
    ok(officer.post(f"/api/v1/dossiers/{d.pk}/accept/"))
    ok(officer.post(f"/api/v1/dossiers/{d.pk}/request-supplement/", {"reason": "Ảnh mờ"}, format="json"))
    store = ok(citizen.get("/api/v1/my/documents/"))
    body = {"files": [upload("cccd-ro.pdf", "CCCD")], "file_papers": [papers_of(world.procedure)[1]]}
    detail = ok(citizen.post(f"/api/v1/my/dossiers/{d.pk}/supplement/", body, format="multipart"))
    assert detail["status"] == Status.RECEIVED
    ok(officer.post(f"/api/v1/dossiers/{d.pk}/start/", {}, format="json"))
    ok(officer.post(f"/api/v1/dossiers/{d.pk}/request-payment/", {}, format="json"))
    detail = ok(citizen.post(f"/api/v1/my/dossiers/{d.pk}/pay/", {"method": "sandbox"}, format="json"))
    assert detail["status"] == Status.PROCESSING
    assert detail["payments"][0]["state"] == "paid" and detail["payments"][0]["receipt_number"]
    assert (
        citizen.post(f"/api/v1/my/dossiers/{d.pk}/pay/", {"method": "desk"}, format="json").status_code == 400
    )
    # Rating before the result: refused.
    assert citizen.post(f"/api/v1/my/dossiers/{d.pk}/rate/", {"score": 5}, format="json").status_code == 400
    assert citizen.post(f"/api/v1/my/dossiers/{d.pk}/rate/", {"score": 9}, format="json").status_code == 400
    detail = ok(
        citizen.post(f"/api/v1/my/dossiers/{d.pk}/feedback/", {"text": "Xin xử lý sớm"}, format="json")
    )
    assert detail["feedback"][0]["text"] == "Xin xử lý sớm"
    detail = ok(
        citizen.post(f"/api/v1/my/dossiers/{d.pk}/withdraw/", {"reason": "Không cần nữa"}, format="json")
    )
    assert detail["status"] == Status.WITHDRAWN
    assert citizen.post(f"/api/v1/my/dossiers/{d.pk}/withdraw/", {}, format="json").status_code == 400
    assert store["results"] == [] or all("download_url" in row for row in store["results"])


def test_citizen_rates_after_the_result_and_finds_it_in_the_store(world):
    d = submit(world)
    services.accept(actor=world.officer, dossier=d)
    services.start_processing(actor=world.officer, dossier=d)
    services.complete_step(actor=world.specialist, dossier=d)
    services.attach_result(actor=world.leader, dossier=d, upload=pdf_io())
    services.complete_step(actor=world.leader, dossier=d)
    services.return_result(actor=world.officer, dossier=d, method=Dossier.ReturnMethod.DESK)
    citizen = client_for(world.citizen)
    detail = ok(
        citizen.post(f"/api/v1/my/dossiers/{d.pk}/rate/", {"score": 4, "comment": "Tốt"}, format="json")
    )
    assert detail["rating"]["score"] == 4
    result = citizen.get(detail["result"]["download_url"])
    assert result.status_code == 200 and "/my/" in detail["result"]["download_url"]
    store = ok(citizen.get("/api/v1/my/documents/"))["results"]
    results = [row for row in store if row["is_result"]]
    assert len(results) == 1 and results[0]["source_dossier"] == d.code
    assert citizen.get(results[0]["download_url"]).status_code == 200
    assert client_for(world.other_citizen).get(results[0]["download_url"]).status_code == 404


def test_public_status_has_no_personal_data_and_is_throttled(world):
    applicant = services.Applicant(
        name="Phạm Thị Dung", identity_number="001090000077", phone="0909123456", address="12 Lê Lợi"
    )
    d = desk(world, applicant=applicant)
    anonymous = APIClient()
    with override_settings(EGOV_PUBLIC_STATUS_RATE="3/minute"):
        response = anonymous.get(f"/api/v1/public/dossiers/{d.code}/")
        body = ok(response)
        assert body["code"] == d.code and body["status"] == Status.RECEIVED
        assert (
            body["procedure_name"] == world.procedure.name
            and body["agency_name"] == world.tree.department.name
        )
        text = response.content.decode()
        for secret in ("Phạm Thị Dung", "001090000077", "0909123456", "Lê Lợi", "applicant"):
            assert secret not in text
        assert anonymous.get("/api/v1/public/dossiers/KHONG-CO-0000/").status_code == 404
        assert anonymous.get(f"/api/v1/public/dossiers/{d.code}/").status_code == 200
        throttled = anonymous.get(f"/api/v1/public/dossiers/{d.code}/")
        assert throttled.status_code == 429 and "Retry-After" in throttled
        # Unknown codes count the same: still refused.
        assert anonymous.get("/api/v1/public/dossiers/KHONG-CO-0001/").status_code == 429


def test_national_sync_payload(world):
    d = submit(world)
    officer = client_for(world.officer)
    ok(officer.post(f"/api/v1/dossiers/{d.pk}/accept/"))
    payload = ok(officer.get(f"/api/v1/dossiers/{d.pk}/national-sync/"))
    assert payload["MaHoSo"] == d.code and payload["MaTTHC"] == world.procedure.code
    assert payload["TrangThai"] == 2 and payload["KenhThucHien"] == 2
    assert payload["NgayTiepNhan"] and len(payload["NgayTiepNhan"]) == 14
    assert len(payload["ThanhPhanHoSo"]) == 2
    assert payload["ThanhPhanHoSo"][0]["GiayToDinhKem"][0]["HashTepTin"]
    progress = payload["TienTrinh"]
    assert [p["TrangThai"] for p in progress] == [1, 2]
    assert set(progress[0]) >= {
        "MaHoSo",
        "NguoiXuLy",
        "ThoiDiemXuLy",
        "PhongBanXuLy",
        "NoiDungXuLy",
        "TrangThai",
        "NgayBatDau",
        "NgayKetThucTheoQuyDinh",
    }


def test_lists_queue_statistics_and_notifications(world):
    officer = client_for(world.officer)
    online = submit(world)
    at_desk = desk(world)
    listed = ok(officer.get("/api/v1/dossiers/"))["results"]
    assert {row["id"] for row in listed} == {online.pk, at_desk.pk}
    assert [r["id"] for r in ok(officer.get("/api/v1/dossiers/", {"status": 1}))["results"]] == [online.pk]
    assert [r["id"] for r in ok(officer.get("/api/v1/dossiers/", {"channel": 1}))["results"]] == [at_desk.pk]
    assert [r["id"] for r in ok(officer.get("/api/v1/dossiers/", {"search": at_desk.code}))["results"]] == [
        at_desk.pk
    ]
    assert ok(officer.get("/api/v1/dossiers/", {"search": "cường"}))["count"] == 1
    assert officer.get("/api/v1/dossiers/", {"status": 42}).status_code == 400
    assert officer.get("/api/v1/dossiers/", {"date_from": "31/02/2026"}).status_code == 400

    queue = ok(officer.get("/api/v1/dossiers/queue/"))["results"]
    assert [row["id"] for row in queue] == [at_desk.pk, online.pk]  # a deadline first, none last

    today = timezone.localdate(at_desk.submitted_at).isoformat()  # statistics count by local (Vietnamese) day
    stats = ok(officer.get("/api/v1/dossiers/statistics/", {"date_from": today, "date_to": today}))
    (row,) = stats["agencies"]
    assert row["agency"]["id"] == world.tree.department.pk and row["received"] >= 1
    assert officer.get("/api/v1/dossiers/statistics/", {"date_from": today}).status_code == 400

    sent = ok(officer.get(f"/api/v1/dossiers/{at_desk.pk}/notifications/"))
    assert isinstance(sent["results"], list)
    for message in sent["results"]:
        assert message["status"] in {"queued", "sending", "sent", "delivered", "failed"}


def test_foreign_agency_sees_nothing(world, foreign_staff):
    d = desk(world)
    foreign = client_for(foreign_staff)
    assert foreign.get(f"/api/v1/dossiers/{d.pk}/").status_code == 404
    assert foreign.get(f"/api/v1/dossiers/{d.pk}/national-sync/").status_code == 404
    assert foreign.post(f"/api/v1/dossiers/{d.pk}/start/", {}, format="json").status_code == 404
    assert ok(foreign.get("/api/v1/dossiers/"))["results"] == []
    assert ok(foreign.get("/api/v1/dossiers/queue/"))["results"] == []
    today = d.submitted_at.date().isoformat()
    stats = ok(foreign.get("/api/v1/dossiers/statistics/", {"date_from": today, "date_to": today}))
    assert stats["agencies"] == []
    # B's own specialist sees the dossier but may not act as the one-stop officer.
    specialist = client_for(world.specialist)
    assert specialist.get(f"/api/v1/dossiers/{d.pk}/").status_code == 200
    assert specialist.post(f"/api/v1/dossiers/{d.pk}/start/", {}, format="json").status_code == 403
    d.refresh_from_db()
    assert d.status == Status.RECEIVED
