from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from egov.directory.models import Role
from egov.directory.tests.fixtures import Tree, make_staff
from egov.reporting import services
from egov.reporting.models import ExpectedReport, Period, Regime
from egov.reporting.periods import period_containing

REGIME = {
    "code": "dvc-thang",
    "name": "Báo cáo tình hình giải quyết thủ tục hành chính",
    "legal_basis": "Nghị định 09/2019/NĐ-CP",
    "frequency": "monthly",
    "effective_from": "2026-01-01",
    "deadline_working_days": 2,
    "indicators": [
        {"code": "received", "name": "Hồ sơ tiếp nhận", "kind": "integer", "order": 1},
        {"code": "online", "name": "Trực tuyến", "kind": "integer", "parent": "received", "order": 2},
        {"code": "direct", "name": "Trực tiếp", "kind": "integer", "parent": "received", "order": 3},
        {"code": "resolved", "name": "Hồ sơ đã giải quyết", "kind": "integer", "order": 4},
        {"code": "on_time", "name": "Giải quyết đúng hạn", "kind": "integer", "order": 5},
        {"code": "on_time_rate", "name": "Tỷ lệ đúng hạn", "kind": "percent", "unit": "%",
         "aggregation": "weighted_ratio", "numerator_code": "on_time", "denominator_code": "resolved",
         "required": False, "order": 6},
        {"code": "satisfaction", "name": "Mức độ hài lòng", "kind": "decimal", "aggregation": "average",
         "min_value": 0, "max_value": 10, "required": False, "order": 7},
        {"code": "by_field", "name": "Theo lĩnh vực", "kind": "table", "required": False, "order": 8,
         "rows": [{"code": "tu_phap", "name": "Tư pháp"}, {"code": "dat_dai", "name": "Đất đai"}]},
        {"code": "incoming_docs", "name": "Văn bản đến", "kind": "integer", "source": "computed",
         "source_code": "documents.incoming_count", "order": 9},
        {"code": "notes", "name": "Đánh giá chung", "kind": "text", "required": False, "order": 10},
    ],
}  # fmt: skip


def good_values(received: int = 10, online: int = 6, resolved: int = 8, on_time: int = 6) -> dict[str, Any]:
    return {
        "received": received,
        "online": online,
        "direct": received - online,
        "resolved": resolved,
        "on_time": on_time,
        "satisfaction": "8,5",
        "by_field": {"tu_phap": 3, "dat_dai": 7},
        "notes": "Ổn định",
    }


@pytest.fixture
def regime(tree: Tree) -> Regime:
    return services.import_regime(
        actor=None,
        data={
            **REGIME,
            "receiving_agency": {"code_qcvn102": tree.province.code_qcvn102},
            "reporting_agencies": [
                {"id": tree.department.pk},
                {"id": tree.office.pk},
                {"id": tree.commune.pk},
            ],
        },
    )


@pytest.fixture
def period(regime: Regime) -> Period:
    """The period holding today (open, deadline ahead), with the earlier ones generated too."""
    services.generate_periods(actor=None, regime=regime)
    spec = period_containing(regime.frequency, timezone.localdate())
    assert spec is not None
    return Period.objects.get(regime=regime, key=spec.key)


def previous_period(period: Period) -> Period:
    earlier = Period.objects.filter(regime=period.regime, end__lt=period.start).order_by("-end").first()
    assert earlier is not None
    return earlier


@pytest.fixture
def report(period: Period, tree: Tree) -> ExpectedReport:
    return ExpectedReport.objects.get(period=period, agency=tree.department)


@pytest.fixture
def province_leader(tree: Tree) -> Any:
    return make_staff("chutich", tree.province, Role.LEADER, title="Chủ tịch")


@pytest.fixture
def commune_clerk(tree: Tree) -> Any:
    return make_staff("vanthuxa", tree.commune, Role.CLERK, title="Văn thư")
