"""Import of the official administrative units (đơn vị hành chính) as people's committees (Ủy ban nhân dân).

Two models are supported:

* ``2025`` — the two-level model in force from 1 July 2025: 34 provinces and 3,321 communes (phường, xã,
  đặc khu), no district level. Agencies get ``valid_from=2025-07-01``.
* ``legacy`` — the three-level model in force until 30 June 2025: 63 provinces, 696 districts and 10,035
  communes. Agencies get ``valid_to=2025-06-30``.

Each unit becomes one :class:`~egov.directory.models.Agency` (kind PROVINCE, DISTRICT or COMMUNE) named
"Ủy ban nhân dân <unit>", short name "UBND", ``admin_unit_code`` = the GSO code and a stable
``external_key`` (``gso2025:province:01``, ``gso2025:commune:00004``, ``gsolegacy:district:001`` …) that
makes the import idempotent: a second run compares and changes nothing.

Data comes from the ``vietnamadminunits`` library (MIT; tables ``admin_units`` and ``admin_units_legacy``)
or, with ``source``, from the JSON files of github.com/thanglequoc/vietnamese-provinces-database
(post-2025 ``[{Code, FullName, Wards: [{Code, FullName, ProvinceCode}]}]``, pre-2025
``[{Code, FullName, District: [{Code, FullName, Ward: [...]}]}]``).

Predecessors (đơn vị tiền thân): each 2025 province is linked to the legacy provinces merged into it
(Cần Thơ 2025 ← Cần Thơ, Sóc Trăng, Hậu Giang), from the province table of the library's converter
(``converter_2025.json``: 34 → 63 provinces, every legacy province exactly once; it matches Nghị quyết
202/2025/QH15). Communes are *not* linked: the library's commune table resolves old communes by name key,
and where two merged provinces had communes of the same name it attaches both to the same new communes
(e.g. xã Tân Thạnh of Thới Lai, Cần Thơ and xã Tân Thạnh of Long Phú, Sóc Trăng), so it is not reliable
enough for an official register.

Every agency is created or changed through :mod:`egov.directory.services` (one audit row per agency);
the work runs in one transaction per province.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from django.db import transaction

from egov.core.text import nfc
from egov.directory import services
from egov.directory.models import Agency

MODEL_2025 = "2025"
MODEL_LEGACY = "legacy"
MODEL_BOTH = "both"
MODELS = (MODEL_2025, MODEL_LEGACY, MODEL_BOTH)

EFFECTIVE_2025 = dt.date(2025, 7, 1)
LAST_DAY_LEGACY = dt.date(2025, 6, 30)
KEY_PREFIX = {MODEL_2025: "gso2025", MODEL_LEGACY: "gsolegacy"}

PROVINCE, DISTRICT, COMMUNE = "province", "district", "commune"
LEVELS = (PROVINCE, DISTRICT, COMMUNE)
KIND = {PROVINCE: Agency.Kind.PROVINCE, DISTRICT: Agency.Kind.DISTRICT, COMMUNE: Agency.Kind.COMMUNE}
LEVEL_LABEL = {
    PROVINCE: "UBND tỉnh, thành phố (province)",
    DISTRICT: "UBND cấp huyện (district)",
    COMMUNE: "UBND cấp xã (commune)",
}
MODEL_LABEL = {MODEL_2025: "mô hình 2 cấp từ 01/7/2025", MODEL_LEGACY: "mô hình 3 cấp đến 30/6/2025"}
SHORT_NAME = "UBND"

# Unit types as they open a unit's full name; some sources capitalise them ("Thành Phố Bắc Kạn").
_UNIT_TYPES = ("Thành phố", "Thị xã", "Thị trấn", "Đặc khu", "Phường", "Quận", "Huyện", "Tỉnh", "Xã")
_SPACES = re.compile(r"\s+")
_JSON_FILE = "simplified_json_generated_data_vn_units.json"
_JSON_DIRS = {MODEL_2025: "post-2025", MODEL_LEGACY: "pre-2025"}


class ImportUnitsError(ValueError):
    """Bad options or unusable source data; nothing was written."""


def clean_name(name: str) -> str:
    """NFC, single spaces, and the unit type in its usual spelling (``Thành Phố X`` → ``Thành phố X``)."""
    text = _SPACES.sub(" ", nfc(name)).strip()
    lowered = text.lower()
    for unit_type in _UNIT_TYPES:
        if lowered.startswith(unit_type.lower() + " "):
            return unit_type + text[len(unit_type) :]
    return text


@dataclass(frozen=True)
class Unit:
    """One administrative unit of one model, as read from a source."""

    model: str
    level: str
    code: str
    full_name: str  # "Thành phố Hà Nội", "Phường Ba Đình"
    province_code: str
    parent_code: str | None = None  # province (2025 communes, districts) or district (legacy communes)

    @property
    def external_key(self) -> str:
        return f"{KEY_PREFIX[self.model]}:{self.level}:{self.code}"

    @property
    def parent_key(self) -> str | None:
        if self.parent_code is None:
            return None
        parent_level = DISTRICT if (self.model == MODEL_LEGACY and self.level == COMMUNE) else PROVINCE
        return f"{KEY_PREFIX[self.model]}:{parent_level}:{self.parent_code}"

    @property
    def agency_name(self) -> str:
        return f"Ủy ban nhân dân {self.full_name}"

    def fields(self) -> dict[str, Any]:
        """The agency fields the import owns (kept in step on every run)."""
        data: dict[str, Any] = {
            "kind": KIND[self.level],
            "name": self.agency_name,
            "admin_unit_code": self.code,
        }
        if self.model == MODEL_2025:
            data["valid_from"] = EFFECTIVE_2025
        else:
            data["valid_to"] = LAST_DAY_LEGACY
        return data


# --- Sources --------------------------------------------------------------------------------------------


def _sorted_units(units: Iterable[Unit]) -> list[Unit]:
    """Provinces first, then districts, then communes; by code within a level (parents before children)."""
    return sorted(units, key=lambda u: (u.province_code, LEVELS.index(u.level), u.code))


def load_library(model: str) -> list[Unit]:
    """The units of one model from the ``vietnamadminunits`` library."""
    from vietnamadminunits.database import query

    units: dict[str, Unit] = {}
    if model == MODEL_2025:
        rows = query("SELECT DISTINCT provinceCode, province, wardCode, ward FROM admin_units")
        for r in rows:
            p = r["provinceCode"]
            units.setdefault(f"p{p}", Unit(model, PROVINCE, p, clean_name(r["province"]), p))
            if r["wardCode"]:
                units[f"c{r['wardCode']}"] = Unit(model, COMMUNE, r["wardCode"], clean_name(r["ward"]), p, p)
    elif model == MODEL_LEGACY:
        rows = query(
            "SELECT DISTINCT provinceCode, province, districtCode, district, wardCode, ward"
            " FROM admin_units_legacy"
        )
        for r in rows:
            p, d = r["provinceCode"], r["districtCode"]
            units.setdefault(f"p{p}", Unit(model, PROVINCE, p, clean_name(r["province"]), p))
            units.setdefault(f"d{d}", Unit(model, DISTRICT, d, clean_name(r["district"]), p, p))
            if r["wardCode"]:  # five island districts have no commune
                units[f"c{r['wardCode']}"] = Unit(model, COMMUNE, r["wardCode"], clean_name(r["ward"]), p, d)
    else:
        raise ImportUnitsError(f"unknown model {model!r}")
    return _sorted_units(units.values())


def json_file(source: Path, model: str) -> Path:
    """The JSON file of ``model`` in ``source``: the file itself, or ``<dir>/<post|pre>-2025/<file>``."""
    if source.is_file():
        return source
    for candidate in (source / _JSON_DIRS[model] / _JSON_FILE, source / _JSON_FILE):
        if candidate.is_file():
            return candidate
    raise ImportUnitsError(f"Không tìm thấy tệp dữ liệu / no {_JSON_FILE} for model {model} under {source}")


def _code(item: dict[str, Any], path: Path) -> str:
    code = str(item.get("Code") or "").strip()
    if not code.isdigit():
        raise ImportUnitsError(f"{path}: unit without a numeric Code: {item.get('FullName')!r}")
    return code


def load_json(source: Path, model: str) -> list[Unit]:
    """The units of one model from a JSON file of the vietnamese-provinces-database project."""
    path = json_file(source, model)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ImportUnitsError(f"{path}: {exc}") from exc
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        raise ImportUnitsError(f"{path}: expected a list of provinces")
    children = "Wards" if model == MODEL_2025 else "District"
    if children not in data[0]:
        other = MODEL_LEGACY if model == MODEL_2025 else MODEL_2025
        raise ImportUnitsError(
            f"{path}: this file holds the {other} model, not {model} (no {children!r} key)"
        )
    units: list[Unit] = []
    seen: set[str] = set()

    def add(unit: Unit) -> None:
        if unit.external_key in seen:
            raise ImportUnitsError(f"{path}: duplicate code {unit.external_key}")
        seen.add(unit.external_key)
        units.append(unit)

    for province in data:
        p = _code(province, path)
        add(Unit(model, PROVINCE, p, clean_name(province["FullName"]), p))
        if model == MODEL_2025:
            for ward in province.get("Wards") or []:
                add(Unit(model, COMMUNE, _code(ward, path), clean_name(ward["FullName"]), p, p))
        else:
            for district in province.get("District") or []:
                d = _code(district, path)
                add(Unit(model, DISTRICT, d, clean_name(district["FullName"]), p, p))
                for ward in district.get("Ward") or []:
                    add(Unit(model, COMMUNE, _code(ward, path), clean_name(ward["FullName"]), p, d))
    return _sorted_units(units)


def load_units(model: str, source: Path | None = None) -> list[Unit]:
    return load_json(source, model) if source is not None else load_library(model)


def province_predecessors() -> dict[str, list[str]]:
    """2025 province code → the legacy province codes merged into it (from the library's converter data)."""
    from vietnamadminunits.database import query

    raw = (
        resources.files("vietnamadminunits").joinpath("data/converter_2025.json").read_text(encoding="utf-8")
    )
    by_key: dict[str, list[str]] = json.loads(raw)["DICT_PROVINCE"]
    new = {
        r["provinceKey"]: r["provinceCode"]
        for r in query("SELECT DISTINCT provinceKey, provinceCode FROM admin_units")
    }
    old = {
        r["provinceKey"]: r["provinceCode"]
        for r in query("SELECT DISTINCT provinceKey, provinceCode FROM admin_units_legacy")
    }
    mapping = {new[k]: sorted(old[o] for o in olds) for k, olds in by_key.items()}
    merged = [code for codes in mapping.values() for code in codes]
    if len(mapping) != len(new) or sorted(merged) != sorted(
        old.values()
    ):  # every legacy province exactly once
        raise ImportUnitsError("vietnamadminunits: the province conversion table is incomplete")
    return mapping


# --- Import ---------------------------------------------------------------------------------------------


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


@dataclass
class ImportReport:
    dry_run: bool = False
    counts: dict[tuple[str, str], Counts] = field(default_factory=dict)
    predecessors_linked: int = 0

    def count(self, model: str, level: str) -> Counts:
        return self.counts.setdefault((model, level), Counts())

    @property
    def changed(self) -> bool:
        return self.predecessors_linked > 0 or any(c.created or c.updated for c in self.counts.values())

    def lines(self) -> list[str]:
        out = []
        if self.dry_run:
            out.append("Chạy thử, không ghi gì vào cơ sở dữ liệu / dry run, nothing written.")
        for model in (MODEL_LEGACY, MODEL_2025):
            levels = [lv for lv in LEVELS if (model, lv) in self.counts]
            if not levels:
                continue
            out.append(f"Đơn vị hành chính, {MODEL_LABEL[model]} / administrative units, model {model}:")
            for level in levels:
                c = self.counts[(model, level)]
                figures = f"created {c.created} / updated {c.updated} / unchanged {c.unchanged}"
                out.append(f"  {LEVEL_LABEL[level]:<32} {figures}")
        if self.predecessors_linked:
            out.append(f"Đơn vị tiền thân đã liên kết / predecessors linked: {self.predecessors_linked}")
        if not self.changed:
            out.append("Không có gì thay đổi / nothing changed.")
        return out


def _normalise_codes(codes: Iterable[str] | None) -> set[str] | None:
    if codes is None:
        return None
    out = set()
    for code in codes:
        code = str(code).strip()
        if not code.isdigit():
            raise ImportUnitsError(f"Mã tỉnh không hợp lệ / invalid province code {code!r}")
        out.add(code.zfill(2))
    return out


def _by_province(units: list[Unit]) -> Iterator[list[Unit]]:
    groups: dict[str, list[Unit]] = defaultdict(list)
    for unit in units:
        groups[unit.province_code].append(unit)
    for code in sorted(groups):
        yield groups[code]


def _sync(units: list[Unit], model: str, report: ImportReport) -> None:
    """Create or update the agencies of ``units``, one transaction per province."""
    existing = {
        a.external_key: a
        for a in Agency.objects.filter(external_key__startswith=KEY_PREFIX[model] + ":")
        if a.external_key
    }
    for group in _by_province(units):
        block = contextlib.nullcontext() if report.dry_run else transaction.atomic()
        with block:
            for unit in group:
                _sync_one(unit, existing, report)


def _sync_one(unit: Unit, existing: dict[str, Agency], report: ImportReport) -> None:
    counts = report.count(unit.model, unit.level)
    parent = existing.get(unit.parent_key) if unit.parent_key else None
    agency = existing.get(unit.external_key)
    wanted = unit.fields()
    if agency is None:
        counts.created += 1
        if not report.dry_run:
            existing[unit.external_key] = services.create_agency(
                actor=None, parent=parent, external_key=unit.external_key, short_name=SHORT_NAME, **wanted
            )
        return
    changes = {k: v for k, v in wanted.items() if getattr(agency, k) != v}
    # A unit under another imported unit is kept under it; a province may be placed by hand (e.g. under a
    # national root) and stays where it is.
    moved = parent is not None and agency.parent_id != parent.pk
    if not changes and not moved:
        counts.unchanged += 1
        return
    counts.updated += 1
    if report.dry_run:
        return
    if changes:
        agency = services.update_agency(actor=None, agency=agency, **changes)
    if moved:
        agency = services.move_agency(actor=None, agency=agency, new_parent=parent)
    existing[unit.external_key] = agency


def _link_provinces(
    provinces_2025: Iterable[str], mapping: dict[str, list[str]], created_keys: set[str], report: ImportReport
) -> None:
    """Link each 2025 province to its legacy predecessors that exist (or, in a dry run, would exist)."""
    keys_2025 = {f"{KEY_PREFIX[MODEL_2025]}:{PROVINCE}:{c}": c for c in provinces_2025}
    legacy_keys = {
        f"{KEY_PREFIX[MODEL_LEGACY]}:{PROVINCE}:{o}" for c in keys_2025.values() for o in mapping.get(c, [])
    }
    agencies = {a.external_key: a for a in Agency.objects.filter(external_key__in=[*keys_2025, *legacy_keys])}
    for key, code in keys_2025.items():
        wanted_keys = [f"{KEY_PREFIX[MODEL_LEGACY]}:{PROVINCE}:{o}" for o in mapping.get(code, [])]
        successor = agencies.get(key)
        if report.dry_run:
            linked = (
                set(successor.predecessors.values_list("external_key", flat=True)) if successor else set()
            )
            report.predecessors_linked += sum(
                1 for k in wanted_keys if k not in linked and (k in agencies or k in created_keys)
            )
            continue
        if successor is None:
            continue
        olds = [agencies[k] for k in wanted_keys if k in agencies]
        if olds:
            report.predecessors_linked += len(
                services.add_predecessors(actor=None, agency=successor, predecessors=olds)
            )


def import_units(
    *,
    model: str = MODEL_2025,
    provinces: Iterable[str] | None = None,
    source: Path | str | None = None,
    dry_run: bool = False,
) -> ImportReport:
    """Import one or both models, optionally only some provinces (GSO codes, e.g. ``["01", "92"]``).

    With ``model="both"``, a 2025 province code also selects the legacy provinces merged into it.
    """
    if model not in MODELS:
        raise ImportUnitsError(
            f"Mô hình không hợp lệ / unknown model {model!r} (choose from {', '.join(MODELS)})"
        )
    source_path = Path(source) if source is not None else None
    if source_path is not None and not source_path.exists():
        raise ImportUnitsError(f"Không tìm thấy / not found: {source_path}")
    codes = _normalise_codes(provinces)
    models = [MODEL_LEGACY, MODEL_2025] if model == MODEL_BOTH else [model]
    mapping = province_predecessors()
    loaded = {m: load_units(m, source_path) for m in models}
    province_codes = {m: {u.code for u in units if u.level == PROVINCE} for m, units in loaded.items()}
    if codes is not None:
        unknown = codes - set().union(*province_codes.values())
        if unknown:
            raise ImportUnitsError(f"Không có tỉnh mã / no province with code {', '.join(sorted(unknown))}")
        selected = {m: codes & province_codes[m] for m in models}
        if model == MODEL_BOTH:
            selected[MODEL_LEGACY] |= {o for c in selected[MODEL_2025] for o in mapping.get(c, [])}
    else:
        selected = province_codes
    report = ImportReport(dry_run=dry_run)
    created_keys: set[str] = set()
    for m in models:
        units = [u for u in loaded[m] if u.province_code in selected[m]]
        if report.dry_run:
            known = set(
                Agency.objects.filter(external_key__startswith=KEY_PREFIX[m] + ":").values_list(
                    "external_key", flat=True
                )
            )
            created_keys |= {u.external_key for u in units if u.external_key not in known}
        _sync(units, m, report)
    if MODEL_2025 in selected:
        provinces_2025 = selected[MODEL_2025]
    else:  # legacy only: link the 2025 provinces (if already imported) that succeed the selected ones
        provinces_2025 = {c for c, olds in mapping.items() if set(olds) & selected[MODEL_LEGACY]}
    if model == MODEL_BOTH and codes is not None:
        provinces_2025 |= {c for c, olds in mapping.items() if set(olds) & selected[MODEL_LEGACY]}
    _link_provinces(sorted(provinces_2025), mapping, created_keys, report)
    return report
