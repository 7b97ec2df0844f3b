"""Value formats of QCVN 102:2016: dates, timestamps, DocumentId, agency codes (OrganId), content ids.

Written values follow the VPCP sample: dates ``yyyy/MM/dd``, timestamps ``yyyy/MM/dd HH:mm:ss`` in Vietnam
time (UTC+7, no offset written). Read values are accepted in the forms real systems send: ``yyyy/MM/dd`` and
``dd/MM/yyyy`` (also with ``-``), with or without a time ``HH:mm[:ss]``, and ISO 8601 with an offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

VN_TZ = timezone(timedelta(hours=7), "ICT")
"""Vietnam has used UTC+7 without daylight saving since 1975; edXML timestamps carry no offset."""

DATE_FORMAT = "%Y/%m/%d"
TIMESTAMP_FORMAT = "%Y/%m/%d %H:%M:%S"

# Same pattern as egov.directory.validators.QCVN102_RE (kept here so the codec does not import Django).
QCVN102_RE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")

_TIME = r"(?:[ T](?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:\.\d{1,9})?)?(?P<tz>Z|[+-]\d{2}:?\d{2})?)?"
_YMD_RE = re.compile(r"^(?P<y>\d{4})[/-](?P<m>\d{1,2})[/-](?P<d>\d{1,2})" + _TIME + "$")
_DMY_RE = re.compile(r"^(?P<d>\d{1,2})[/-](?P<m>\d{1,2})[/-](?P<y>\d{4})" + _TIME + "$")

DOCUMENT_ID_RE = re.compile(
    r"^(?P<organ_id>[^,\s]+),(?P<date>\d{4}/\d{2}/\d{2}),(?P<number>[^/]+)/(?P<notation>.+)$"
)


def _match(text: str) -> re.Match[str]:
    value = text.strip()
    m = _YMD_RE.match(value) or _DMY_RE.match(value)
    if m is None:
        raise ValueError(f"'{value}' is not a date in the form yyyy/MM/dd or dd/MM/yyyy")
    return m


def parse_date(text: str) -> date:
    """``2019/01/16``, ``16/01/2019``, ``2019-01-16``, optionally followed by a time (ignored)."""
    m = _match(text)
    try:
        return date(int(m["y"]), int(m["m"]), int(m["d"]))
    except ValueError as exc:
        raise ValueError(f"'{text.strip()}' is not a valid date: {exc}") from None


def parse_timestamp(text: str) -> datetime:
    """``2018/09/28 17:25:11`` (Vietnam time) and the other accepted forms; the result is timezone-aware."""
    m = _match(text)
    tz: timezone = VN_TZ
    if m["tz"]:
        raw = m["tz"]
        if raw == "Z":
            tz = UTC
        else:
            sign = -1 if raw[0] == "-" else 1
            digits = raw[1:].replace(":", "")
            tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return datetime(
            int(m["y"]),
            int(m["m"]),
            int(m["d"]),
            int(m["h"] or 0),
            int(m["mi"] or 0),
            int(m["s"] or 0),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise ValueError(f"'{text.strip()}' is not a valid timestamp: {exc}") from None


def format_date(value: date) -> str:
    return f"{value.year:04d}/{value.month:02d}/{value.day:02d}"


def to_vn_time(value: datetime) -> datetime:
    """Aware datetimes are converted to Vietnam time; naive ones are taken to be Vietnam time already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=VN_TZ)
    return value.astimezone(VN_TZ)


def format_timestamp(value: datetime) -> str:
    """``yyyy/MM/dd HH:mm:ss`` in Vietnam time (sub-second precision is dropped)."""
    return to_vn_time(value).strftime(TIMESTAMP_FORMAT)


def is_standard_organ_id(value: str) -> bool:
    """True for a QCVN 102 agency code ``NNN.NN.NN.XNN`` (e.g. ``000.00.00.H41``)."""
    return bool(QCVN102_RE.match(value or ""))


@dataclass(frozen=True)
class DocumentIdParts:
    organ_id: str
    date_text: str
    date: date | None  # None when the date part is not a real calendar date (e.g. 2014/02/30 in a sample)
    number: str
    notation: str


def make_document_id(organ_id: str, promulgation_date: date, number: str, notation: str) -> str:
    """``<OrganId>,<yyyy/MM/dd>,<Number>/<Notation>``, e.g. ``000.00.00.G22,2015/09/30,7816/VPCP-TTĐT``."""
    if not (organ_id and number and notation):
        raise ValueError("a DocumentId needs the sender's OrganId, the code number and the code notation")
    return f"{organ_id},{format_date(promulgation_date)},{number}/{notation}"


def parse_document_id(value: str) -> DocumentIdParts | None:
    """Split a standard DocumentId; None when it is not in the standard form (e.g. a gateway UUID)."""
    m = DOCUMENT_ID_RE.match((value or "").strip())
    if m is None:
        return None
    try:
        parsed: date | None = parse_date(m["date"])
    except ValueError:
        parsed = None
    return DocumentIdParts(m["organ_id"], m["date"], parsed, m["number"], m["notation"])


def normalise_content_id(value: str) -> str:
    """``cid:209``, ``<209>`` and ``209`` all identify the same attachment: ``209``."""
    text = (value or "").strip()
    if text[:4].lower() == "cid:":
        text = text[4:]
    return text.strip().strip("<>").strip()
