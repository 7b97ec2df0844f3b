"""The dossiers API beyond single dossiers: inter-linked submissions (hồ sơ liên thông) and the printed forms
(mẫu 01–07), end to end through HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.documents.models import StoredFile
from egov.dossiers import services
from egov.dossiers.models import Dossier, DossierGroup, Status

from .conftest import desk, submit, upload
from .test_api import client_for, ok


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


def _group_body(procedures: list[Any], **extra: Any) -> dict[str, Any]:
    files, file_papers = [], []
    for procedure in procedures:
        for paper in procedure.papers.order_by("order"):
            files.append(upload(f"{paper.code.lower()}.pdf", paper.code))
            file_papers.append(paper.pk)
    return {"files": files, "file_papers": file_papers, **extra}


def _state() -> tuple[int, int, int, int]:
    return (
        DossierGroup.objects.count(),
        Dossier.objects.count(),
        StoredFile.objects.count(),
        AuditEntry.objects.count(),
    )


# --- inter-linked dossiers ------------------------------------------------------------------------------


def test_group_submission_is_idempotent_and_has_one_status(group_world):
    world, group, procedures, agencies = group_world
    citizen = client_for(world.citizen)
    body = _group_body(procedures, procedure_group=group.pk, description="Khai sinh cho con")
    response = citizen.post(
        "/api/v1/my/dossier-groups/", body, format="multipart", HTTP_IDEMPOTENCY_KEY="lt-api-1"
    )
    created = ok(response, 201)
    assert created["code"].startswith("000.00.00.H99-LT")
    assert created["procedure_group"]["code"] == "LT01"
    assert created["status"] == Status.NEW and created["done"] is False
    assert [p["agency"] for p in created["parts"]] == [a.name for a in agencies]
    assert len(created["dossiers"]) == 3 and len({d["code"] for d in created["dossiers"]}) == 3
    assert all(d["channel"] == 2 for d in created["dossiers"])  # online
    before = _state()

    again = citizen.post(
        "/api/v1/my/dossier-groups/",
        _group_body(procedures, procedure_group=group.pk),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="lt-api-1",
    )
    assert ok(again, 200)["id"] == created["id"]
    assert _state() == before  # no second group, dossier, file or audit row

    detail = ok(citizen.get(f"/api/v1/my/dossier-groups/{created['code']}/"))
    assert detail["parts"] == created["parts"]
    listed = ok(citizen.get("/api/v1/my/dossier-groups/"))
    assert [g["code"] for g in listed["results"]] == [created["code"]]
    part = detail["dossiers"][0]["id"]
    assert ok(citizen.get(f"/api/v1/my/dossiers/{part}/"))["code"] == detail["dossiers"][0]["code"]

    # One part moves on: the combined status is still the least advanced part's.
    dossier = Dossier.objects.get(group__code=created["code"], receiving_agency=world.tree.department)
    services.accept(actor=world.officer, dossier=dossier)
    detail = ok(citizen.get(f"/api/v1/my/dossier-groups/{created['code']}/"))
    assert detail["status"] == Status.NEW
    assert sorted(p["status"] for p in detail["parts"]) == [Status.NEW, Status.NEW, Status.RECEIVED]


def test_groups_are_private_and_staff_see_their_agencies_parts(group_world, foreign_staff):
    world, group, procedures, _agencies = group_world
    created = ok(
        client_for(world.citizen).post(
            "/api/v1/my/dossier-groups/",
            _group_body(procedures, procedure_group=group.pk),
            format="multipart",
        ),
        201,
    )
    url = f"/api/v1/my/dossier-groups/{created['code']}/"
    other = client_for(world.other_citizen)
    assert other.get(url).status_code == 404
    assert ok(other.get("/api/v1/my/dossier-groups/"))["results"] == []

    # The department's officer sees the group and opens only the department's part.
    officer = client_for(world.officer)
    staff_url = f"/api/v1/dossier-groups/{created['code']}/"
    seen = ok(officer.get(staff_url))
    assert seen["code"] == created["code"] and len(seen["parts"]) == 3
    department_part = Dossier.objects.get(group__code=created["code"], receiving_agency=world.tree.department)
    assert [d["id"] for d in seen["dossiers"]] == [department_part.pk]
    assert [g["code"] for g in ok(officer.get("/api/v1/dossier-groups/"))["results"]] == [created["code"]]

    foreign = client_for(foreign_staff)
    assert foreign.get(staff_url).status_code == 404
    assert ok(foreign.get("/api/v1/dossier-groups/"))["results"] == []

    # Wrong kind of account: 403 both ways, nothing written.
    before = _state()
    assert officer.get(url).status_code == 403
    staff_submit = officer.post(
        "/api/v1/my/dossier-groups/", _group_body(procedures, procedure_group=group.pk), format="multipart"
    )
    assert staff_submit.status_code == 403
    assert client_for(world.citizen).get(staff_url).status_code == 403
    assert client_for(None).get(url).status_code == 401
    assert _state() == before


def test_group_bad_input_answers_400_and_saves_nothing(group_world):
    world, group, procedures, _agencies = group_world
    citizen = client_for(world.citizen)
    before = _state()

    # The third procedure's paper is missing: the service names it; no part is saved.
    missing = citizen.post(
        "/api/v1/my/dossier-groups/",
        _group_body(procedures[:2], procedure_group=group.pk),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="lt-bad",
    )
    assert missing.status_code == 400
    assert procedures[2].code in missing.json()
    assert _state() == before

    # A paper of a procedure outside the group.
    body = _group_body(procedures, procedure_group=group.pk)
    body["file_papers"][0] = world.procedure.papers.first().pk
    wrong = citizen.post("/api/v1/my/dossier-groups/", body, format="multipart")
    assert wrong.status_code == 400 and "không thuộc thủ tục nào của nhóm" in wrong.json()["file_papers"][0]

    # Agencies without their procedures, an unknown group, and no files at all.
    odd = _group_body(procedures, procedure_group=group.pk, agencies=[world.tree.office.pk])
    assert "agency_procedures" in citizen.post("/api/v1/my/dossier-groups/", odd, format="multipart").json()
    unknown = _group_body(procedures, procedure_group=999_999)
    assert "procedure_group" in citizen.post("/api/v1/my/dossier-groups/", unknown, format="multipart").json()
    empty = citizen.post("/api/v1/my/dossier-groups/", {"procedure_group": group.pk}, format="multipart")
    assert empty.status_code == 400
    assert citizen.get("/api/v1/my/dossier-groups/x y/").status_code == 404
    assert _state() == before

    # A retry after the failure with the same key succeeds once.
    fixed = citizen.post(
        "/api/v1/my/dossier-groups/",
        _group_body(procedures, procedure_group=group.pk),
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="lt-bad",
    )
    assert ok(fixed, 201)["code"]


def test_group_agency_choice_goes_to_the_service(group_world):
    world, group, procedures, _agencies = group_world
    # The office is not a receiving agency of the first procedure: the service refuses, by procedure code.
    body = _group_body(
        procedures,
        procedure_group=group.pk,
        agencies=[world.tree.office.pk],
        agency_procedures=[procedures[0].pk],
    )
    response = client_for(world.citizen).post("/api/v1/my/dossier-groups/", body, format="multipart")
    assert response.status_code == 400 and procedures[0].code in response.json()
    assert not DossierGroup.objects.exists()


# --- printed forms --------------------------------------------------------------------------------------


def _pdf(response: Any, filename: str) -> bytes:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert f'filename="{filename}"' in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment")
    assert response.content.startswith(b"%PDF")
    return bytes(response.content)


def test_staff_forms_follow_the_dossier(world, foreign_staff):
    dossier = submit(world)
    officer = client_for(world.officer)
    base = f"/api/v1/dossiers/{dossier.pk}/forms"
    assert officer.get(f"{base}/01/").status_code == 404  # not received yet
    services.accept(actor=world.officer, dossier=dossier)
    _pdf(officer.get(f"{base}/01/"), f"mau-01-{dossier.code}.pdf")
    _pdf(officer.get(f"{base}/06/"), f"mau-06-{dossier.code}.pdf")
    for absent in ("02", "03", "04", "05", "07", "99"):
        missing = officer.get(f"{base}/{absent}/", HTTP_ACCEPT="application/pdf")
        assert missing.status_code == 404 and missing["Content-Type"] == "application/json"
    services.request_supplement(actor=world.officer, dossier=dossier, reason="Thiếu bản sao", papers=["CCCD"])
    _pdf(officer.get(f"{base}/02/"), f"mau-02-{dossier.code}.pdf")

    stopped = desk(world)
    services.stop(actor=world.officer, dossier=stopped, reason="Theo đề nghị của người nộp")
    _pdf(officer.get(f"/api/v1/dossiers/{stopped.pk}/forms/05/"), f"mau-05-{stopped.code}.pdf")

    assert client_for(foreign_staff).get(f"{base}/01/").status_code == 404
    assert client_for(world.citizen).get(f"{base}/01/").status_code == 403
    assert officer.post(f"{base}/01/").status_code == 405


def test_citizens_download_their_own_letters_only(world):
    dossier = submit(world)
    services.accept(actor=world.officer, dossier=dossier)
    citizen = client_for(world.citizen)
    base = f"/api/v1/my/dossiers/{dossier.pk}/forms"
    _pdf(citizen.get(f"{base}/01/"), f"mau-01-{dossier.code}.pdf")
    assert citizen.get(f"{base}/06/").status_code == 404  # the internal control sheet is the agency's
    assert citizen.get(f"{base}/02/").status_code == 404  # no supplement asked
    services.request_supplement(actor=world.officer, dossier=dossier, reason="Thiếu bản sao")
    _pdf(citizen.get(f"{base}/02/"), f"mau-02-{dossier.code}.pdf")

    refused = submit(world, idempotency_key="r-1")
    services.refuse(actor=world.officer, dossier=refused, reason="Không thuộc thẩm quyền")
    _pdf(citizen.get(f"/api/v1/my/dossiers/{refused.pk}/forms/03/"), f"mau-03-{refused.code}.pdf")

    assert client_for(world.other_citizen).get(f"{base}/01/").status_code == 404
    assert client_for(world.officer).get(f"{base}/01/").status_code == 403
    assert client_for(None).get(f"{base}/01/").status_code == 401


def test_dossier_book_as_xlsx_and_pdf(world, foreign_staff):
    desk(world)
    officer = client_for(world.officer)
    today = timezone.localdate()
    query = {
        "agency": world.tree.department.pk,
        "date_from": (today - dt.timedelta(days=3)).strftime("%d/%m/%Y"),
        "date_to": today.strftime("%d/%m/%Y"),
    }
    xlsx = officer.get("/api/v1/dossiers/book/", query)
    assert xlsx.status_code == 200, xlsx.content[:300]
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx.content.startswith(b"PK")
    assert ".xlsx" in xlsx["Content-Disposition"] and "so-theo-doi-ho-so-" in xlsx["Content-Disposition"]
    pdf = officer.get("/api/v1/dossiers/book/", {**query, "file_type": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")

    bad = officer.get("/api/v1/dossiers/book/", {**query, "date_to": "01/01/2000"})
    assert bad.status_code == 400 and "date_to" in bad.json()
    assert officer.get("/api/v1/dossiers/book/", {**query, "file_type": "doc"}).status_code == 400
    assert "agency" in officer.get("/api/v1/dossiers/book/", {"date_from": "01/01/2026"}).json()

    # A specialist holds none of the book's roles; a foreign agency's administrator not in this agency.
    specialist = client_for(world.specialist)
    refused = specialist.get("/api/v1/dossiers/book/", query)
    assert refused.status_code == 403 and "Sổ theo dõi" in refused.json()["detail"]
    assert client_for(foreign_staff).get("/api/v1/dossiers/book/", query).status_code == 403
    other = make_staff("lanhdao_tinh", world.tree.province, Role.LEADER)
    assert client_for(other).get("/api/v1/dossiers/book/", query).status_code == 403
    assert client_for(world.citizen).get("/api/v1/dossiers/book/", query).status_code == 403
