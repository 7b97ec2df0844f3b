"""The reporting REST API: regime import/export, the report flow, aggregates, permissions, OpenAPI."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from egov.audit.models import AuditEntry
from egov.reporting.models import Regime, Submission
from egov.reporting.tests.conftest import REGIME, good_values


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_regime_import_export_round_trip(tree, system_admin, agency_admin) -> None:
    body = {**REGIME, "code": "tong-hop", "receiving_agency": {"code_qcvn102": "000.00.00.H99"},
            "scope_root": {"id": tree.province.pk}, "scope_kinds": ["department", "commune"]}  # fmt: skip
    assert client_for(agency_admin).post("/api/v1/reporting/regimes/", body, format="json").status_code == 403
    response = client_for(system_admin).post("/api/v1/reporting/regimes/", body, format="json")
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    exported = client_for(agency_admin).get(f"/api/v1/reporting/regimes/{pk}/export/").json()
    assert exported["scope_kinds"] == ["department", "commune"]
    assert [i["code"] for i in exported["indicators"]][:3] == ["received", "online", "direct"]
    assert next(i for i in exported["indicators"] if i["code"] == "online")["parent"] == "received"
    patch = client_for(system_admin).patch(
        f"/api/v1/reporting/regimes/{pk}/", {"deadline_working_days": 5, "name": "Tên mới"}, format="json"
    )
    assert patch.status_code == 200 and patch.json()["deadline_working_days"] == 5
    assert len(patch.json()["indicators"]) == len(REGIME["indicators"])
    bad = client_for(system_admin).patch(
        f"/api/v1/reporting/regimes/{pk}/",
        {"indicators": [{"code": "x", "name": "X", "aggregation": "weighted_ratio"}]},
        format="json",
    )
    assert bad.status_code == 400 and "indicators" in bad.json()
    assert Regime.objects.get(pk=pk).indicators.count() == len(REGIME["indicators"])


def test_report_flow_through_the_api(report, clerk, province_leader, foreign_staff) -> None:
    url = f"/api/v1/reporting/reports/{report.pk}/"
    assert client_for(foreign_staff).get(url).status_code == 404
    audit = AuditEntry.objects.count()
    bad = client_for(clerk).post(
        url + "submit/", {"values": {**good_values(), "resolved": -3}}, format="json"
    )
    assert bad.status_code == 400 and "resolved" in bad.json()
    assert AuditEntry.objects.count() == audit and not Submission.objects.exists()
    sent = client_for(clerk).post(url + "submit/", {"values": good_values()}, format="json")
    assert sent.status_code == 200 and sent.json()["status"] == "submitted"
    returned = client_for(province_leader).post(url + "return/", {"reason": "Thiếu số liệu"}, format="json")
    assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert (
        client_for(clerk).post(url + "draft/", {"values": good_values(on_time=5)}, format="json").status_code
        == 200
    )
    resent = client_for(clerk).post(url + "submit/", {}, format="json")
    assert resent.status_code == 200
    versions = resent.json()["versions"]
    assert [(v["version"], v["state"]) for v in versions] == [(2, "submitted"), (1, "returned")]
    assert client_for(clerk).post(url + "accept/", {}, format="json").status_code == 403
    assert client_for(province_leader).post(url + "accept/", {}, format="json").json()["status"] == "accepted"
    detail = client_for(clerk).get(f"/api/v1/reporting/submissions/{versions[0]['id']}/").json()
    assert detail["verification"]["signed"] is False and detail["values"]["on_time"] == 5

    period_url = f"/api/v1/reporting/periods/{report.period_id}/"
    assert client_for(clerk).get(period_url + "completeness/").status_code == 403
    mine = client_for(clerk).get(period_url + "aggregate/", {"agency": report.agency_id})
    assert mine.status_code == 200
    total = client_for(province_leader).get(period_url + "aggregate/").json()
    assert next(i["value"] for i in total["indicators"] if i["code"] == "on_time") == 5
    assert client_for(province_leader).get(period_url + "completeness/").json()["received"] == 1
    export = client_for(province_leader).get(period_url + "export/").json()
    assert export["schema"] == "egov.reporting.period-export/1"
    assert client_for(foreign_staff).get(period_url + "export/").status_code == 403
    listed = (
        client_for(province_leader).get("/api/v1/reporting/reports/", {"period": report.period_id}).json()
    )
    assert report.pk in {r["id"] for r in listed["results"]}
    assert client_for(foreign_staff).get("/api/v1/reporting/reports/").json()["results"] == []


def test_closed_period_and_foreign_submission_messages(report, clerk, province_leader, foreign_staff) -> None:
    url = f"/api/v1/reporting/reports/{report.pk}/submit/"
    close = client_for(province_leader).post(
        f"/api/v1/reporting/periods/{report.period_id}/close/", {}, format="json"
    )
    assert close.status_code == 200 and close.json()["closed"] is True
    response = client_for(clerk).post(url, {"values": good_values()}, format="json")
    assert response.status_code == 400 and "khóa số liệu" in response.json()["non_field_errors"][0]


@pytest.mark.django_db
def test_openapi_describes_reporting(client, system_admin) -> None:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = [p for p in schema["paths"] if "/reporting/" in p]
    assert "/api/v1/reporting/periods/{id}/export/" in paths
    assert "/api/v1/reporting/reports/{id}/return/" in paths


def test_api_draft_prefills_the_computed_indicators_like_the_staff_form(report, clerk, tree) -> None:
    from egov.reporting import facts

    facts.bump(tree.department.pk, report.period.start, "documents.incoming", 7)  # a pending delta
    url = f"/api/v1/reporting/reports/{report.pk}/"
    values = {k: v for k, v in good_values().items() if k != "incoming_docs"}
    response = client_for(clerk).post(url + "draft/", {"values": values}, format="json")
    assert response.status_code == 200, response.json()
    draft = Submission.objects.get(expected=report)
    assert draft.values["incoming_docs"] == 7
    # A value the agency typed is kept.
    typed = client_for(clerk).post(url + "draft/", {"values": {**values, "incoming_docs": 5}}, format="json")
    assert typed.status_code == 200
    draft.refresh_from_db()
    assert draft.values["incoming_docs"] == 5
