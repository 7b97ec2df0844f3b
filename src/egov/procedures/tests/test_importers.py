from __future__ import annotations

import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from egov.audit.models import AuditEntry
from egov.procedures.importers import import_procedures, to_working_days, write_workbook
from egov.procedures.models import Channel, Field, Procedure
from egov.procedures.tests.conftest import SHARED_PROCEDURES, Part

needs_shared = pytest.mark.skipif(
    not (SHARED_PROCEDURES / "index_sample.json").is_file(), reason=f"{SHARED_PROCEDURES} not present"
)

# The full national record shape (key names as published by the national portal's catalogue API).
NATIONAL = {
    "id": "019d2bf7-cd62-75ce-b319-7b31d19fb35f",
    "code": "1.000358",
    "name": "Gia hạn Giấy phép thành lập Chi nhánh của thương nhân nước ngoài tại Việt Nam",
    "type": "STANDARD",
    "isInternal": False,
    "isWard": False,
    "isProvince": True,
    "isMinistry": False,
    "isFullProcess": False,
    "executionMethods": [
        {
            "submissionMethod": "ONLINE",
            "processingTime": 5,
            "processingTimeUnit": "WORKING_DAY",
            "fees": [{"type": "FEE", "value": 0}],
        },
        {
            "submissionMethod": "DIRECT",
            "processingTime": 40,
            "processingTimeUnit": "HOUR",
            "fees": [{"type": "FEE", "value": 3000000}, {"type": "CHARGE", "value": 500000}],
        },
    ],
    "executionCases": [
        {
            "name": "",
            "profileComponents": [
                {
                    "originalQty": 1,
                    "copyQty": 0,
                    "required": True,
                    "name": "Đơn đề nghị gia hạn Giấy phép",
                    "code": "000.00.00.G02-KQ0436",
                    "attachments": [{"fileName": "GIAHAN.docx"}],
                },
                {"originalQty": 0, "copyQty": 1, "required": False, "name": "Bản sao Giấy phép đã được cấp"},
            ],
        }
    ],
    "categoriesDetails": [{"name": "Thương mại quốc tế", "code": "G02-CT19"}],
    "legalBasisesDetails": [
        {"name": "Nghị định số 07/2016/NĐ-CP", "code": "07/2016/NĐ-CP"},
        {"name": "Nghị định số 07/2016/NĐ-CP", "code": "07/2016/NĐ-CP"},
    ],
    "resultsDetails": [{"name": "Giấy phép thành lập Chi nhánh (gia hạn)"}],
    "subjectTypesDetails": [{"name": "Người nước ngoài"}],
    "executingAgencies": "Ủy ban nhân dân cấp tỉnh",
    "requirementsAndConditions": "",
}


def write_json(tmp_path, records, name="records.json"):
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


@needs_shared
def test_national_index_sample_is_idempotent(db):
    report = import_procedures(SHARED_PROCEDURES / "index_sample.json")
    assert report.ok and len(report.created) == 7
    apostille = Procedure.objects.get(code="1.116612")
    assert apostille.levels == ["central"] and apostille.kind == Procedure.Kind.STANDARD
    assert apostille.field.name == "Chứng nhận lãnh sự, hợp pháp hóa lãnh sự"
    assert "Bộ Ngoại giao" in apostille.executing_agency_text
    assert Procedure.objects.get(code="1.116538").levels == ["commune", "province", "central"]
    assert Procedure.objects.get(code="1.116556").levels == ["other"]  # "Chưa xác định"
    assert Procedure.objects.get(code="5.003881").kind == Procedure.Kind.INTERNAL
    assert Procedure.objects.get(code="1.116611").kind == Procedure.Kind.SPECIAL
    audit = AuditEntry.objects.count()
    again = import_procedures(SHARED_PROCEDURES / "index_sample.json")
    assert again.ok and len(again.unchanged) == 7 and not again.created and not again.updated
    assert AuditEntry.objects.count() == audit


def test_full_national_record(db, tmp_path, tree):
    agency_map = write_json(tmp_path, {"Ủy ban nhân dân cấp tỉnh": ["000.00.01.H99"]}, "map.json")
    report = import_procedures(write_json(tmp_path, [NATIONAL]), agency_map=agency_map)
    assert report.ok, report.lines()
    p = Procedure.objects.get(code="1.000358")
    assert p.external_id == NATIONAL["id"] and p.levels == ["province"]
    assert p.field.code == "G02-CT19" and p.online_level == Procedure.OnlineLevel.PARTIAL
    direct = p.methods.get(channel=Channel.DIRECT)
    assert direct.processing_days == Decimal(5) and "40 giờ" in direct.time_note  # 40 hours → 5 working days
    assert direct.fee_amount == 3_500_000 and "Lệ phí: 500.000 đồng" in direct.fee_note
    assert p.methods.get(channel=Channel.ONLINE).fee_amount == 0
    papers = list(p.papers.order_by("order"))
    assert [(x.originals, x.copies, x.is_required) for x in papers] == [(1, 0, True), (0, 1, False)]
    assert papers[0].form_name == "GIAHAN.docx" and papers[0].code == "000.00.00.G02-KQ0436"
    assert p.legal_bases == [{"number": "07/2016/NĐ-CP", "title": "Nghị định số 07/2016/NĐ-CP"}]
    assert p.result_type.startswith("Giấy phép") and p.applicant_kinds == "Người nước ngoài"
    assert set(p.agency_links.values_list("agency_id", "role")) == {
        (tree.department.pk, Part.RECEIVING),
        (tree.department.pk, Part.EXECUTING),
    }
    changed = dict(NATIONAL, name="Gia hạn Giấy phép thành lập Chi nhánh")
    report = import_procedures(write_json(tmp_path, [changed]), agency_map=agency_map)
    assert report.updated == ["1.000358"]
    assert AuditEntry.objects.filter(action="procedures.procedure.update").count() == 1


def test_record_with_methods_but_no_agency_is_imported_inactive(db, tmp_path):
    report = import_procedures(write_json(tmp_path, [NATIONAL]))
    assert report.ok and report.inactive == ["1.000358"]
    assert not Procedure.objects.get(code="1.000358").is_active


def test_bad_rows_named_and_nothing_imported(db, tmp_path):
    records = [
        {"ma_tthc": "1.000001", "ten_tthc": "Thủ tục tốt", "linh_vuc": "Hộ tịch", "cap_thuc_hien": "Cấp xã"},
        {"ma_tthc": "1-000002", "ten_tthc": "Mã sai", "linh_vuc": "Hộ tịch"},
        {"ma_tthc": "1.000003", "ten_tthc": "Cấp lạ", "linh_vuc": "Hộ tịch", "cap_thuc_hien": "Cấp thôn"},
        {"ma_tthc": "1.000004", "linh_vuc": "Hộ tịch"},
        {"ma_tthc": "1.000001", "ten_tthc": "Trùng", "linh_vuc": "Hộ tịch"},
        {
            "code": "1.000005",
            "name": "Đơn vị lạ",
            "field": "X",
            "executionMethods": [
                {"submissionMethod": "DIRECT", "processingTime": 1, "processingTimeUnit": "Tuần"}
            ],
        },
    ]
    path = write_json(tmp_path, records)
    report = import_procedures(path)
    assert not report.ok and not report.created
    where = {e.code: e.where for e in report.errors}
    assert set(where) == {"1-000002", "1.000003", "1.000004", "1.000001", "1.000005"}
    assert where["1-000002"] == "dòng 8"  # the line where the record starts
    reasons = " ".join(str(e) for e in report.errors)
    assert "1.001234" in reasons and "Cấp thôn" in reasons and "Tuần" in reasons and "bị lặp" in reasons
    assert not Procedure.objects.exists() and not Field.objects.exists() and not AuditEntry.objects.exists()
    out = StringIO()
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_procedures", str(path), stdout=out)
    assert "dòng 8" in out.getvalue()


def test_invalid_json_is_a_clear_error(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"ma_tthc": "1.000001",', encoding="utf-8")
    with pytest.raises(CommandError, match="JSON"):
        call_command("import_procedures", str(path), stdout=StringIO())


@pytest.mark.parametrize(
    ("amount", "unit", "days"),
    [
        (5, "Ngày làm việc", "5"),
        (3, "Ngày", "3"),
        (4, "Giờ", "0.5"),
        (12, "HOUR", "1.5"),
        ("0,5", "WORKING_DAY", "0.5"),
    ],
)
def test_time_units(amount, unit, days):
    assert to_working_days(amount, unit)[0] == Decimal(days)


def sample_workbook(path, tree, **changes):
    procedures = [
        [
            "1.001193",
            "Thủ tục đăng ký khai sinh",
            "Hộ tịch",
            "HT",
            "Cấp xã",
            "TTHC Tiêu chuẩn",
            "Ủy ban nhân dân cấp xã",
            "Toàn trình",
            "Giấy khai sinh",
            "Công dân Việt Nam",
            "",
            "60/2014/QH13 | Luật Hộ tịch\n123/2015/NĐ-CP | Nghị định 123",
            f"id:{tree.commune.pk}",
            f"id:{tree.commune.pk}",
            "",
            "Có",
        ],
    ]
    methods = [
        ["1.001193", "Trực tiếp", 1, "Ngày làm việc", 0, "Miễn lệ phí", ""],
        ["1.001193", "Trực tuyến", 1, "Ngày làm việc", 0, "", ""],
        ["1.001193", "Dịch vụ bưu chính", 8, "Giờ", "8.000", "", ""],
    ]
    papers = [
        ["1.001193", 1, "Tờ khai đăng ký khai sinh", "", 1, 0, "Có", "", "Tờ khai đăng ký khai sinh"],
        ["1.001193", 2, "Giấy chứng sinh", "GIAY_CHUNG_SINH", 1, 0, "Có", "", ""],
    ]
    steps = [
        ["1.001193", 1, "Tiếp nhận hồ sơ", "Cán bộ một cửa", "", 0.5],
        ["1.001193", 2, "Thẩm định", "specialist", "", 0.3],
        ["1.001193", 3, "Ký", "Lãnh đạo", "", 0.2],
    ]
    sheets = {"Thủ tục": procedures, "Cách thức": methods, "Thành phần hồ sơ": papers, "Quy trình": steps}
    sheets.update(changes)
    return write_workbook(path, sheets)


def test_xlsx_round_trip(db, tmp_path, tree):
    path = sample_workbook(tmp_path / "catalogue.xlsx", tree)
    out = StringIO()
    call_command("import_procedures", str(path), stdout=out)
    assert "created: 1" in out.getvalue()
    p = Procedure.objects.get(code="1.001193")
    assert p.online_level == Procedure.OnlineLevel.FULL and p.levels == ["commune"]
    assert p.legal_bases[0] == {"number": "60/2014/QH13", "title": "Luật Hộ tịch"}
    assert p.methods.get(channel=Channel.POSTAL).fee_amount == 8000
    assert list(p.steps.values_list("role", flat=True)) == ["one_stop_officer", "specialist", "leader"]
    assert list(p.papers.values_list("code", flat=True)) == ["", "GIAY_CHUNG_SINH"]
    assert p.agency_links.filter(agency=tree.commune, role=Part.RECEIVING).exists()
    out = StringIO()
    call_command("import_procedures", str(path), "--format", "xlsx", stdout=out)
    assert "unchanged: 1" in out.getvalue()


def test_xlsx_bad_row_names_sheet_and_row(db, tmp_path, tree):
    steps = [["1.001193", 1, "Tiếp nhận", "Cán bộ một cửa", "", 5]]  # longer than the 1-day legal time
    methods = [
        ["1.001193", "Trực tiếp", 1, "Ngày làm việc", "mười nghìn", "", ""],
        ["9.999999", "Trực tiếp", 1, "", 0, "", ""],
    ]
    path = sample_workbook(tmp_path / "bad.xlsx", tree, **{"Quy trình": steps, "Cách thức": methods})
    report = import_procedures(path)
    assert not report.ok and not Procedure.objects.exists()
    text = "\n".join(str(e) for e in report.errors)
    assert "Cách thức!2" in text and "mười nghìn" in text
    assert "Cách thức!3 (9.999999)" in text
