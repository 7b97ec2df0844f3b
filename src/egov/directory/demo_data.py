"""Demo data (dữ liệu trình diễn) for one real province of the 2025 model: ``egov demo``.

Loads the province and its communes through the importer, then adds the provincial departments (sở, ban,
ngành) with the short names used in document notations, a few internal units (phòng), staff in every
role with one shared demo password, and one citizen account. Idempotent: objects are found again by
``external_key`` (agencies) or username (people); a second run creates nothing.

The QCVN 102 codes given here (``000.00.00.H92`` for the province, ``000.00.<seq>.H92`` for departments,
``000.<20+n>.01.H92`` for the two demo communes when the import left them without one) are illustrative,
built from the GSO province code; they are not the official codes of the national code list (no public copy
of the communes' codes is shipped with egov). Dossier codes (``<QCVN 102>-<yymmdd>-<nnnn>``) are built on
them, so each demo commune has one, and a one-stop officer, a specialist and a leader to handle its
dossiers (the commune-level procedures' steps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction

from egov.directory import services
from egov.directory.importers import KEY_PREFIX, MODEL_2025, PROVINCE, import_units
from egov.directory.models import Agency, CitizenProfile, Position, Role, User
from egov.directory.validators import CCCD_PROVINCE_CODES

# Printed on screen by ``egov demo``; demo databases only (the command refuses to run in production).
DEMO_PASSWORD = "Egov-Demo-2025!"  # noqa: S105
DEMO_EMAIL_DOMAIN = "example.gov.vn"


class DemoRefusedError(RuntimeError):
    """Demo data must never be loaded into a production database."""


@dataclass(frozen=True)
class DepartmentSpec:
    key: str
    name: str  # "{place}" becomes "thành phố Cần Thơ" / "tỉnh An Giang"
    short_name: str
    seq: int  # QCVN 102 level-2 number under the province: 000.00.<seq>.H<code>


@dataclass(frozen=True)
class UnitSpec:
    key: str
    parent: str
    name: str
    short_name: str


@dataclass(frozen=True)
class StaffSpec:
    username: str
    full_name: str
    agency: str  # "province", a department or unit key, or "commune1" / "commune2"
    role: str
    title: str


DEPARTMENTS = (
    DepartmentSpec("vp", "Văn phòng Ủy ban nhân dân {place}", "VP", 1),
    DepartmentSpec("snv", "Sở Nội vụ {place}", "SNV", 2),
    DepartmentSpec("stp", "Sở Tư pháp {place}", "STP", 3),
    DepartmentSpec("syt", "Sở Y tế {place}", "SYT", 4),
    DepartmentSpec("stc", "Sở Tài chính {place}", "STC", 5),
    DepartmentSpec("skhcn", "Sở Khoa học và Công nghệ {place}", "SKHCN", 6),
    DepartmentSpec("ttpvhcc", "Trung tâm Phục vụ hành chính công {place}", "TTPVHCC", 7),
)

UNITS = (
    UnitSpec("vp.hcto", "vp", "Phòng Hành chính - Tổ chức", "HCTC"),
    UnitSpec("vp.th", "vp", "Phòng Tổng hợp", "TH"),
    UnitSpec("vp.ksttthc", "vp", "Phòng Kiểm soát thủ tục hành chính", "KSTTHC"),
    UnitSpec("snv.tcbc", "snv", "Phòng Tổ chức, biên chế và tổ chức phi chính phủ", "TCBC"),
    UnitSpec("snv.cchc", "snv", "Phòng Cải cách hành chính", "CCHC"),
)

STAFF = (
    StaffSpec("chutich", "Trần Văn Hùng", "province", Role.LEADER, "Chủ tịch Ủy ban nhân dân"),
    StaffSpec("phochutich", "Lê Thị Thu Hà", "province", Role.DEPUTY_LEADER, "Phó Chủ tịch Ủy ban nhân dân"),
    StaffSpec("quantri.ubnd", "Đặng Quốc Bảo", "province", Role.AGENCY_ADMIN, "Quản trị cơ quan"),
    StaffSpec("quantri.hethong", "Ngô Thanh Sơn", "province", Role.SYSTEM_ADMIN, "Quản trị hệ thống"),
    StaffSpec("vanthu.vp", "Nguyễn Thị Lan", "vp", Role.CLERK, "Văn thư"),
    StaffSpec("chanhvanphong", "Lê Minh Tuấn", "vp", Role.LEADER, "Chánh Văn phòng"),
    StaffSpec("phochanhvanphong", "Phạm Thị Hồng", "vp", Role.DEPUTY_LEADER, "Phó Chánh Văn phòng"),
    StaffSpec("chuyenvien.th", "Võ Thị Mai", "vp.th", Role.SPECIALIST, "Chuyên viên"),
    StaffSpec("vanthu.snv", "Bùi Thị Thu", "snv", Role.CLERK, "Văn thư"),
    StaffSpec("giamdoc.snv", "Hoàng Văn Nam", "snv", Role.LEADER, "Giám đốc"),
    StaffSpec("phogiamdoc.snv", "Huỳnh Thị Ngọc", "snv", Role.DEPUTY_LEADER, "Phó Giám đốc"),
    StaffSpec("chuyenvien.tcbc", "Đỗ Văn Long", "snv.tcbc", Role.SPECIALIST, "Chuyên viên"),
    StaffSpec("chuyenvien.cchc", "Dương Thị Hạnh", "snv.cchc", Role.SPECIALIST, "Chuyên viên chính"),
    StaffSpec("quantri.snv", "Lý Văn Phúc", "snv", Role.AGENCY_ADMIN, "Quản trị cơ quan"),
    StaffSpec("vanthu.stp", "Trương Thị Yến", "stp", Role.CLERK, "Văn thư"),
    StaffSpec("giamdoc.stp", "Phan Văn Tài", "stp", Role.LEADER, "Giám đốc"),
    StaffSpec("giamdoc.ttpvhcc", "Châu Thị Kim", "ttpvhcc", Role.LEADER, "Giám đốc"),
    StaffSpec(
        "motcua.ttpvhcc", "Lâm Văn Hậu", "ttpvhcc", Role.ONE_STOP_OFFICER, "Cán bộ tiếp nhận và trả kết quả"
    ),
    StaffSpec("motcua.xa1", "Tô Thị Diễm", "commune1", Role.ONE_STOP_OFFICER, "Công chức một cửa"),
    StaffSpec("chutich.xa1", "Thái Văn Khánh", "commune1", Role.LEADER, "Chủ tịch Ủy ban nhân dân"),
    StaffSpec("vanthu.xa1", "Mai Thị Thảo", "commune1", Role.CLERK, "Văn thư"),
    StaffSpec("tuphap.xa1", "Huỳnh Thị Kim Thoa", "commune1", Role.SPECIALIST, "Công chức Tư pháp - Hộ tịch"),
    StaffSpec("motcua.xa2", "Quách Văn Lộc", "commune2", Role.ONE_STOP_OFFICER, "Công chức một cửa"),
    StaffSpec("chutich.xa2", "Trịnh Văn Mạnh", "commune2", Role.LEADER, "Chủ tịch Ủy ban nhân dân"),
    StaffSpec("vhxh.xa2", "Lê Thị Cẩm Nhung", "commune2", Role.SPECIALIST, "Công chức Văn hóa - Xã hội"),
)
#: Illustrative QCVN 102 codes of the demo communes start after this level-2 number (see the docstring).
COMMUNE_CODE_BASE = 20

CITIZEN_FULL_NAME = "Nguyễn Văn An"
CITIZEN_PHONE = "0900000001"
CITIZEN_BIRTH = dt.date(1995, 3, 14)


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    agency: str
    created: bool


@dataclass
class DemoResult:
    province: Agency
    logins: list[Login]
    agencies_created: int = 0
    people_created: int = 0

    @property
    def created_anything(self) -> bool:
        return bool(self.agencies_created or self.people_created)


def qcvn102_code(province_code: str, seq: int = 0) -> str:
    """Illustrative QCVN 102 code: ``000.00.00.H92`` for the province, ``000.00.<seq>.H92`` below it."""
    return f"000.00.{seq:02d}.H{province_code[-2:]}"


def commune_code(province_code: str, n: int) -> str:
    """Illustrative QCVN 102 code of the ``n``-th demo commune: ``000.<20+n>.01.H92`` (not official)."""
    return f"000.{COMMUNE_CODE_BASE + n:02d}.01.H{province_code[-2:]}"


def _ensure_commune_code(commune: Agency, province_code: str, n: int) -> Agency:
    """Give a demo commune an illustrative code when it has none (the first free one from its number on)."""
    if commune.code_qcvn102:
        return commune
    for k in range(n, n + 70):
        wanted = _free_code(commune_code(province_code, k), commune)
        if wanted:
            return services.update_agency(actor=None, agency=commune, code_qcvn102=wanted)
    return commune


def place_name(province: Agency) -> str:
    """``Ủy ban nhân dân Thành phố Cần Thơ`` → ``thành phố Cần Thơ``."""
    unit = province.name.removeprefix("Ủy ban nhân dân ").strip()
    return unit[:1].lower() + unit[1:]


def citizen_identity_number(province_code: str) -> str:
    """A valid-looking CCCD: place-of-birth code of the province, then sex/century digit, year and serial."""
    prefix = f"0{province_code[-2:]}"
    if prefix not in CCCD_PROVINCE_CODES:
        prefix = "001"
    return f"{prefix}095001234"  # 0 = male born 1900-1999, 95 = 1995, serial 001234


def _free_code(code: str, agency: Agency | None) -> str | None:
    """``code`` unless another agency already holds it (the demo never takes a real agency's code)."""
    taken = Agency.objects.filter(code_qcvn102=code)
    if agency is not None:
        taken = taken.exclude(pk=agency.pk)
    return None if taken.exists() else code


def _ensure_agency(
    result: DemoResult, key: str, parent: Agency, kind: str, name: str, short_name: str, code: str | None
) -> Agency:
    agency = Agency.objects.filter(external_key=key).first()
    if agency is not None:
        return agency
    result.agencies_created += 1
    return services.create_agency(
        actor=None,
        parent=parent,
        external_key=key,
        kind=kind,
        name=name,
        short_name=short_name,
        code_qcvn102=_free_code(code, None) if code else None,
    )


def pick_communes(province: Agency) -> list[Agency]:
    """A ward (phường) and a commune (xã) when the province has both, else its first two communes."""
    communes = list(province.children.filter(kind=Agency.Kind.COMMUNE).order_by("admin_unit_code"))
    ward = next((c for c in communes if c.name.startswith("Ủy ban nhân dân Phường")), None)
    rural = next((c for c in communes if c.name.startswith("Ủy ban nhân dân Xã")), None)
    picked = [c for c in (ward, rural) if c is not None]
    for commune in communes:
        if len(picked) >= 2:
            break
        if commune not in picked:
            picked.append(commune)
    return picked


def _ensure_staff(result: DemoResult, spec: StaffSpec, agency: Agency) -> Login:
    user = User.objects.filter(username=spec.username).first()
    created = user is None
    if user is None:
        user = services.create_staff_user(
            actor=None,
            username=spec.username,
            full_name=spec.full_name,
            email=f"{spec.username}@{DEMO_EMAIL_DOMAIN}",
            password=DEMO_PASSWORD,
        )
        result.people_created += 1
    if (
        user.kind == User.Kind.STAFF
        and not Position.objects.active().filter(user=user, agency=agency, role=spec.role).exists()
    ):
        services.assign_position(actor=None, user=user, agency=agency, role=spec.role, title=spec.title)
    return Login(spec.username, DEMO_PASSWORD, str(Role(spec.role).label), agency.name, created)


def _ensure_citizen(result: DemoResult, province_code: str) -> Login:
    identity_number = citizen_identity_number(province_code)
    created = False
    if not (
        User.objects.filter(username=CITIZEN_PHONE).exists()
        or CitizenProfile.objects.filter(identity_number=identity_number).exists()
    ):
        services.register_citizen(
            full_name=CITIZEN_FULL_NAME,
            identity_number=identity_number,
            password=DEMO_PASSWORD,
            phone=CITIZEN_PHONE,
            date_of_birth=CITIZEN_BIRTH,
        )
        result.people_created += 1
        created = True
    label = f"Công dân (CCCD {identity_number})"
    return Login(CITIZEN_PHONE, DEMO_PASSWORD, label, "—", created)


def load_demo(province_code: str | None = None) -> DemoResult:
    """Load (or find again) the demo province, its departments, staff and citizen."""
    if settings.PRODUCTION:
        raise DemoRefusedError(
            "Không nạp dữ liệu trình diễn khi EGOV_PRODUCTION=1 / refusing demo data in production."
        )
    code = (province_code or settings.EGOV_DEMO_PROVINCE_CODE).strip().zfill(2)
    with transaction.atomic():
        import_units(model=MODEL_2025, provinces=[code])
        province = Agency.objects.get(external_key=f"{KEY_PREFIX[MODEL_2025]}:{PROVINCE}:{code}")
        result = DemoResult(province=province, logins=[])
        if not province.code_qcvn102:
            wanted = _free_code(qcvn102_code(code), province)
            if wanted:
                province = services.update_agency(actor=None, agency=province, code_qcvn102=wanted)
                result.province = province
        place = place_name(province)
        agencies: dict[str, Agency] = {"province": province}
        for dept in DEPARTMENTS:
            agencies[dept.key] = _ensure_agency(
                result,
                f"demo:{code}:{dept.key}",
                province,
                Agency.Kind.DEPARTMENT,
                dept.name.format(place=place),
                dept.short_name,
                qcvn102_code(code, dept.seq),
            )
        for unit in UNITS:
            agencies[unit.key] = _ensure_agency(
                result,
                f"demo:{code}:{unit.key}",
                agencies[unit.parent],
                Agency.Kind.UNIT,
                unit.name,
                unit.short_name,
                None,
            )
        for i, commune in enumerate(pick_communes(province), start=1):
            agencies[f"commune{i}"] = _ensure_commune_code(commune, code, i)
        for spec in STAFF:
            if spec.agency in agencies:
                result.logins.append(_ensure_staff(result, spec, agencies[spec.agency]))
        result.logins.append(_ensure_citizen(result, code))
    return result


def logins_table(logins: list[Login]) -> list[str]:
    """A plain-text table of the demo logins."""
    header = ("Tên đăng nhập / username", "Mật khẩu / password", "Vai trò / role", "Cơ quan / agency")
    rows: list[tuple[str, ...]] = [header, *((x.username, x.password, x.role, x.agency) for x in logins)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]

    def fmt(row: tuple[Any, ...]) -> str:
        return "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return [fmt(header), rule, *(fmt(r) for r in rows[1:])]
