"""The demo regime: on time, late, returned and resubmitted, missing; a second load creates nothing."""

from __future__ import annotations

import io

from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.directory.demo_data import load_demo
from egov.reporting import demo, selectors
from egov.reporting.models import ExpectedReport, Period, Submission


def test_demo_reports_then_nothing_more(db) -> None:
    result = load_demo()
    out = io.StringIO()
    regime = demo.load(out, province=result.province)
    assert regime is not None, out.getvalue()
    period = Period.objects.filter(regime=regime, deadline__lt=timezone.localdate()).order_by("-end").first()
    assert period is not None
    summary = selectors.completeness(period)
    statuses = [r["status"] for r in summary["by_agency"]]
    assert statuses.count("missing") == 1 and statuses.count("submitted") == 1  # the corrected one
    assert summary["expected"] >= 4 and summary["received"] == summary["expected"] - 1
    assert sum(1 for r in summary["by_agency"] if r["on_time"] is False) == 1
    corrected = ExpectedReport.objects.get(period=period, status="submitted")
    assert list(corrected.submissions.order_by("version").values_list("state", flat=True)) == [
        "returned",
        "submitted",
    ]
    totals = {i["code"]: i["value"] for i in selectors.aggregate(period, result.province)["indicators"]}
    assert totals["received"] > 0 and 0 < totals["on_time_rate"] <= 100
    before = (Submission.objects.count(), AuditEntry.objects.count())
    demo.load(io.StringIO(), province=result.province)
    assert (Submission.objects.count(), AuditEntry.objects.count()) == before
