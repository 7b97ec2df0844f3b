"""Dates, DocumentId and agency codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from egov.directory.validators import QCVN102_RE as DIRECTORY_RE
from egov.directory.validators import validate_qcvn102_code
from egov.exchange.edxml import VN_TZ, is_standard_organ_id, parse_date, parse_document_id, parse_timestamp
from egov.exchange.edxml.values import QCVN102_RE, format_timestamp, normalise_content_id


@pytest.mark.parametrize(
    "text",
    [
        "2019/01/16",
        "16/01/2019",
        "2019-01-16",
        "16-01-2019",
        "2019/1/16",
        "2019/01/16 08:09:10",
        "16/01/2019 8:09",
    ],
)
def test_both_date_orders(text: str) -> None:
    assert parse_date(text) == dt.date(2019, 1, 16)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2018/09/28 17:25:11", dt.datetime(2018, 9, 28, 17, 25, 11, tzinfo=VN_TZ)),
        ("28/09/2018 17:25:11", dt.datetime(2018, 9, 28, 17, 25, 11, tzinfo=VN_TZ)),
        ("2018/09/28", dt.datetime(2018, 9, 28, tzinfo=VN_TZ)),
        ("2018-09-28T10:25:11Z", dt.datetime(2018, 9, 28, 17, 25, 11, tzinfo=VN_TZ)),
        ("2018-09-28T17:25:11+07:00", dt.datetime(2018, 9, 28, 17, 25, 11, tzinfo=VN_TZ)),
    ],
)
def test_timestamps(text: str, expected: dt.datetime) -> None:
    assert parse_timestamp(text) == expected


@pytest.mark.parametrize("text", ["2014/02/30", "30/02/2014", "yesterday", "2019/13/01", ""])
def test_bad_dates(text: str) -> None:
    with pytest.raises(ValueError, match="date"):
        parse_date(text)


def test_naive_timestamps_are_vietnam_time() -> None:
    assert format_timestamp(dt.datetime(2025, 1, 2, 3, 4, 5)) == "2025/01/02 03:04:05"


def test_document_id() -> None:
    parts = parse_document_id("000.00.00.G22,2015/09/30,7816/VPCP-TTĐT")
    assert parts is not None
    assert (parts.organ_id, parts.date, parts.number, parts.notation) == (
        "000.00.00.G22",
        dt.date(2015, 9, 30),
        "7816",
        "VPCP-TTĐT",
    )
    impossible = parse_document_id("000.00.00.G22,2014/02/30,7806/VPCP-TTĐT")
    assert impossible is not None and impossible.date is None and impossible.date_text == "2014/02/30"
    assert parse_document_id("5e515fca-3627-4f2e-b517-7169acdc8bda") is None


def test_organ_id_pattern_matches_the_directory() -> None:
    assert QCVN102_RE.pattern == DIRECTORY_RE.pattern
    for value in ["000.00.00.H41", "002.00.20.H13", "vxp.saas.03", "28.22.H17", "000.00.00.h41", ""]:
        try:
            validate_qcvn102_code(value)
            directory_ok = True
        except ValidationError:
            directory_ok = False
        assert is_standard_organ_id(value) is directory_ok, value


@pytest.mark.parametrize("value", ["cid:209", "CID:209", "<209>", " 209 ", "cid:<209>"])
def test_content_ids(value: str) -> None:
    assert normalise_content_id(value) == "209"
