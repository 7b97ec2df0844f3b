"""``GET /api/v1/reporting/platform-indicators/``: the platform's computed figures of the caller's own
subtree, from the facts only; another agency's subtree is refused."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from rest_framework.test import APIClient

from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.reporting import facts


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_figures_of_the_callers_subtree(tree, foreign_staff):
    day = dt.date(2026, 3, 5)
    with transaction.atomic():
        facts.bump(tree.department.pk, day, "dossiers.received", 4)
        facts.bump(tree.department.pk, day, "dossiers.on_time", 3, 4)
        facts.bump(tree.commune.pk, day, "dossiers.received", 1)
        facts.bump(tree.commune.pk, day, "dossiers.on_time", 0, 1)
    chairman = make_staff("chutich.api", tree.province, Role.LEADER, title="Chủ tịch")

    body = client(chairman).get("/api/v1/reporting/platform-indicators/", {"p": "2026-03"}).json()
    assert body["agency"]["id"] == tree.province.pk and body["period"]["start"] == "2026-03-01"
    cards = {c["code"]: c for c in body["indicators"]}
    assert cards["dossiers.received"]["numerator"] == 5
    assert (cards["dossiers.on_time"]["numerator"], cards["dossiers.on_time"]["denominator"]) == (3, 5)
    assert cards["dossiers.on_time"]["value"] == 60.0
    assert body["service_index"]["components"][1]["code"] == "timeliness"
    children = {row["agency"]["id"]: row for row in body["children"]}
    assert children[tree.department.pk]["values"]["dossiers.received"] == 4
    assert len(body["trend"]) == 12

    # the department's leader sees the department, not the province
    leader = make_staff("giamdoc.api", tree.department, Role.LEADER, title="Giám đốc")
    own = client(leader).get("/api/v1/reporting/platform-indicators/", {"p": "2026"}).json()
    assert own["agency"]["id"] == tree.department.pk
    refused = client(leader).get("/api/v1/reporting/platform-indicators/", {"agency": tree.province.pk})
    assert refused.status_code == 403
    # another province's official: neither B's subtree nor B's figures in their own
    assert (
        client(foreign_staff)
        .get("/api/v1/reporting/platform-indicators/", {"agency": tree.department.pk})
        .status_code
        == 403
    )
    theirs = client(foreign_staff).get("/api/v1/reporting/platform-indicators/", {"p": "2026"})
    assert theirs.status_code == 200 and tree.department.name not in theirs.text
    # bad input
    assert client(leader).get("/api/v1/reporting/platform-indicators/", {"p": "2026-13"}).status_code == 400
    assert (
        client(leader).get("/api/v1/reporting/platform-indicators/", {"agency": "999999"}).status_code == 404
    )
    assert client(leader).get("/api/v1/reporting/platform-indicators/", {"agency": "x"}).status_code == 404
