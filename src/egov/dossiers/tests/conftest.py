"""Fixtures of the dossier tests: a small procedure catalogue made with the ORM, one-stop staff, citizens."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from egov.directory import services as directory_services
from egov.directory.models import Agency, Position, Role, User
from egov.directory.tests.fixtures import PASSWORD, make_staff
from egov.documents.tests.conftest import NamedBytes, pdf_bytes
from egov.dossiers import services
from egov.procedures.models import (
    Channel,
    ExecutionMethod,
    Field,
    Procedure,
    ProcedureAgency,
    ProcedureGroup,
    ProcedureGroupItem,
    ProcessStep,
    RequiredPaper,
)

__all__ = ["NamedBytes", "pdf_bytes"]


def make_procedure(
    code: str,
    *,
    receiving: Agency,
    days: str = "5",
    fee: int = 0,
    online_level: str = Procedure.OnlineLevel.PARTIAL,
    steps: list[tuple[str, str, Agency | None, str]] | None = None,
    papers: list[tuple[str, str, bool]] | None = None,
    channels: tuple[int, ...] = (Channel.DIRECT, Channel.ONLINE, Channel.POSTAL),
) -> Procedure:
    field, _ = Field.objects.get_or_create(code="HT", defaults={"name": "Hộ tịch"})
    procedure = Procedure.objects.create(
        code=code, name=f"Thủ tục {code}", field=field, levels=["province"], online_level=online_level
    )
    for channel in channels:
        ExecutionMethod.objects.create(
            procedure=procedure, channel=channel, processing_days=Decimal(days), fee_amount=fee
        )
    ProcedureAgency.objects.create(procedure=procedure, agency=receiving, role=ProcedureAgency.Part.RECEIVING)
    for i, (paper_code, name, required) in enumerate(
        papers if papers is not None else [("TO_KHAI", "Tờ khai", True), ("CCCD", "Bản sao CCCD", True)]
    ):
        RequiredPaper.objects.create(
            procedure=procedure, order=i, code=paper_code, name=name, is_required=required
        )
    for i, (name, role, agency, step_days) in enumerate(
        steps
        if steps is not None
        else [
            ("Thẩm định", Role.SPECIALIST, None, "3"),
            ("Phê duyệt", Role.LEADER, None, "2"),
        ]
    ):
        ProcessStep.objects.create(
            procedure=procedure, order=i + 1, name=name, role=role, agency=agency, days=Decimal(step_days)
        )
    return procedure


@dataclass
class World:
    tree: Any
    procedure: Procedure
    officer: User
    specialist: User
    leader: User
    citizen: User
    other_citizen: User


def make_citizen(name: str, cccd: str, phone: str) -> User:
    return directory_services.register_citizen(
        full_name=name, identity_number=cccd, password=PASSWORD, phone=phone, email=f"{phone}@example.vn"
    )


@pytest.fixture
def world(tree: Any) -> World:
    officer = make_staff("motcua", tree.department, Role.ONE_STOP_OFFICER, title="Cán bộ một cửa")
    specialist = make_staff("chuyenvien", tree.unit, Role.SPECIALIST, title="Chuyên viên")
    leader = make_staff("giamdoc", tree.department, Role.LEADER, title="Giám đốc")
    procedure = make_procedure("1.000001", receiving=tree.department, fee=50_000)
    # Tests move the clock back to 2026 dates: positions must already be valid then.
    Position.objects.update(valid_from=dt.date(2020, 1, 1))
    citizen = make_citizen("Nguyễn Văn An", "001090000001", "0912345678")
    other = make_citizen("Trần Thị Bình", "001090000002", "0987654321")
    return World(tree, procedure, officer, specialist, leader, citizen, other)


def upload(name: str = "to-khai.pdf", text: str = "To khai") -> NamedBytes:
    return NamedBytes(pdf_bytes(text), name)


def full_papers(procedure: Procedure) -> list[services.PaperInput]:
    return [
        services.PaperInput(
            required_paper=p,
            upload=upload(f"{p.code.lower()}.pdf", p.name.encode("ascii", "replace").decode()),
        )
        for p in procedure.papers.all()
    ]


def submit(world: World, **kw: Any) -> Any:
    kw.setdefault("actor", world.citizen)
    kw.setdefault("procedure", world.procedure)
    kw.setdefault("agency", world.tree.department)
    kw.setdefault("papers", full_papers(kw["procedure"]))
    return services.submit_online(**kw)


def at(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime(y, m, d, hh, mm), timezone.get_current_timezone())


def desk(world: World, **kw: Any) -> Any:
    kw.setdefault("actor", world.officer)
    kw.setdefault("procedure", world.procedure)
    kw.setdefault("agency", world.tree.department)
    kw.setdefault("applicant", services.Applicant(name="Lê Văn Cường", identity_number="001090000009"))
    kw.setdefault("papers", [services.PaperInput(required_paper=p) for p in kw["procedure"].papers.all()])
    return services.receive_at_desk(**kw)


@pytest.fixture
def group_world(world: World) -> tuple[World, ProcedureGroup, list[Procedure], list[Agency]]:
    tree = world.tree
    birth = make_procedure(
        "1.000100", receiving=tree.province, days="3", papers=[("TK_KS", "Tờ khai khai sinh", True)]
    )
    residence = make_procedure(
        "1.000200", receiving=tree.department, days="7", papers=[("TK_CT", "Tờ khai thay đổi cư trú", True)]
    )
    insurance = make_procedure(
        "1.000300", receiving=tree.office, days="5", papers=[("TK_BHYT", "Tờ khai tham gia BHYT", True)]
    )
    group = ProcedureGroup.objects.create(code="LT01", name="Khai sinh – thường trú – BHYT trẻ dưới 6 tuổi")
    for i, p in enumerate([birth, residence, insurance]):
        ProcedureGroupItem.objects.create(group=group, procedure=p, order=i + 1)
    return world, group, [birth, residence, insurance], [tree.province, tree.department, tree.office]


def pdf_io(text: str = "Ket qua") -> io.BytesIO:
    return NamedBytes(pdf_bytes(text), "ket-qua.pdf")
