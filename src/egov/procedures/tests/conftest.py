from __future__ import annotations

from pathlib import Path

import pytest

from egov.procedures import services
from egov.procedures.models import Channel, Procedure, ProcedureAgency

REPO = Path(__file__).resolve().parents[4]
SHARED_PROCEDURES = REPO.parent / "shared" / "data" / "procedures"

Part = ProcedureAgency.Part


def make_procedure(
    tree, code: str = "1.001193", name: str = "Thủ tục đăng ký khai sinh", **extra
) -> Procedure:
    field = services.ensure_field(actor=None, name="Hộ tịch", code="HT")
    values = {
        "field": field,
        "levels": ["commune"],
        "methods": [
            {"channel": Channel.DIRECT, "processing_days": 1, "fee_amount": 0},
            {"channel": Channel.ONLINE, "processing_days": 1},
        ],
        "papers": [{"name": "Tờ khai đăng ký khai sinh", "form_name": "Tờ khai đăng ký khai sinh"}],
        "steps": [
            {"name": "Tiếp nhận hồ sơ", "role": "one_stop_officer", "days": "0.5"},
            {"name": "Thẩm định, trình ký", "role": "specialist", "days": "0.5"},
        ],
        "agencies": [(tree.commune, Part.RECEIVING), (tree.commune, Part.EXECUTING)],
    }
    values.update(extra)
    return services.create_procedure(actor=None, code=code, name=name, **values)


@pytest.fixture
def birth(tree) -> Procedure:
    return make_procedure(tree)
