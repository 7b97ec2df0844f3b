from __future__ import annotations

from django.core.files.base import ContentFile
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from egov.audit.models import AuditEntry
from egov.procedures import services
from egov.procedures.models import Procedure
from egov.procedures.tests.conftest import make_procedure


def client_for(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_public_read(birth, tree):
    make_procedure(tree, code="1.004222", name="Đăng ký thường trú", online_level="full")
    client = APIClient()
    page = client.get("/api/v1/procedures/", {"search": "dang ky khai sinh"}).json()
    assert [r["code"] for r in page["results"]] == ["1.001193"]
    assert page["results"][0]["field"]["code"] == "HT"
    assert client.get("/api/v1/procedures/", {"online_level": "full"}).json()["count"] == 1
    assert client.get("/api/v1/procedures/", {"channel": 3}).json()["count"] == 0
    assert client.get("/api/v1/procedures/", {"level": "nowhere"}).status_code == 400
    detail = client.get("/api/v1/procedures/1.001193/").json()
    assert [m["channel"] for m in detail["methods"]] == [1, 2]
    assert [s["order"] for s in detail["steps"]] == [1, 2]
    assert detail["agencies"][0]["agency"]["id"] == tree.commune.pk
    assert detail["papers"][0]["form_url"] is None
    assert client.get("/api/v1/procedures/9.999999/").status_code == 404
    fields = client.get("/api/v1/procedure-fields/").json()["results"]
    assert fields == [{"id": fields[0]["id"], "code": "HT", "name": "Hộ tịch", "procedure_count": 2}]
    assert client.get("/api/v1/procedure-groups/").json()["count"] == 0


def test_system_admin_writes(tree, system_admin):
    services.ensure_field(actor=None, name="Hộ tịch", code="HT")
    client = client_for(system_admin)
    body = {
        "code": "1.000894",
        "name": "Thủ tục đăng ký kết hôn",
        "field": "HT",
        "levels": ["commune"],
        "methods": [{"channel": 1, "processing_days": "5", "fee_amount": 0}],
        "steps": [{"name": "Tiếp nhận", "role": "one_stop_officer", "days": "0.5"}],
        "agencies": [{"agency": tree.commune.pk, "role": "receiving"}],
        "legal_bases": [{"number": "60/2014/QH13", "title": "Luật Hộ tịch"}],
    }
    response = client.post("/api/v1/procedures/", body, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["legal_bases"] == body["legal_bases"]
    bad = client.patch(
        "/api/v1/procedures/1.000894/", {"steps": [{"name": "X", "role": "leader", "days": 9}]}, format="json"
    )
    assert bad.status_code == 400 and "steps" in bad.json()
    ok = client.patch("/api/v1/procedures/1.000894/", {"name": "Đăng ký kết hôn"}, format="json")
    assert ok.status_code == 200 and ok.json()["name"] == "Đăng ký kết hôn"
    assert (
        AuditEntry.objects.filter(action__startswith="procedures.procedure.", actor=system_admin).count() == 2
    )


def test_others_cannot_write(birth, tree, agency_admin, clerk):
    audit = AuditEntry.objects.count()
    for client, status in ((client_for(agency_admin), 403), (client_for(clerk), 403), (APIClient(), 401)):
        assert client.post("/api/v1/procedures/", {"code": "1.000894"}, format="json").status_code == status
        response = client.patch("/api/v1/procedures/1.001193/", {"name": "Sửa"}, format="json")
        assert response.status_code == status
    assert AuditEntry.objects.count() == audit
    assert Procedure.objects.get().name == "Thủ tục đăng ký khai sinh"


def test_form_download(birth):
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"
    services.set_required_papers(
        actor=None,
        procedure=birth,
        papers=[
            {
                "name": "Tờ khai đăng ký khai sinh",
                "form_name": "Tờ khai đăng ký khai sinh",
                "form_file": ContentFile(pdf, name="to-khai.html"),
            }
        ],
    )
    paper = birth.papers.get()
    detail = APIClient().get("/api/v1/procedures/1.001193/").json()
    assert detail["papers"][0]["form_url"].endswith(f"/procedures/forms/{paper.pk}/")
    response = APIClient().get(f"/procedures/forms/{paper.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert 'attachment; filename="to-khai-dang-ky-khai-sinh.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == pdf
    assert APIClient().get("/procedures/forms/999999/").status_code == 404
    assert APIClient().post(f"/procedures/forms/{paper.pk}/").status_code == 405
