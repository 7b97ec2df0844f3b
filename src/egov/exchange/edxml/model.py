"""The edXML packet model: plain dataclasses, independent of XML and of Django.

Field names are the Python spelling of the QCVN 102:2016 element names (``organ_id`` = ``OrganId``,
``business`` = ``Bussiness`` …). Text values are stripped of surrounding white space when read. Dates are
:class:`datetime.date`, timestamps timezone-aware :class:`datetime.datetime` (Vietnam time on the wire).

Two packets compare equal when every field the wire carries is equal; read-only results of reading
(``warnings``, ``signature``) are left out of the comparison, and attachments compare by name, type,
description, content id, transfer form (zipped or not), size and SHA-256 — not by where the bytes live.
"""

from __future__ import annotations

import enum
import hashlib
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from .signature import SignatureResult

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PREFIX = "edXML"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
CHUNK = 1 << 16


class BusinessDocType(enum.IntEnum):
    """``Bussiness/BussinessDocType``: what the packet does with the document."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @property
    def label_vi(self) -> str:
        return {0: "Văn bản mới", 1: "Thu hồi", 2: "Cập nhật", 3: "Thay thế"}[self.value]


class StatusCode(enum.StrEnum):
    """Business status codes of QCVN 102 status packets (``StatusCode``, two characters)."""

    INBOX = "01"
    REJECTED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    PROCESSING = "05"
    FINISHED = "06"
    CANCEL_REQUEST = "13"
    CHANGE_ACCEPTED = "15"
    CHANGE_REJECTED = "16"

    @property
    def description(self) -> str:
        return STATUS_DESCRIPTIONS[self.value]

    @property
    def label(self) -> str:
        return self.name.lower().replace("_", "-")


STATUS_DESCRIPTIONS: dict[str, str] = {
    "01": "Đã đến - Phần mềm quản lý văn bản đã nhận nhưng văn thư chưa xử lý",
    "02": "Từ chối tiếp nhận",
    "03": "Đã tiếp nhận - Văn thư đã vào sổ văn bản đến",
    "04": "Phân công xử lý",
    "05": "Đang xử lý",
    "06": "Hoàn thành xử lý",
    "13": "Lấy lại (thu hồi) văn bản đã gửi",
    "15": "Đồng ý yêu cầu cập nhật, lấy lại",
    "16": "Từ chối yêu cầu cập nhật, lấy lại",
}


def status_description(code: str) -> str:
    """The standard Vietnamese meaning of a status code; empty for a code outside the standard list."""
    return STATUS_DESCRIPTIONS.get(code, "")


@dataclass
class Organization:
    """``From`` / ``To``: an agency. ``organ_id`` is its QCVN 102 code (``000.00.00.H41``)."""

    organ_id: str = ""
    organization_in_charge: str = ""
    organ_name: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass
class Code:
    """``Code``: số (CodeNumber) and ký hiệu (CodeNotation) of the document."""

    number: str = ""
    notation: str = ""

    def __str__(self) -> str:
        return f"{self.number}/{self.notation}" if self.notation else self.number


@dataclass
class PromulgationInfo:
    place: str = ""
    date: date | None = None


@dataclass
class DocumentType:
    type: int | None = None
    type_detail: int | None = None
    type_name: str = ""


@dataclass
class SignerInfo:
    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass
class OtherInfo:
    priority: int | None = None
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    direction: bool | None = None
    appendixes: list[str] = field(default_factory=list)


@dataclass
class ResponseFor:
    """The document a packet answers, revokes or reports on; ``code`` is free text (``7816/VPCP-TTĐT``)."""

    organ_id: str = ""
    code: str = ""
    promulgation_date: date | None = None
    document_id: str = ""


@dataclass
class StaffInfo:
    department: str = ""
    staff: str = ""
    email: str = ""
    mobile: str = ""


@dataclass
class TraceHeader:
    organ_id: str = ""
    timestamp: datetime | None = None


@dataclass
class Receiver:
    organ_id: str = ""
    receiver_type: int | None = None


@dataclass
class BusinessDocumentInfo:
    """``BussinessDocumentInfo`` of an update packet: which parts changed and who receives the update."""

    document_info: str = ""
    document_receiver: str = ""
    receivers: list[Receiver] = field(default_factory=list)


@dataclass
class ReplacementInfo:
    document_id: str = ""
    organ_ids: list[str] = field(default_factory=list)


@dataclass
class Business:
    """``TraceHeaderList/Bussiness`` (the standard's spelling)."""

    document_id: str = ""
    doc_type: BusinessDocType = BusinessDocType.NEW
    doc_reason: str = ""
    paper: int | None = None
    staff_info: StaffInfo | None = None
    document_info: BusinessDocumentInfo | None = None
    replacements: list[ReplacementInfo] = field(default_factory=list)


def _new_content_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Attachment:
    """One attached file.

    ``content_type`` is the type of the file itself; ``zipped`` says whether the file travels inside a
    one-entry zip archive (as the government SDKs do). ``size`` and ``sha256`` describe the file (after
    unzipping). The bytes live in memory, in a file on disk, or — for attachments that were read — in a
    spooled temporary file (in memory when small, on disk when large); use :meth:`chunks`, :meth:`read_bytes`,
    :meth:`copy_to` or :meth:`save` to get them.
    """

    name: str
    content_type: str = "application/octet-stream"
    description: str = ""
    content_id: str = field(default_factory=_new_content_id)
    zipped: bool = False
    size: int = 0
    sha256: str = ""
    source: bytes | Path | IO[bytes] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.source is not None and not self.sha256:
            digest = hashlib.sha256()
            size = 0
            for block in self.chunks():
                digest.update(block)
                size += len(block)
            self.size, self.sha256 = size, digest.hexdigest()

    @classmethod
    def from_bytes(cls, name: str, data: bytes, **kwargs: Any) -> Attachment:
        return cls(
            name=name, size=len(data), sha256=hashlib.sha256(data).hexdigest(), source=bytes(data), **kwargs
        )

    @classmethod
    def from_path(cls, path: str | Path, name: str | None = None, **kwargs: Any) -> Attachment:
        file_path = Path(path)
        digest = hashlib.sha256()
        size = 0
        with file_path.open("rb") as fh:
            while block := fh.read(CHUNK):
                digest.update(block)
                size += len(block)
        return cls(
            name=name or file_path.name, size=size, sha256=digest.hexdigest(), source=file_path, **kwargs
        )

    def chunks(self, size: int = CHUNK) -> Iterator[bytes]:
        """The file's bytes, in blocks of at most ``size`` bytes."""
        src = self.source
        if src is None:
            raise ValueError(f"attachment {self.name!r} has no content")
        if isinstance(src, bytes):
            for start in range(0, len(src), size):
                yield src[start : start + size]
            return
        if isinstance(src, Path):
            with src.open("rb") as fh:
                while block := fh.read(size):
                    yield block
            return
        src.seek(0)
        while block := src.read(size):
            yield block

    def read_bytes(self) -> bytes:
        buf = io.BytesIO()
        self.copy_to(buf)
        return buf.getvalue()

    def copy_to(self, out: IO[bytes]) -> int:
        written = 0
        for block in self.chunks():
            out.write(block)
            written += len(block)
        return written

    def save(self, path: str | Path) -> Path:
        target = Path(path)
        with target.open("wb") as fh:
            self.copy_to(fh)
        return target

    def safe_filename(self) -> str:
        """The name without directories or control characters, usable as a file name."""
        base = self.name.replace("\\", "/").rsplit("/", 1)[-1]
        cleaned = "".join(ch for ch in base if ch.isprintable()).strip().lstrip(".")
        return cleaned or f"attachment-{self.content_id}"

    def close(self) -> None:
        src = self.source
        if src is not None and not isinstance(src, (bytes, Path)):
            src.close()


@dataclass
class DocumentPacket:
    """A document packet (``MessageHeader``): a new document, or a revocation, update or replacement."""

    sender: Organization = field(default_factory=Organization)
    recipients: list[Organization] = field(default_factory=list)
    document_id: str = ""
    code: Code = field(default_factory=Code)
    promulgation: PromulgationInfo = field(default_factory=PromulgationInfo)
    document_type: DocumentType = field(default_factory=DocumentType)
    subject: str = ""
    content: str = ""
    signer: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    to_places: list[str] = field(default_factory=list)
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int | None = None
    trace_headers: list[TraceHeader] = field(default_factory=list)
    business: Business = field(default_factory=Business)
    attachments: list[Attachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)
    signature: SignatureResult | None = field(default=None, compare=False, repr=False)

    kind: Literal["document"] = field(default="document", init=False)

    def close(self) -> None:
        """Release the temporary files holding attachments that were read."""
        for attachment in self.attachments:
            attachment.close()

    def __enter__(self) -> DocumentPacket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass
class StatusPacket:
    """A status packet: the processing state (``StatusCode``) of a document sent earlier."""

    sender: Organization = field(default_factory=Organization)
    response_for: ResponseFor = field(default_factory=ResponseFor)
    staff_info: StaffInfo | None = None
    status_code: str = StatusCode.INBOX.value
    description: str = ""
    timestamp: datetime | None = None
    trace_headers: list[TraceHeader] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list, compare=False, repr=False)
    signature: SignatureResult | None = field(default=None, compare=False, repr=False)

    kind: Literal["status"] = field(default="status", init=False)

    @property
    def document_id(self) -> str:
        return self.response_for.document_id

    def close(self) -> None:
        """Nothing to release; present so that callers can treat both packet kinds alike."""

    def __enter__(self) -> StatusPacket:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Packet = DocumentPacket | StatusPacket
