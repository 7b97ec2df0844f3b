"""Staff pages (report list, form, review, history), the dashboard with its exports, the public page."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from egov.reporting import facts
from egov.reporting.models import ExpectedReport, Submission


def login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(values: dict, action: str) -> dict:
    data = {"action": action}
    for code, value in values.items():
        if isinstance(value, dict):
            for row, v in value.items():
                data[f"v-{code}-{row}"] = str(v)
        else:
            data[f"v-{code}"] = str(value)
    return data


GOOD = {
    "received": 10,
    "online": 6,
    "direct": 4,
    "resolved": 8,
    "on_time": 6,
    "satisfaction": "8,5",
    "by_field": {"tu_phap": 3, "dat_dai": 7},
    "incoming_docs": 3,
    "notes": "Ổn định",
}


def test_submit_return_resubmit_accept_through_the_pages(report, clerk, province_leader, tree):
    facts.bump(tree.department.pk, report.period.start, "documents.incoming", 7)
    c = login(clerk)
    listing = c.get(reverse("reporting:list"))
    assert listing.status_code == 200 and report.regime.name in listing.content.decode()
    page = c.get(reverse("reporting:report", args=[report.pk]))
    body = page.content.decode()
    assert page.status_code == 200
    assert 'name="v-incoming_docs" value="7"' in body  # prefilled from the platform facts
    assert 'name="v-by_field-tu_phap"' in body  # table indicator as a grid

    bad = c.post(reverse("reporting:report", args=[report.pk]), form({**GOOD, "direct": 5}, "submit"))
    assert bad.status_code == 400 and "field-errors" in bad.content.decode()
    report.refresh_from_db()
    assert report.status == "missing" and not Submission.objects.filter(expected=report).exists()

    ok = c.post(reverse("reporting:report", args=[report.pk]), form(GOOD, "submit"))
    assert ok.status_code == 302
    report.refresh_from_db()
    assert report.status == "submitted"

    leader = login(province_leader)
    assert report.regime.name in leader.get(reverse("reporting:list")).content.decode()
    no_reason = leader.post(
        reverse("reporting:report", args=[report.pk]), {"action": "return", "reason": " "}
    )
    assert no_reason.status_code == 400
    leader.post(reverse("reporting:report", args=[report.pk]), {"action": "return", "reason": "Sai số liệu"})
    report.refresh_from_db()
    assert report.status == "returned"
    assert "Sai số liệu" in c.get(reverse("reporting:report", args=[report.pk])).content.decode()

    c.post(
        reverse("reporting:report", args=[report.pk]), form({**GOOD, "received": 11, "direct": 5}, "submit")
    )
    leader.post(reverse("reporting:report", args=[report.pk]), {"action": "accept"})
    report.refresh_from_db()
    assert report.status == "accepted" and report.current.version == 2
    history = c.get(reverse("reporting:report", args=[report.pk])).content.decode()
    assert "Sai số liệu" in history and 'id="history"' in history


def test_clerk_cannot_review_and_foreign_staff_sees_nothing(report, clerk, foreign_staff):
    c = login(clerk)
    c.post(reverse("reporting:report", args=[report.pk]), form(GOOD, "submit"))
    denied = c.post(reverse("reporting:report", args=[report.pk]), {"action": "accept"})
    assert denied.status_code == 400
    report.refresh_from_db()
    assert report.status == ExpectedReport.Status.SUBMITTED
    assert login(foreign_staff).get(reverse("reporting:report", args=[report.pk])).status_code == 404


def test_dashboard_exports_and_permissions(tree, leader, province_leader, foreign_staff):
    today = timezone.localdate()
    facts.bump(tree.department.pk, today, "dossiers.received", 40)
    facts.bump(tree.department.pk, today, "dossiers.on_time", 9, 10)
    facts.bump(tree.commune.pk, today, "dossiers.on_time", 1, 2)
    c = login(province_leader)
    page = c.get(reverse("reporting:dashboard"), {"p": str(today.year)})
    body = page.content.decode()
    assert page.status_code == 200
    assert "<svg" in body and "style=" not in body
    assert tree.department.name in body and "90,0 %" in body
    drill = c.get(reverse("reporting:dashboard"), {"agency": tree.department.pk, "p": f"{today:%Y-%m}"})
    assert drill.status_code == 200
    xlsx = c.get(reverse("reporting:dashboard-export", args=["xlsx"]), {"p": str(today.year)})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    pdf = c.get(reverse("reporting:dashboard-export", args=["pdf"]), {"p": str(today.year)})
    assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    assert c.get(reverse("reporting:dashboard"), {"p": "2026-13"}).status_code == 302
    # A department's leader may not open the province's dashboard; a foreign agency's staff neither.
    dept = login(leader)
    assert dept.get(reverse("reporting:dashboard"), {"agency": tree.province.pk}).status_code == 403
    assert dept.get(reverse("reporting:dashboard")).status_code == 200
    assert (
        login(foreign_staff).get(reverse("reporting:dashboard"), {"agency": tree.province.pk}).status_code
        == 403
    )


def test_public_transparency_page_is_anonymous_and_has_no_personal_data(tree):
    day = timezone.localdate() - dt.timedelta(days=0)
    facts.bump(tree.commune.pk, day, "dossiers.received", 5)
    facts.bump(tree.commune.pk, day, "dossiers.on_time", 3, 4)
    page = Client().get(reverse("reporting:transparency"), {"p": str(day.year)})
    body = page.content.decode()
    assert page.status_code == 200
    assert tree.commune.name in body and "75,0 %" in body
    assert "style=" not in body
    assert Client().get(reverse("reporting:transparency"), {"p": "nonsense"}).status_code == 200
