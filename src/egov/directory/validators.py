"""Validators for Vietnamese identifiers: agency codes, CCCD, phone numbers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

QCVN102_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
QD20_RE = re.compile(r"^[A-Z0-9]{1,10}(\.[A-Z0-9]{1,10}){0,6}$")
PHONE_RE = re.compile(r"^0[35789]\d{8}$")

# Province codes (GSO, pre-2025, three digits) that open a 12-digit CCCD number: the place of birth
# registration. Numbers issued after the 2025 reform keep using these codes.
CCCD_PROVINCE_CODES = frozenset(
    {
        "001",
        "002",
        "004",
        "006",
        "008",
        "010",
        "011",
        "012",
        "014",
        "015",
        "017",
        "019",
        "020",
        "022",
        "024",
        "025",
        "026",
        "027",
        "030",
        "031",
        "033",
        "034",
        "035",
        "036",
        "037",
        "038",
        "040",
        "042",
        "044",
        "045",
        "046",
        "048",
        "049",
        "051",
        "052",
        "054",
        "056",
        "058",
        "060",
        "062",
        "064",
        "066",
        "067",
        "068",
        "070",
        "072",
        "074",
        "075",
        "077",
        "079",
        "080",
        "082",
        "083",
        "084",
        "086",
        "087",
        "089",
        "091",
        "092",
        "093",
        "094",
        "095",
        "096",
    }
)


def validate_qcvn102_code(value: str) -> None:
    """Mã định danh QCVN 102:2016: four dot-separated fields ``NNN.NN.NN.XNN`` (13 characters)."""
    if not QCVN102_RE.match(value or ""):
        raise ValidationError(
            _("Mã QCVN 102 “%(value)s” không đúng dạng NNN.NN.NN.XNN (ví dụ 000.00.00.H41)."),
            code="invalid_qcvn102",
            params={"value": value},
        )


def validate_qd20_code(value: str) -> None:
    """Mã định danh QĐ 20/2020: dot-separated upper-case groups such as ``G09.20`` or ``H37.DN.001``."""
    if value and not QD20_RE.match(value):
        raise ValidationError(
            _("Mã định danh “%(value)s” chỉ gồm chữ in hoa, chữ số và dấu chấm (ví dụ H37.02.02)."),
            code="invalid_qd20",
            params={"value": value},
        )


def normalise_phone(value: str) -> str:
    """``+84 912 345 678``, ``84912345678`` and ``0912.345.678`` all become ``0912345678``."""
    digits = re.sub(r"[\s.\-()]", "", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    return digits


def validate_phone(value: str) -> None:
    if value and not PHONE_RE.match(normalise_phone(value)):
        raise ValidationError(
            _("Số điện thoại “%(value)s” không hợp lệ (10 chữ số, bắt đầu bằng 03, 05, 07, 08 hoặc 09)."),
            code="invalid_phone",
            params={"value": value},
        )


def validate_cccd(value: str) -> None:
    """Căn cước công dân / số định danh cá nhân: 12 digits, opening with a province code."""
    if not (value and len(value) == 12 and value.isascii() and value.isdigit()):
        raise ValidationError(_("Số CCCD phải gồm đúng 12 chữ số."), code="invalid_cccd")
    if value[:3] not in CCCD_PROVINCE_CODES:
        raise ValidationError(
            _("Số CCCD bắt đầu bằng mã tỉnh “%(code)s” không tồn tại."),
            code="invalid_cccd_province",
            params={"code": value[:3]},
        )
