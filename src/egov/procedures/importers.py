"""Import of the procedure catalogue: the national record shape (JSON) and a spreadsheet (XLSX).

Both formats become the same normalised record, applied through ``procedures.services`` (validated and
audited). Idempotent by procedure code: each record is reported as created, updated or unchanged.

**All or nothing**: the whole file is imported in one transaction. Every record is validated (each in its
own savepoint, so that all bad records are found in one run); when any record is bad, nothing is written
and the report names each bad record with its line (JSON) or sheet and row (XLSX) and the reason.

The accepted key names, the spreadsheet layout and the ``--agency-map`` format are documented in
``docs/procedures.md``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from egov.core.text import fold
from egov.directory.models import Agency, Role
from egov.procedures import services
from egov.procedures.models import Channel, Procedure, ProcedureAgency

Part = ProcedureAgency.Part
JSON, XLSX = "json", "xlsx"
FORMATS = (JSON, XLSX)


class ImportProceduresError(Exception):
    """The file cannot be read at all (not JSON, not a workbook, unknown format, bad agency map)."""


class _Rollback(Exception):
    pass


@dataclass
class RowError:
    where: str  # "dòng 12" / "Thủ tục!5"
    code: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where} ({self.code or '?'}): {self.reason}"


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    inactive: list[str] = field(default_factory=list)  # created without a receiving agency → not in force
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def lines(self) -> list[str]:
        if self.errors:
            out = [
                f"Lỗi / error — không nhập gì / nothing imported ({len(self.errors)} bản ghi lỗi / bad rows):"
            ]
            out += [f"  {e}" for e in self.errors]
            return out
        out = [
            f"Tạo mới / created: {len(self.created)}, cập nhật / updated: {len(self.updated)}, "
            f"không đổi / unchanged: {len(self.unchanged)}"
        ]
        if self.inactive:
            out.append(
                "Chưa có cơ quan tiếp nhận, nhập ở trạng thái chưa áp dụng / no receiving agency, imported "
                f"inactive: {', '.join(self.inactive)}"
            )
        if self.dry_run:
            out.append("Chạy thử, không ghi gì / dry run, nothing written.")
        return out


# --- value mapping -------------------------------------------------------------------------------------

LEVELS = {
    "cap bo": Procedure.Level.CENTRAL,
    "cap trung uong": Procedure.Level.CENTRAL,
    "cap tinh": Procedure.Level.PROVINCE,
    "cap xa": Procedure.Level.COMMUNE,
    # District level was abolished on 01/7/2025; its procedures moved mostly to communes or provinces.
    # The record does not say which, so "Cấp huyện" is kept as "other" (docs/procedures.md).
    "cap huyen": Procedure.Level.OTHER,
    "co quan khac": Procedure.Level.OTHER,
    "chua xac dinh": Procedure.Level.OTHER,
}
LEVEL_FLAGS = {
    "isMinistry": Procedure.Level.CENTRAL,
    "isProvince": Procedure.Level.PROVINCE,
    "isWard": Procedure.Level.COMMUNE,
    "isOtherAgency": Procedure.Level.OTHER,
    "isUndetermined": Procedure.Level.OTHER,
}


def map_levels(value: Any) -> list[str]:
    parts = [str(v) for v in value] if isinstance(value, list) else re.split(r"[,;]", str(value or ""))
    levels: list[str] = []
    for part in parts:
        key = fold(part)
        if not key:
            continue
        if key in Procedure.Level.values:
            level = key
        elif key in LEVELS:
            level = LEVELS[key]
        else:
            raise ValidationError(_t("Cấp thực hiện “%s” không rõ.") % part.strip())
        if level not in levels:
            levels.append(level)
    return levels


def map_kind(value: Any) -> str:
    key = fold(str(value or ""))
    if not key or "tieu chuan" in key or key == "standard":
        return Procedure.Kind.STANDARD
    if "dac thu" in key or key in ("special", "specific", "specialized"):
        return Procedure.Kind.SPECIAL
    if "noi bo" in key or key == "internal":
        return Procedure.Kind.INTERNAL
    raise ValidationError(_t("Loại thủ tục “%s” không rõ.") % value)


def map_online_level(value: Any) -> str:
    key = fold(str(value or ""))
    if key in ("full", "toan trinh", "truc tuyen toan trinh", "4", "muc do 4"):
        return Procedure.OnlineLevel.FULL
    if key in ("partial", "mot phan", "truc tuyen mot phan", "3", "muc do 3", ""):
        return Procedure.OnlineLevel.PARTIAL
    if key in ("none", "khong", "khong truc tuyen", "0", "1", "2"):
        return Procedure.OnlineLevel.NONE
    raise ValidationError(_t("Mức độ trực tuyến “%s” không rõ.") % value)


def map_channel(value: Any) -> int:
    if isinstance(value, int) and value in Channel.values:
        return value
    key = fold(str(value or ""))
    if key in ("1", "direct", "truc tiep") or key.startswith("truc tiep"):
        return Channel.DIRECT
    if key in ("2", "online", "truc tuyen") or key.startswith("truc tuyen"):
        return Channel.ONLINE
    if key in ("3", "postal", "post") or "buu chinh" in key or "buu dien" in key:
        return Channel.POSTAL
    raise ValidationError(_t("Kênh thực hiện “%s” không rõ.") % value)


HOURS_PER_DAY = Decimal(8)


def to_working_days(amount: Any, unit: Any) -> tuple[Decimal, str]:
    """(working days, note) from a processing time and its unit: "Ngày làm việc"/WORKING_DAY as is, "Ngày"/DAY
    counted as working days (noted), "Giờ"/HOUR divided by 8 (rounded to 0.1 day, noted)."""
    number = parse_decimal(amount, _t("thời hạn giải quyết"))
    key = fold(str(unit or "")).replace("_", " ")
    if key in ("", "ngay lam viec", "working day", "working days", "ngay lam viec ke tu ngay nhan du ho so"):
        return number, ""
    if key in ("ngay", "day", "days", "ngay ke tu ngay nhan du ho so"):
        return number, _t("%s ngày theo quy định (tính là ngày làm việc)") % _fmt(number)
    if key in ("gio", "gio lam viec", "hour", "hours", "working hour"):
        days = (number / HOURS_PER_DAY).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return days, _t("%s giờ làm việc theo quy định") % _fmt(number)
    raise ValidationError(_t("Đơn vị thời gian “%s” không hỗ trợ (Ngày làm việc, Ngày, Giờ).") % unit)


def parse_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    text = str(value or "").strip().replace(",", ".")
    try:
        return Decimal(text)
    except InvalidOperation:
        raise ValidationError(_t("%(w)s “%(v)s” không phải là số.") % {"w": what, "v": value}) from None


def parse_money(value: Any) -> int:
    """Đồng: 20000, "20.000", "20,000 đồng", "Miễn phí" (0)."""
    if value is None or value == "":
        return 0
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if value < 0:
            raise ValidationError(_t("Phí, lệ phí không được âm."))
        return int(value)
    key = fold(str(value))
    if "mien" in key or key in ("khong", "0"):
        return 0
    digits = re.sub(r"[.,\s]", "", re.sub(r"(dong|vnd|d)$", "", key).strip())
    if not digits.isdigit():
        raise ValidationError(_t("Phí, lệ phí “%s” không phải là số đồng.") % value)
    return int(digits)


def parse_int(value: Any, default: int, what: str) -> int:
    if value is None or value == "":
        return default
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValidationError(
            _t("%(w)s “%(v)s” không phải là số nguyên.") % {"w": what, "v": value}
        ) from None
    if number != number.to_integral_value():
        raise ValidationError(_t("%(w)s “%(v)s” không phải là số nguyên.") % {"w": what, "v": value})
    return int(number)


def parse_bool(value: Any, default: bool = True) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    key = fold(str(value))
    if key in ("1", "x", "co", "true", "yes", "bat buoc", "dang ap dung"):
        return True
    if key in ("0", "khong", "false", "no", "tuy chon", "ngung ap dung"):
        return False
    raise ValidationError(_t("Giá trị “%s” phải là Có/Không.") % value)


def _fmt(number: Decimal) -> str:
    return format(number.normalize(), "f").replace(".", ",")


def _t(text: str) -> str:
    from django.utils.translation import gettext

    return gettext(text)


def _text(value: Any) -> str:
    return " ".join(str(value).split()) if value is not None else ""


# --- agencies ------------------------------------------------------------------------------------------


def resolve_agency_ref(ref: str) -> list[Agency]:
    """``000.00.03.H92`` (QCVN 102 code), ``key:<external key>``, ``id:<pk>``, ``communes-of:<ref>`` (every
    current commune under that agency) or an agency's exact name."""
    ref = ref.strip()
    if ref.startswith("communes-of:"):
        parents = resolve_agency_ref(ref.removeprefix("communes-of:"))
        return [
            c
            for p in parents
            for c in Agency.objects.current().filter(parent=p, kind=Agency.Kind.COMMUNE).order_by("pk")
        ]
    qs = Agency.objects.current()
    if ref.startswith("key:"):
        found = qs.filter(external_key=ref.removeprefix("key:"))
    elif ref.startswith("id:") and ref[3:].isdigit():
        found = qs.filter(pk=int(ref[3:]))
    elif re.fullmatch(r"\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}", ref):
        found = qs.filter(code_qcvn102=ref)
    else:
        found = qs.filter(name=ref)
    agencies = list(found)
    if not agencies:
        raise ValidationError(_t("Không tìm thấy cơ quan “%s” (hoặc cơ quan không còn hoạt động).") % ref)
    return agencies


class AgencyMap:
    """Maps the executing-agency text of national records to agencies of this instance (``--agency-map``):
    a JSON object ``{"Sở Tư pháp": ["000.00.03.H92"], "Ủy ban nhân dân cấp xã": ["communes-of:key:…"]}``.
    Keys are matched accent-insensitively against the whole text and each part between commas/semicolons."""

    def __init__(self, mapping: Mapping[str, Any] | None = None) -> None:
        self.mapping: dict[str, list[str]] = {}
        for key, refs in (mapping or {}).items():
            values = [refs] if isinstance(refs, str) else list(refs)
            if not all(isinstance(v, str) for v in values):
                raise ImportProceduresError(f"--agency-map: “{key}” must map to a list of strings")
            self.mapping[fold(key)] = values
        self._cache: dict[str, list[Agency]] = {}

    @classmethod
    def load(cls, path: Path | None) -> AgencyMap:
        if path is None:
            return cls()
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ImportProceduresError(f"--agency-map {path}: {exc}") from exc
        if not isinstance(data, dict):
            raise ImportProceduresError(f"--agency-map {path}: expected a JSON object")
        return cls(data)

    def __bool__(self) -> bool:
        return bool(self.mapping)

    def agencies_for(self, text: str) -> list[Agency] | None:
        """The mapped agencies of ``text``, or None when nothing in the map matches."""
        keys = [fold(text), *(fold(p) for p in re.split(r"[,;]", text or ""))]
        refs = [ref for key in dict.fromkeys(keys) if key in self.mapping for ref in self.mapping[key]]
        if not refs:
            return None
        found: list[Agency] = []
        for ref in refs:
            if ref not in self._cache:
                self._cache[ref] = resolve_agency_ref(ref)
            found += self._cache[ref]
        return list({a.pk: a for a in found}.values())


def _refs(value: Any) -> list[Agency]:
    return [a for ref in str(value or "").split(";") if ref.strip() for a in resolve_agency_ref(ref)]


# --- the normalised record -----------------------------------------------------------------------------


@dataclass
class Record:
    where: str
    code: str
    values: dict[str, Any]  # main fields present in the source (field as (name, code))
    methods: list[services.MethodSpec] | None = None
    papers: list[services.PaperSpec] | None = None
    steps: list[services.StepSpec] | None = None
    agencies: list[services.AgencySpec] | None = None


def _first(data: Mapping[str, Any], *keys: str) -> Any:
    for key in keys:
        if key in data and data[key] not in (None, ""):
            return data[key]
    return None


def _has(data: Mapping[str, Any], *keys: str) -> bool:
    return any(key in data for key in keys)


def record_from_json(data: Any, where: str, agency_map: AgencyMap) -> Record:
    """One record of the national catalogue (index or full detail shape, or egov's own keys)."""
    if not isinstance(data, dict):
        raise ValidationError(_t("Bản ghi phải là một đối tượng JSON."))
    code = _text(_first(data, "ma_tthc", "code", "codeNotation", "ma_thu_tuc", "maTTHC"))
    if not code:
        raise ValidationError(_t("Thiếu mã thủ tục (ma_tthc / code)."))
    values: dict[str, Any] = {}
    name = _first(data, "ten_tthc", "name", "ten_thu_tuc", "tenTTHC")
    if name is not None:
        values["name"] = _text(name)
    field_name, field_code = _first(data, "linh_vuc", "field"), _first(data, "ma_linh_vuc", "field_code")
    categories = data.get("categoriesDetails") or []
    if field_name is None and categories and isinstance(categories[0], dict):
        field_name, field_code = categories[0].get("name"), categories[0].get("code")
    if field_name is not None:
        values["field"] = (_text(field_name), _text(field_code))
    if _has(data, "cap_thuc_hien", "levels"):
        values["levels"] = map_levels(_first(data, "cap_thuc_hien", "levels"))
    elif any(flag in data for flag in LEVEL_FLAGS):
        values["levels"] = list(dict.fromkeys(level for flag, level in LEVEL_FLAGS.items() if data.get(flag)))
    if data.get("isInternal") is True:
        values["kind"] = Procedure.Kind.INTERNAL
    elif _has(data, "loai_tthc", "type", "kind"):
        values["kind"] = map_kind(_first(data, "loai_tthc", "type", "kind"))
    agency_text = _first(data, "co_quan_thuc_hien", "executingAgencies", "executing_agency_text")
    if agency_text is not None:
        values["executing_agency_text"] = _text(agency_text)[:1000]
    if "external_id" in data or "id" in data:
        values["external_id"] = _text(_first(data, "external_id", "id"))[:64] or None
    if _has(data, "legalBasisesDetails", "can_cu_phap_ly", "legal_bases"):
        values["legal_bases"] = _legal_bases(
            _first(data, "legalBasisesDetails", "can_cu_phap_ly", "legal_bases")
        )
    if _has(data, "resultsDetails", "ket_qua", "result_type"):
        values["result_type"] = _names(_first(data, "resultsDetails", "ket_qua", "result_type"))[:1000]
    if _has(data, "subjectTypesDetails", "doi_tuong", "applicant_kinds"):
        values["applicant_kinds"] = _names(
            _first(data, "subjectTypesDetails", "doi_tuong", "applicant_kinds")
        )[:255]
    if _has(data, "requirementsAndConditions", "yeu_cau_dieu_kien", "requirements"):
        values["requirements"] = str(
            _first(data, "requirementsAndConditions", "yeu_cau_dieu_kien", "requirements") or ""
        ).strip()
    if _has(data, "muc_do", "online_level"):
        values["online_level"] = map_online_level(_first(data, "muc_do", "online_level"))
    elif "isFullProcess" in data:
        values["online_level"] = (
            Procedure.OnlineLevel.FULL if data["isFullProcess"] else Procedure.OnlineLevel.PARTIAL
        )
    if _has(data, "dang_ap_dung", "is_active"):
        values["is_active"] = parse_bool(_first(data, "dang_ap_dung", "is_active"))
    rec = Record(where=where, code=code, values=values)
    raw_methods = _first(data, "executionMethods", "cach_thuc_thuc_hien", "methods")
    if raw_methods is not None:
        rec.methods = _json_methods(raw_methods)
    if _has(data, "executionCases", "profileComponents", "thanh_phan_ho_so", "papers"):
        rec.papers = _json_papers(data)
    raw_steps = _first(data, "quy_trinh", "processSteps", "steps")
    if raw_steps is not None:
        rec.steps = [_json_step(s) for s in raw_steps]
    raw_agencies = _first(data, "co_quan", "agencies")
    if raw_agencies is not None:
        rec.agencies = [
            services.AgencySpec(a, _part(item.get("vai_tro", item.get("role", Part.RECEIVING))))
            for item in raw_agencies
            for a in resolve_agency_ref(str(item.get("ref", item.get("co_quan", ""))))
        ]
    elif agency_map and agency_text:
        mapped = agency_map.agencies_for(str(agency_text))
        if mapped is not None:
            rec.agencies = [
                services.AgencySpec(a, role) for a in mapped for role in (Part.RECEIVING, Part.EXECUTING)
            ]
    return rec


def _part(value: Any) -> str:
    key = fold(str(value or ""))
    for part, words in (
        (Part.RECEIVING, ("receiving", "tiep nhan")),
        (Part.EXECUTING, ("executing", "giai quyet", "thuc hien")),
        (Part.COORDINATING, ("coordinating", "phoi hop")),
    ):
        if key in words:
            return part
    raise ValidationError(_t("Vai trò cơ quan “%s” không rõ (tiếp nhận, giải quyết, phối hợp).") % value)


def _names(value: Any) -> str:
    if isinstance(value, list):
        return "; ".join(_text(v.get("name") if isinstance(v, dict) else v) for v in value if v)
    return _text(value)


def _legal_bases(value: Any) -> list[dict[str, str]]:
    items = value if isinstance(value, list) else list(str(value or "").splitlines())
    bases: list[dict[str, str]] = []
    for item in items:
        if isinstance(item, dict):
            number = _text(_first(item, "code", "so_ky_hieu", "number") or "")
            title = _text(_first(item, "name", "trich_yeu", "title") or "")
        else:
            number, _sep, title = (p.strip() for p in str(item).partition("|"))
        if (number or title) and {"number": number, "title": title} not in bases:
            bases.append({"number": number, "title": title})
    return bases


def _json_methods(raw: Any) -> list[services.MethodSpec]:
    if not isinstance(raw, list):
        raise ValidationError(_t("Cách thức thực hiện phải là một danh sách."))
    by_channel: dict[int, services.MethodSpec] = {}
    for item in raw:
        channel = map_channel(_first(item, "submissionMethod", "kenh", "channel"))
        days, note = to_working_days(
            _first(item, "processingTime", "thoi_han", "processing_days") or 0,
            _first(item, "processingTimeUnit", "don_vi", "unit"),
        )
        fees = item.get("fees", item.get("phi_le_phi"))
        amount, fee_note = _fees(fees)
        fee_note = _text(_first(item, "fee_note", "mo_ta_phi") or fee_note)
        extra = _text(_first(item, "description", "mo_ta", "time_note", "ghi_chu") or "")
        note = "; ".join(filter(None, [note, extra]))
        if channel in by_channel:  # another case of the same channel: keep the first, note the others
            first = by_channel[channel]
            first.time_note = "; ".join(filter(None, [str(first.time_note), f"{_fmt(days)} ngày: {note}"]))[
                :1000
            ]
            continue
        by_channel[channel] = services.MethodSpec(channel, days, note[:1000], amount, fee_note[:1000])
    return list(by_channel.values())


def _fees(fees: Any) -> tuple[int, str]:
    """fee_amount = the largest value of each kind (phí, lệ phí) added together; every entry in the note."""
    if fees is None or fees == "":
        return 0, ""
    if not isinstance(fees, list):
        return parse_money(fees), ""
    biggest: dict[str, int] = {}
    notes = []
    for fee in fees:
        kind = fold(str(fee.get("type", fee.get("loai", "")) or "fee"))
        value = parse_money(fee.get("value", fee.get("muc", 0)))
        biggest[kind] = max(biggest.get(kind, 0), value)
        label = {"fee": "Phí", "charge": "Lệ phí", "le phi": "Lệ phí", "phi": "Phí"}.get(kind, kind)
        desc = _text(fee.get("description", fee.get("mo_ta", "")))
        notes.append(f"{label}: {value:,} đồng".replace(",", ".") + (f" ({desc})" if desc else ""))
    return sum(biggest.values()), "; ".join(notes)


def _json_papers(data: Mapping[str, Any]) -> list[services.PaperSpec]:
    papers: list[services.PaperSpec] = []
    seen: set[tuple[str, str]] = set()
    groups: list[tuple[str, Any]] = []
    for case in data.get("executionCases") or []:
        groups.append((_text(case.get("name")), case.get("profileComponents") or []))
    groups.append(("", data.get("profileComponents") or []))
    groups.append(("", data.get("thanh_phan_ho_so") or data.get("papers") or []))
    for case_name, items in groups:
        for item in items:
            name = _text(_first(item, "name", "ten", "ten_giay_to"))
            case = _text(_first(item, "truong_hop", "case") or case_name)[:500]
            if (name, case) in seen:
                continue
            seen.add((name, case))
            attachments = item.get("attachments") or []
            form_name = _text(
                _first(item, "mau_don", "form_name")
                or (
                    attachments[0].get("fileName") if attachments and isinstance(attachments[0], dict) else ""
                )
            )
            papers.append(
                services.PaperSpec(
                    name=name,
                    originals=parse_int(
                        _first(item, "originalQty", "so_ban_chinh", "originals"), 1, "số bản chính"
                    ),
                    copies=parse_int(_first(item, "copyQty", "so_ban_sao", "copies"), 0, "số bản sao"),
                    is_required=parse_bool(
                        item.get("required", item.get("bat_buoc", item.get("is_required")))
                    ),
                    case=case,
                    code=_text(_first(item, "code", "ma_giay_to") or "")[:64],
                    form_name=form_name[:255],
                )
            )
    return papers


def _role(value: Any) -> str:
    key = fold(str(value or ""))
    if key in Role.values:
        return key
    for role in Role:
        if fold(str(role.label)) == key:
            return str(role.value)
    aliases = {"mot cua": Role.ONE_STOP_OFFICER, "cong chuc mot cua": Role.ONE_STOP_OFFICER}
    if key in aliases:
        return aliases[key]
    raise ValidationError(_t("Vai trò “%s” không rõ.") % value)


def _json_step(item: Mapping[str, Any]) -> services.StepSpec:
    agency_ref = _first(item, "co_quan", "agency")
    agencies = _refs(agency_ref) if agency_ref else []
    if len(agencies) > 1:
        raise ValidationError(_t("Một bước chỉ có một cơ quan thực hiện (“%s”).") % agency_ref)
    return services.StepSpec(
        name=_text(_first(item, "ten_buoc", "ten", "name")),
        role=_role(_first(item, "vai_tro", "role")),
        days=parse_decimal(_first(item, "so_ngay", "days") or 0, _t("số ngày")),
        agency=agencies[0] if agencies else None,
        order=parse_int(_first(item, "thu_tu", "order"), 0, "thứ tự") or None,
    )


# --- reading files -------------------------------------------------------------------------------------


def iter_json(text: str) -> Iterator[tuple[str, Any]]:
    """(where, record) for a JSON array of records (line numbers from the text) or an object holding one
    under ``data``/``items``/``records``/``result`` (record numbers), or a single record object."""
    decoder = json.JSONDecoder()
    stripped = text.lstrip("\ufeff")
    start = len(stripped) - len(stripped.lstrip())
    if stripped[start : start + 1] != "[":
        try:
            data = json.loads(stripped)
        except ValueError as exc:
            raise ImportProceduresError(f"JSON không hợp lệ / invalid JSON: {exc}") from exc
        if isinstance(data, dict):
            for key in ("data", "items", "records", "result"):
                if isinstance(data.get(key), list):
                    for i, item in enumerate(data[key], start=1):
                        yield f"bản ghi {i}", item
                    return
            yield "bản ghi 1", data
            return
        raise ImportProceduresError("JSON: cần một danh sách thủ tục / expected a list of procedures")
    pos = start + 1
    while True:
        while pos < len(stripped) and stripped[pos] in " \t\r\n,":
            pos += 1
        if pos >= len(stripped):
            raise ImportProceduresError("JSON không hợp lệ / invalid JSON: unterminated list")
        if stripped[pos] == "]":
            return
        try:
            item, end = decoder.raw_decode(stripped, pos)
        except ValueError as exc:
            raise ImportProceduresError(f"JSON không hợp lệ / invalid JSON: {exc}") from exc
        yield f"dòng {stripped.count(chr(10), 0, pos) + 1}", item
        pos = end


SHEETS = {
    "procedures": ("thu tuc", "procedures", "thu tuc hanh chinh", "danh muc"),
    "methods": ("cach thuc", "cach thuc thuc hien", "methods"),
    "papers": ("thanh phan ho so", "giay to", "papers"),
    "steps": ("quy trinh", "steps", "quy trinh noi bo"),
}
COLUMNS = {
    "code": ("ma_tthc", "ma thu tuc", "ma tthc", "code"),
    "name": ("ten_tthc", "ten thu tuc", "ten tthc", "name"),
    "field": ("linh_vuc", "linh vuc", "field"),
    "field_code": ("ma_linh_vuc", "ma linh vuc", "field_code"),
    "levels": ("cap_thuc_hien", "cap thuc hien", "levels"),
    "kind": ("loai_tthc", "loai thu tuc", "loai tthc", "kind"),
    "agency_text": ("co_quan_thuc_hien", "co quan thuc hien", "executing_agency_text"),
    "online_level": ("muc_do", "muc do", "muc do truc tuyen", "online_level"),
    "result": ("ket_qua", "ket qua", "result_type"),
    "applicants": ("doi_tuong", "doi tuong", "doi tuong thuc hien", "applicant_kinds"),
    "requirements": ("yeu_cau_dieu_kien", "yeu cau dieu kien", "yeu cau", "requirements"),
    "legal_bases": ("can_cu_phap_ly", "can cu phap ly", "legal_bases"),
    "receiving": ("co_quan_tiep_nhan", "co quan tiep nhan", "receiving"),
    "executing": ("co_quan_giai_quyet", "co quan giai quyet", "executing"),
    "coordinating": ("co_quan_phoi_hop", "co quan phoi hop", "coordinating"),
    "active": ("dang_ap_dung", "dang ap dung", "is_active"),
    "channel": ("kenh", "kenh thuc hien", "channel"),
    "time": ("thoi_han", "thoi han", "thoi han giai quyet", "processing_time"),
    "unit": ("don_vi", "don vi", "don vi thoi gian", "unit"),
    "fee": ("phi", "phi le phi", "fee_amount"),
    "fee_note": ("mo_ta_phi", "mo ta phi", "fee_note"),
    "time_note": ("ghi_chu", "ghi chu", "time_note"),
    "order": ("thu_tu", "thu tu", "order", "stt"),
    "paper": ("ten_giay_to", "ten giay to", "paper", "ten"),
    "paper_code": ("ma_giay_to", "ma giay to", "paper_code"),
    "originals": ("ban_chinh", "ban chinh", "so ban chinh", "originals"),
    "copies": ("ban_sao", "ban sao", "so ban sao", "copies"),
    "required": ("bat_buoc", "bat buoc", "is_required"),
    "case": ("truong_hop", "truong hop", "case"),
    "form_name": ("mau_don", "mau don", "mau don to khai", "form_name"),
    "step": ("ten_buoc", "ten buoc", "step"),
    "role": ("vai_tro", "vai tro", "role"),
    "agency": ("co_quan", "co quan", "agency"),
    "days": ("so_ngay", "so ngay", "days"),
}
_ALIASES = {fold(alias).replace("_", " "): key for key, aliases in COLUMNS.items() for alias in aliases}


def _header(cells: tuple[Any, ...]) -> dict[int, str]:
    out = {}
    for i, cell in enumerate(cells):
        key = fold(str(cell or "")).replace("_", " ").strip(" *:")
        key = re.sub(r"\s*\(.*\)$", "", key)  # "Phí (đồng)" → "phi"
        if key in _ALIASES:
            out[i] = _ALIASES[key]
    return out


def _sheet_rows(sheet: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    rows = sheet.iter_rows(values_only=True)
    try:
        header = _header(next(rows))
    except StopIteration:
        return
    for number, row in enumerate(rows, start=2):
        values = {header[i]: v for i, v in enumerate(row) if i in header and v not in (None, "")}
        if values:
            yield f"{sheet.title}!{number}", values


def iter_xlsx(path: Path, agency_map: AgencyMap) -> Iterator[tuple[str, Any]]:
    """(where, Record | ValidationError) for each procedure row; the other sheets' rows are attached to
    their procedure by code."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors)
        raise ImportProceduresError(f"Không đọc được tệp XLSX / cannot read the workbook: {exc}") from exc
    sheets: dict[str, Any] = {}
    for sheet in book.worksheets:
        key = fold(sheet.title)
        for kind, names in SHEETS.items():
            if key in names and kind not in sheets:
                sheets[kind] = sheet
    if "procedures" not in sheets:
        sheets["procedures"] = book.worksheets[0]
    extra: dict[str, dict[str, list[tuple[str, dict[str, Any]]]]] = {"methods": {}, "papers": {}, "steps": {}}
    for kind in extra:
        if kind in sheets:
            for where, row in _sheet_rows(sheets[kind]):
                extra[kind].setdefault(_text(row.get("code")), []).append((where, row))
    codes: set[str] = set()
    for where, row in _sheet_rows(sheets["procedures"]):
        code = _text(row.get("code"))
        codes.add(code)
        try:
            yield (
                where,
                _xlsx_record(where, code, row, {k: v.get(code, []) for k, v in extra.items()}, agency_map),
            )
        except ValidationError as exc:
            yield where, RowError(where, code, " ".join(exc.messages))
    for by_code in extra.values():
        for code, rows in by_code.items():
            if code not in codes:
                yield (
                    rows[0][0],
                    RowError(rows[0][0], code, _t("Mã thủ tục không có trong trang danh sách thủ tục.")),
                )
    book.close()


def _at(where: str, exc: ValidationError) -> ValidationError:
    return ValidationError(f"{where}: {' '.join(exc.messages)}")


def _xlsx_record(
    where: str,
    code: str,
    row: dict[str, Any],
    extra: dict[str, list[tuple[str, dict[str, Any]]]],
    agency_map: AgencyMap,
) -> Record:
    data: dict[str, Any] = {"ma_tthc": code}
    for key, target in (
        ("name", "ten_tthc"),
        ("field", "linh_vuc"),
        ("field_code", "ma_linh_vuc"),
        ("levels", "cap_thuc_hien"),
        ("kind", "loai_tthc"),
        ("agency_text", "co_quan_thuc_hien"),
        ("online_level", "muc_do"),
        ("result", "ket_qua"),
        ("applicants", "doi_tuong"),
        ("requirements", "yeu_cau_dieu_kien"),
        ("active", "dang_ap_dung"),
    ):
        if key in row:
            data[target] = row[key]
    if "legal_bases" in row:
        data["can_cu_phap_ly"] = str(row["legal_bases"]).splitlines()
    rec = record_from_json(data, where, agency_map)
    if any(k in row for k in ("receiving", "executing", "coordinating")):
        rec.agencies = [
            services.AgencySpec(agency, part)
            for key, part in (
                ("receiving", Part.RECEIVING),
                ("executing", Part.EXECUTING),
                ("coordinating", Part.COORDINATING),
            )
            for agency in _refs(row.get(key))
        ]
    if extra["methods"]:
        methods = []
        for at, m in extra["methods"]:
            try:
                days, note = to_working_days(m.get("time", 0), m.get("unit"))
                methods.append(
                    services.MethodSpec(
                        map_channel(m.get("channel")),
                        days,
                        "; ".join(filter(None, [note, _text(m.get("time_note"))])),
                        parse_money(m.get("fee")),
                        _text(m.get("fee_note")),
                    )
                )
            except ValidationError as exc:
                raise _at(at, exc) from None
        rec.methods = methods
    if extra["papers"]:
        papers = []
        rows = sorted(extra["papers"], key=lambda r: parse_int(r[1].get("order"), 0, "thứ tự"))
        for at, p in rows:
            try:
                papers.append(
                    services.PaperSpec(
                        name=_text(p.get("paper")),
                        originals=parse_int(p.get("originals"), 1, "số bản chính"),
                        copies=parse_int(p.get("copies"), 0, "số bản sao"),
                        is_required=parse_bool(p.get("required")),
                        case=_text(p.get("case")),
                        code=_text(p.get("paper_code")),
                        form_name=_text(p.get("form_name")),
                    )
                )
            except ValidationError as exc:
                raise _at(at, exc) from None
        rec.papers = papers
    if extra["steps"]:
        steps = []
        for at, s in extra["steps"]:
            try:
                steps.append(
                    _json_step(
                        {
                            "ten_buoc": s.get("step"),
                            "vai_tro": s.get("role"),
                            "so_ngay": s.get("days"),
                            "co_quan": s.get("agency"),
                            "thu_tu": s.get("order"),
                        }
                    )
                )
            except ValidationError as exc:
                raise _at(at, exc) from None
        rec.steps = steps
    return rec


# --- applying ------------------------------------------------------------------------------------------


def _apply(actor: Any, rec: Record, report: ImportReport) -> None:
    values = dict(rec.values)
    field_spec = values.pop("field", None)
    existing = Procedure.objects.filter(code=rec.code).first()
    if field_spec is not None:
        values["field"] = services.ensure_field(actor=actor, name=field_spec[0], code=field_spec[1])
    if existing is None:
        if "name" not in values or "field" not in values:
            raise ValidationError(_t("Thủ tục mới cần có tên (ten_tthc) và lĩnh vực (linh_vuc)."))
        is_active = values.pop("is_active", True)
        if is_active and rec.methods and not any(a.role == Part.RECEIVING for a in rec.agencies or []):
            is_active = False
            report.inactive.append(rec.code)
        services.create_procedure(
            actor=actor,
            code=rec.code,
            is_active=is_active,
            methods=rec.methods or (),
            papers=rec.papers or (),
            steps=rec.steps or (),
            agencies=rec.agencies or (),
            **values,
        )
        report.created.append(rec.code)
        return
    before = services.procedure_state(existing)
    services.update_procedure(
        actor=actor,
        procedure=existing,
        methods=rec.methods,
        papers=rec.papers,
        steps=rec.steps,
        agencies=rec.agencies,
        **values,
    )
    existing.refresh_from_db()
    if services.procedure_state(existing) == before:
        report.unchanged.append(rec.code)
    else:
        report.updated.append(rec.code)


def import_procedures(
    path: Path | str,
    *,
    fmt: str | None = None,
    actor: Any = None,
    agency_map: AgencyMap | Path | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import a catalogue file (all or nothing); see the module docstring."""
    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        raise ImportProceduresError(f"Định dạng không hỗ trợ / unsupported format: {fmt!r} (json, xlsx)")
    if not isinstance(agency_map, AgencyMap):
        agency_map = AgencyMap.load(agency_map)
    if not services.can_manage_catalogue(actor):
        raise PermissionDenied(_t("Chỉ quản trị hệ thống mới được nhập danh mục thủ tục hành chính."))
    report = ImportReport(dry_run=dry_run)
    try:
        with transaction.atomic():
            seen: dict[str, str] = {}
            for where, item in _items(path, fmt, agency_map):
                if isinstance(item, RowError):
                    report.errors.append(item)
                    continue
                code = item.code if isinstance(item, Record) else ""
                try:
                    with transaction.atomic():
                        rec = item if isinstance(item, Record) else record_from_json(item, where, agency_map)
                        code = rec.code
                        if code in seen:
                            raise ValidationError(_t("Mã thủ tục bị lặp (đã có ở %s).") % seen[code])
                        seen[code] = where
                        _apply(actor, rec, report)
                except ValidationError as exc:
                    report.errors.append(RowError(where, code or _guess_code(item), _messages(exc)))
            if report.errors or dry_run:
                raise _Rollback
    except _Rollback:
        if report.errors:
            report.created, report.updated, report.unchanged, report.inactive = [], [], [], []
    return report


def _items(path: Path, fmt: str, agency_map: AgencyMap) -> Iterator[tuple[str, Any]]:
    if fmt == JSON:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ImportProceduresError(f"{path}: {exc}") from exc
        yield from iter_json(text)
    else:
        if not path.is_file():
            raise ImportProceduresError(f"{path}: không có tệp / no such file")
        yield from iter_xlsx(path, agency_map)


def _guess_code(item: Any) -> str:
    if isinstance(item, dict):
        return _text(_first(item, "ma_tthc", "code") or "")
    return ""


def _messages(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(
            f"{k}: {' '.join(str(m) for m in v.messages)}" if k != "__all__" else " ".join(v.messages)
            for k, v in ((k, ValidationError(v)) for k, v in exc.error_dict.items())
        )
    return " ".join(exc.messages)


# --- writing a workbook (template, tests, export) -------------------------------------------------------

HEADERS = {
    "Thủ tục": [
        "ma_tthc",
        "ten_tthc",
        "linh_vuc",
        "ma_linh_vuc",
        "cap_thuc_hien",
        "loai_tthc",
        "co_quan_thuc_hien",
        "muc_do",
        "ket_qua",
        "doi_tuong",
        "yeu_cau_dieu_kien",
        "can_cu_phap_ly",
        "co_quan_tiep_nhan",
        "co_quan_giai_quyet",
        "co_quan_phoi_hop",
        "dang_ap_dung",
    ],
    "Cách thức": ["ma_tthc", "kenh", "thoi_han", "don_vi", "phi", "mo_ta_phi", "ghi_chu"],
    "Thành phần hồ sơ": [
        "ma_tthc",
        "thu_tu",
        "ten_giay_to",
        "ma_giay_to",
        "ban_chinh",
        "ban_sao",
        "bat_buoc",
        "truong_hop",
        "mau_don",
    ],
    "Quy trình": ["ma_tthc", "thu_tu", "ten_buoc", "vai_tro", "co_quan", "so_ngay"],
}


def write_workbook(path: Path | str, sheets: Mapping[str, list[list[Any]]]) -> Path:
    """An XLSX in the import layout: ``sheets`` maps a sheet name of :data:`HEADERS` to its data rows."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, headers in HEADERS.items():
        if title not in sheets and title != "Thủ tục":
            continue
        sheet = book.create_sheet(title)
        sheet.append(headers)
        for row in sheets.get(title, []):
            sheet.append(row)
    path = Path(path)
    book.save(path)
    return path
