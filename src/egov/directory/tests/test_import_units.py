from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from egov.audit.models import AuditEntry
from egov.directory import services
from egov.directory.importers import (
    COMMUNE,
    DISTRICT,
    MODEL_2025,
    MODEL_LEGACY,
    PROVINCE,
    clean_name,
    import_units,
    load_library,
    province_predecessors,
)
from egov.directory.models import Agency

REPO = Path(__file__).resolve().parents[4]
SHARED_UNITS = REPO.parent / "shared" / "data" / "admin-units"
needs_shared = pytest.mark.skipif(not SHARED_UNITS.is_dir(), reason=f"{SHARED_UNITS} not present")


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_units", *args, stdout=out)
    return out.getvalue()


def by_key(key: str) -> Agency:
    return Agency.objects.get(external_key=key)


# --- Sources (no database) ------------------------------------------------------------------------------


def test_library_counts_of_both_models():
    new = load_library(MODEL_2025)
    assert sum(u.level == PROVINCE for u in new) == 34
    assert sum(u.level == COMMUNE for u in new) == 3321
    old = load_library(MODEL_LEGACY)
    assert sum(u.level == PROVINCE for u in old) == 63
    assert sum(u.level == DISTRICT for u in old) == 696
    assert sum(u.level == COMMUNE for u in old) == 10035
    keys = [u.external_key for u in new + old]
    assert len(keys) == len(set(keys))


def test_province_predecessor_table():
    mapping = province_predecessors()
    assert len(mapping) == 34
    assert sorted(c for codes in mapping.values() for c in codes) == sorted(
        {u.code for u in load_library(MODEL_LEGACY) if u.level == PROVINCE}
    )
    assert mapping["92"] == ["92", "93", "94"]  # Cần Thơ ← Cần Thơ, Hậu Giang, Sóc Trăng
    assert mapping["01"] == ["01"]


def test_clean_name():
    assert clean_name("Thành Phố  Bắc Kạn ") == "Thành phố Bắc Kạn"
    assert clean_name("Thị Xã Mường Lay") == "Thị xã Mường Lay"
    assert clean_name("Phường Ba Đình") == "Phường Ba Đình"
    assert clean_name("Pho\u0302\u0300ng") == "Phồng"  # NFD input becomes NFC


# --- Import ---------------------------------------------------------------------------------------------


def test_import_one_province_2025(db):
    out = run("--province", "01")
    province = by_key("gso2025:province:01")
    assert province.name == "Ủy ban nhân dân Thành phố Hà Nội"
    assert (province.kind, province.short_name, province.admin_unit_code) == (
        Agency.Kind.PROVINCE,
        "UBND",
        "01",
    )
    assert (province.valid_from, province.valid_to, province.parent_id) == (dt.date(2025, 7, 1), None, None)
    ward = by_key("gso2025:commune:00004")
    assert ward.name == "Ủy ban nhân dân Phường Ba Đình"
    assert (ward.kind, ward.short_name, ward.admin_unit_code) == (Agency.Kind.COMMUNE, "UBND", "00004")
    assert ward.parent_id == province.pk and ward.path == f"{province.path}{ward.pk}/" and ward.depth == 1
    assert Agency.objects.count() == 127  # 1 province, 126 communes
    assert AuditEntry.objects.filter(action="directory.agency.create").count() == 127  # one row per agency
    assert "created 1 / updated 0 / unchanged 0" in out
    assert "created 126 / updated 0 / unchanged 0" in out


def test_second_run_changes_nothing_and_says_so(db):
    run("--province", "92")
    audits = AuditEntry.objects.count()
    out = run("--province", "92")
    assert "created 0 / updated 0 / unchanged 1" in out
    assert "created 0 / updated 0 / unchanged 103" in out
    assert "nothing changed" in out
    assert AuditEntry.objects.count() == audits


def test_changed_unit_is_updated_and_audited(db):
    run("--province", "92")
    ward = by_key("gso2025:commune:31120")
    services.update_agency(actor=None, agency=ward, name="Tên cũ", admin_unit_code="1")
    other_province = by_key("gso2025:province:92")
    services.update_agency(actor=None, agency=other_province, phone="0292 3820 000")  # not owned: kept
    out = run("--province", "92")
    assert "created 0 / updated 1 / unchanged 102" in out
    ward.refresh_from_db()
    assert (ward.name, ward.admin_unit_code) == ("Ủy ban nhân dân Phường Cái Khế", "31120")
    last = AuditEntry.objects.order_by("-seq").first()
    assert last.action == "directory.agency.update" and last.object_id == str(ward.pk)
    assert last.after == {"name": "Ủy ban nhân dân Phường Cái Khế", "admin_unit_code": "31120"}
    other_province.refresh_from_db()
    assert other_province.phone == "0292 3820 000"


def test_commune_moved_by_hand_is_put_back_but_a_province_stays(db):
    run("--province", "92")
    root = services.create_agency(actor=None, kind=Agency.Kind.CENTRAL, name="Chính phủ")
    province, ward = by_key("gso2025:province:92"), by_key("gso2025:commune:31120")
    services.move_agency(actor=None, agency=province, new_parent=root)
    services.move_agency(actor=None, agency=ward, new_parent=root)
    out = run("--province", "92")
    assert "created 0 / updated 0 / unchanged 1" in out  # the province stays under the national root
    assert "created 0 / updated 1 / unchanged 102" in out
    province.refresh_from_db()
    ward.refresh_from_db()
    assert province.parent_id == root.pk
    assert ward.parent_id == province.pk and ward.path == f"{province.path}{ward.pk}/"


def test_dry_run_writes_nothing(db):
    out = run("--province", "92", "--dry-run")
    assert "dry run" in out and "created 103 / updated 0 / unchanged 0" in out
    assert Agency.objects.count() == 0 and AuditEntry.objects.count() == 0


def test_legacy_model(db):
    out = run("--model", "legacy", "--province", "92")
    province = by_key("gsolegacy:province:92")
    assert province.name == "Ủy ban nhân dân Thành phố Cần Thơ"
    assert (province.valid_from, province.valid_to) == (None, dt.date(2025, 6, 30))
    district = by_key("gsolegacy:district:916")
    assert district.name == "Ủy ban nhân dân Quận Ninh Kiều" and district.kind == Agency.Kind.DISTRICT
    assert district.parent_id == province.pk
    commune = Agency.objects.filter(external_key__startswith="gsolegacy:commune:", parent=district).first()
    assert commune is not None and commune.kind == Agency.Kind.COMMUNE and commune.depth == 2
    assert "created 9 / updated 0 / unchanged 0" in out  # districts
    assert "created 80 / updated 0 / unchanged 0" in out  # communes
    assert not Agency.objects.current().filter(external_key__startswith="gsolegacy:").exists()
    assert "nothing changed" in run("--model", "legacy", "--province", "92")


def test_island_district_without_communes(db):
    run("--model", "legacy", "--province", "77")  # Bà Rịa - Vũng Tàu: Huyện Côn Đảo has no commune
    con_dao = by_key("gsolegacy:district:755")
    assert con_dao.name == "Ủy ban nhân dân Huyện Côn Đảo"
    assert not con_dao.children.exists()


def test_both_models_link_province_predecessors(db):
    out = run("--model", "both", "--province", "92")
    can_tho = by_key("gso2025:province:92")
    codes = sorted(can_tho.predecessors.values_list("external_key", flat=True))
    assert codes == ["gsolegacy:province:92", "gsolegacy:province:93", "gsolegacy:province:94"]
    assert "predecessors linked: 3" in out
    assert AuditEntry.objects.filter(action="directory.agency.predecessors").count() == 1
    assert by_key("gsolegacy:province:94").successors.get() == can_tho
    again = run("--model", "both", "--province", "92")
    assert "nothing changed" in again and "predecessors linked" not in again


def test_legacy_imported_after_2025_is_linked(db):
    run("--province", "92")
    out = run("--model", "legacy", "--province", "93")  # Hậu Giang, merged into Cần Thơ
    assert "predecessors linked: 1" in out
    assert list(by_key("gso2025:province:92").predecessors.values_list("admin_unit_code", flat=True)) == [
        "93"
    ]


def test_accent_insensitive_search_on_imported_data(db):
    run("--province", "01")
    hanoi = by_key("gso2025:province:01")
    for text in ("ha noi", "HA NOI", "Hà Nội", "thanh pho ha noi"):
        assert hanoi in Agency.objects.search(text), text
    assert by_key("gso2025:commune:00004") in Agency.objects.search("ba dinh")


def test_bad_options(db):
    with pytest.raises(CommandError, match="99"):
        run("--province", "99")
    with pytest.raises(CommandError, match="invalid province code"):
        run("--province", "x1")
    with pytest.raises(CommandError, match="not found"):
        run("--source", "/nonexistent/units.json")
    assert Agency.objects.count() == 0


def test_full_2025_import(db):
    report = import_units(model=MODEL_2025)
    assert report.count(MODEL_2025, PROVINCE).created == 34
    assert report.count(MODEL_2025, COMMUNE).created == 3321
    assert Agency.objects.filter(kind=Agency.Kind.PROVINCE).count() == 34
    assert Agency.objects.filter(kind=Agency.Kind.COMMUNE).count() == 3321
    assert AuditEntry.objects.count() == 3355
    again = import_units(model=MODEL_2025)
    assert not again.changed
    assert again.count(MODEL_2025, COMMUNE).unchanged == 3321


# --- JSON source (vietnamese-provinces-database files in /work/shared) ---------------------------------


@needs_shared
def test_json_source_2025(db):
    out = run("--source", str(SHARED_UNITS), "--province", "92")
    assert "created 1 / updated 0 / unchanged 0" in out and "created 103 / updated 0 / unchanged 0" in out
    assert by_key("gso2025:commune:31120").name == "Ủy ban nhân dân Phường Cái Khế"
    # The same units from the library: nothing new, same keys.
    assert "created 0 / updated 0" in run("--province", "92")


@needs_shared
def test_json_source_file_and_spelling_update(db):
    path = SHARED_UNITS / "post-2025" / "simplified_json_generated_data_vn_units.json"
    run("--source", str(path), "--province", "38")
    assert by_key("gso2025:province:38").name == "Ủy ban nhân dân Tỉnh Thanh Hoá"
    out = run("--province", "38")  # the library spells it "Thanh Hóa": an update, not a new unit
    assert "UBND tỉnh, thành phố (province)  created 0 / updated 1" in out
    assert by_key("gso2025:province:38").name == "Ủy ban nhân dân Tỉnh Thanh Hóa"


@needs_shared
def test_json_source_legacy(db):
    out = run("--model", "legacy", "--source", str(SHARED_UNITS), "--province", "92")
    assert "created 9 / updated 0 / unchanged 0" in out and "created 80 / updated 0 / unchanged 0" in out
    assert by_key("gsolegacy:district:916").name == "Ủy ban nhân dân Quận Ninh Kiều"


@needs_shared
def test_json_source_of_the_wrong_model_refused(db):
    legacy_file = SHARED_UNITS / "pre-2025" / "simplified_json_generated_data_vn_units.json"
    with pytest.raises(CommandError, match="legacy model"):
        run("--source", str(legacy_file), "--province", "92")
    assert Agency.objects.count() == 0
