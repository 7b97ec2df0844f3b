"""Demo reports (báo cáo trình diễn) for the demo province: ``egov demo`` loads them after the directory.

A monthly regime “Báo cáo tình hình tiếp nhận, giải quyết thủ tục hành chính” received by the provincial
people's committee, owed by the demo departments and the two demo communes. For the last period whose
deadline has passed: most agencies sent on time and were accepted, one sent late, one was returned for
correction and sent again (two versions), one never sent. The period before it is complete; the current
period has a draft. Everything goes through ``reporting.services`` (audited; signed with the agencies'
certificates when the documents demo issued them). Idempotent: nothing is created when the regime already
has reports.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from egov.directory.demo_data import pick_communes
from egov.directory.importers import KEY_PREFIX, MODEL_2025, PROVINCE
from egov.directory.models import Agency
from egov.reporting import services
from egov.reporting.models import ExpectedReport, Period, Regime, Submission

CODE = "demo-tthc-thang"
TEMPLATE = "I. Tình hình tiếp nhận hồ sơ\nII. Kết quả giải quyết\nIII. Đánh giá, kiến nghị"
SEED = 20261122

INDICATORS: list[dict[str, Any]] = [
    {"code": "received", "name": "Tổng số hồ sơ tiếp nhận", "unit": "hồ sơ", "kind": "integer", "order": 1},
    {
        "code": "received_online",
        "name": "Tiếp nhận trực tuyến",
        "unit": "hồ sơ",
        "kind": "integer",
        "parent": "received",
        "order": 2,
    },
    {
        "code": "received_direct",
        "name": "Tiếp nhận trực tiếp, qua bưu chính",
        "unit": "hồ sơ",
        "kind": "integer",
        "parent": "received",
        "order": 3,
    },
    {"code": "resolved", "name": "Số hồ sơ đã giải quyết", "unit": "hồ sơ", "kind": "integer", "order": 4},
    {
        "code": "resolved_on_time",
        "name": "Giải quyết đúng hạn",
        "unit": "hồ sơ",
        "kind": "integer",
        "order": 5,
    },
    {
        "code": "on_time_rate",
        "name": "Tỷ lệ giải quyết đúng hạn",
        "unit": "%",
        "kind": "percent",
        "aggregation": "weighted_ratio",
        "numerator_code": "resolved_on_time",
        "denominator_code": "resolved",
        "required": False,
        "order": 6,
    },
    {
        "code": "satisfaction",
        "name": "Chỉ số hài lòng bình quân",
        "unit": "điểm",
        "kind": "decimal",
        "aggregation": "average",
        "min_value": 0,
        "max_value": 10,
        "order": 7,
    },
    {
        "code": "by_field",
        "name": "Hồ sơ tiếp nhận theo lĩnh vực",
        "unit": "hồ sơ",
        "kind": "table",
        "required": False,
        "order": 8,
        "rows": [
            {"code": "tu_phap", "name": "Tư pháp - hộ tịch"},
            {"code": "dat_dai", "name": "Đất đai"},
            {"code": "khac", "name": "Lĩnh vực khác"},
        ],
    },
    {
        "code": "incoming_documents",
        "name": "Văn bản đến",
        "unit": "văn bản",
        "kind": "integer",
        "source": "computed",
        "source_code": "documents.incoming_count",
        "required": False,
        "order": 9,
    },
    {
        "code": "assessment",
        "name": "Đánh giá chung, kiến nghị",
        "kind": "text",
        "required": False,
        "order": 10,
    },
]


def _values(rng: random.Random, scale: int) -> dict[str, Any]:
    received = rng.randint(20, 60) * scale
    online = rng.randint(received // 3, received)
    resolved = rng.randint(received // 2, received)
    on_time = rng.randint(resolved * 8 // 10, resolved)
    tu_phap = rng.randint(0, received // 2)
    dat_dai = rng.randint(0, received - tu_phap)
    return {
        "received": received,
        "received_online": online,
        "received_direct": received - online,
        "resolved": resolved,
        "resolved_on_time": on_time,
        "satisfaction": round(rng.uniform(7.5, 9.8), 1),
        "by_field": {"tu_phap": tu_phap, "dat_dai": dat_dai, "khac": received - tu_phap - dat_dai},
        "assessment": "Tình hình tiếp nhận, giải quyết hồ sơ ổn định.",
    }


def _at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def _province(province: Agency | None) -> Agency | None:
    if province is not None:
        return province
    code = settings.EGOV_DEMO_PROVINCE_CODE.strip().zfill(2)
    return Agency.objects.filter(external_key=f"{KEY_PREFIX[MODEL_2025]}:{PROVINCE}:{code}").first()


def load(stdout: Any = None, *, province: Agency | None = None) -> Regime | None:
    """Load the demo regime and reports (see the module docstring). Returns the regime."""
    out = stdout.write if stdout is not None else (lambda _line: None)
    province = _province(province)
    if province is None:
        out("Báo cáo trình diễn: chưa có tỉnh trình diễn / no demo province.")
        return None
    existing = Regime.objects.filter(code=CODE).first()
    if existing is not None and Submission.objects.filter(expected__regime=existing).exists():
        out("Báo cáo trình diễn đã có sẵn / demo reports already present.")
        return existing
    departments = list(
        province.children.current()
        .filter(kind=Agency.Kind.DEPARTMENT, external_key__startswith="demo:")
        .order_by("external_key")
    )
    agencies = departments + pick_communes(province)
    if len(agencies) < 4:
        out("Báo cáo trình diễn: không đủ cơ quan / not enough demo agencies.")
        return None
    today = timezone.localdate()
    first_month = (today.replace(day=1) - dt.timedelta(days=75)).replace(day=1)
    with transaction.atomic():
        regime = services.import_regime(
            actor=None,
            data={
                "code": CODE,
                "name": "Báo cáo tình hình tiếp nhận, giải quyết thủ tục hành chính",
                "legal_basis": "Nghị định 09/2019/NĐ-CP; Nghị định 61/2018/NĐ-CP (Điều 38)",
                "description": "Số liệu tiếp nhận, giải quyết hồ sơ thủ tục hành chính trong kỳ.",
                "frequency": "monthly",
                "receiving_agency": {"id": province.pk},
                "reporting_agencies": [{"id": a.pk} for a in agencies],
                "deadline_working_days": 2,
                "effective_from": first_month.isoformat(),
                "template_text": TEMPLATE,
                "indicators": INDICATORS,
            },
        )
        services.generate_periods(actor=None, regime=regime)
        done = list(Period.objects.filter(regime=regime, deadline__lt=today).order_by("-end")[:2])
        if not done:
            out("Báo cáo trình diễn: chưa có kỳ đã hết hạn / no past period yet.")
            return regime
        rng = random.Random(SEED)
        scales = {a.pk: (3 if a.kind == Agency.Kind.DEPARTMENT else 1) for a in agencies}
        if len(done) == 2:  # the period before: complete, on time, accepted
            for agency in agencies:
                report = ExpectedReport.objects.get(period=done[1], agency=agency)
                services.submit(
                    actor=None,
                    report=report,
                    values=_values(rng, scales[agency.pk]),
                    now=_at(done[1].end + dt.timedelta(days=1)),
                )
                services.accept(actor=None, report=report, now=_at(done[1].deadline, 15))
        period = done[0]
        *on_time, late, corrected, missing = agencies
        for agency in on_time:
            report = ExpectedReport.objects.get(period=period, agency=agency)
            services.submit(
                actor=None,
                report=report,
                values=_values(rng, scales[agency.pk]),
                now=_at(period.end + dt.timedelta(days=1)),
            )
            services.accept(actor=None, report=report, now=_at(period.deadline, 15))
        report = ExpectedReport.objects.get(period=period, agency=late)
        late_day = period.deadline + dt.timedelta(days=3)
        services.submit(actor=None, report=report, values=_values(rng, scales[late.pk]), now=_at(late_day))
        services.accept(actor=None, report=report, now=_at(late_day, 16))
        report = ExpectedReport.objects.get(period=period, agency=corrected)
        values = _values(rng, scales[corrected.pk])
        wrong = {**values, "resolved_on_time": values["resolved"] + 5}
        services.submit(actor=None, report=report, values=wrong, now=_at(period.end + dt.timedelta(days=1)))
        services.return_report(
            actor=None,
            report=report,
            reason="Số hồ sơ giải quyết đúng hạn lớn hơn số hồ sơ đã giải quyết; đề nghị kiểm tra lại.",
            now=_at(period.deadline, 10),
        )
        services.submit(actor=None, report=report, values=values, now=_at(period.deadline, 14))
        del missing  # never sent: shown as missing and overdue, reminded by the worker
        current = Period.objects.filter(regime=regime, start__lte=today, end__gte=today).first()
        if current is not None:
            report = ExpectedReport.objects.get(period=current, agency=agencies[0])
            draft = _values(rng, scales[agencies[0].pk])
            services.save_draft(actor=None, report=report, values={"received": draft["received"]})
    out(
        f"Báo cáo trình diễn / demo reports: {regime.name}, {len(agencies)} cơ quan báo cáo, "
        f"kỳ {period.label}: {len(on_time) + 2} đã gửi (1 trễ hạn, 1 bị trả lại và gửi lại), 1 chưa gửi."
    )
    return regime
