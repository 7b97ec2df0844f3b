"""Document management (quản lý văn bản): registers, incoming and outgoing documents, handling flow.

Facts from Nghị định 30/2020/NĐ-CP (công tác văn thư):

* numbers run per register per year from 01 on 1 January (Điều 15.1, 22.2); secret documents have their own
  series, so a secret register is a separate register;
* the notation (ký hiệu) is the type abbreviation plus the issuing agency's short name, or for a công văn the
  agency's short name plus the drafting unit's (``12/UBND-VX``); number and notation are unique per agency
  per year;
* metadata follows Phụ lục VI (CodeNumber, CodeNotation, IssuedDate, Subject, SignerInfo, Priority …).
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.core.text import fold

_NON_WORD = re.compile(r"[^a-z0-9]+")


class DocumentType(models.Model):
    """Loại văn bản (Điều 7) with the abbreviation of Phụ lục III (``QĐ``; none for công văn)."""

    code = models.SlugField(max_length=16, unique=True)
    name = models.CharField(_("tên loại"), max_length=100, unique=True)
    abbreviation = models.CharField(_("viết tắt"), max_length=10, blank=True)
    ordering = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["ordering", "name"]
        verbose_name = _("loại văn bản")
        verbose_name_plural = _("loại văn bản")

    def __str__(self) -> str:
        return self.name

    @property
    def is_cong_van(self) -> bool:
        return self.code == "cong-van"


class Urgency(models.IntegerChoices):
    """Mức độ khẩn (edXML Priority 0–3)."""

    NORMAL = 0, _("Thường")
    URGENT = 1, _("Khẩn")
    VERY_URGENT = 2, _("Thượng khẩn")
    FLASH = 3, _("Hỏa tốc")


class Confidentiality(models.IntegerChoices):
    """Độ mật."""

    NORMAL = 0, _("Thường")
    SECRET = 1, _("Mật")
    TOP_SECRET = 2, _("Tối mật")
    MOST_SECRET = 3, _("Tuyệt mật")


class Register(models.Model):
    """Sổ đăng ký văn bản đến / đi of an agency. A secret register keeps its own number series."""

    class Direction(models.TextChoices):
        INCOMING = "incoming", _("Văn bản đến")
        OUTGOING = "outgoing", _("Văn bản đi")

    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="registers")
    direction = models.CharField(_("loại sổ"), max_length=8, choices=Direction.choices)
    name = models.CharField(_("tên sổ"), max_length=200)
    is_secret = models.BooleanField(_("sổ văn bản mật"), default=False)
    is_default = models.BooleanField(_("sổ mặc định"), default=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["agency", "direction", "-is_default", "name"]
        verbose_name = _("sổ đăng ký")
        verbose_name_plural = _("sổ đăng ký")
        constraints = [
            models.UniqueConstraint(fields=["agency", "direction", "name"], name="register_unique_name"),
            models.UniqueConstraint(
                fields=["agency", "direction"], condition=Q(is_default=True), name="register_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RegisterCounter(models.Model):
    """The last number given in a register for a year. Numbering bumps it with ``UPDATE … RETURNING``
    (``numbering.take_next_number`` / ``number_incoming``), which locks the row until the transaction ends,
    so concurrent clerks never get the same number nor leave a gap."""

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="counters")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["register", "year"], name="counter_per_register_year")]

    def __str__(self) -> str:
        return f"{self.register} {self.year}: {self.last_number}"


class StoredFile(models.Model):
    """An uploaded or generated file: content-addressed (SHA-256), never served as executable content."""

    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    original_name = models.CharField(max_length=255)
    file = models.FileField(upload_to="documents/%Y/%m/", max_length=255)
    text = models.TextField(blank=True, help_text="Extracted text (PDF text layer, DOCX) for search.")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("tệp")
        verbose_name_plural = _("tệp")

    def __str__(self) -> str:
        return self.original_name

    @staticmethod
    def digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


class DocumentMetadata(models.Model):
    """Phụ lục VI metadata shared by incoming and outgoing documents."""

    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    document_type = models.ForeignKey(DocumentType, on_delete=models.PROTECT, verbose_name=_("loại văn bản"))
    code_number = models.CharField(_("số"), max_length=11, blank=True)
    code_notation = models.CharField(_("ký hiệu"), max_length=30, blank=True)
    issued_date = models.DateField(_("ngày văn bản"), null=True, blank=True)
    subject = models.CharField(_("trích yếu"), max_length=500)
    signer_name = models.CharField(_("người ký"), max_length=100, blank=True)
    signer_position = models.CharField(_("chức vụ người ký"), max_length=100, blank=True)
    urgency = models.PositiveSmallIntegerField(_("độ khẩn"), choices=Urgency.choices, default=Urgency.NORMAL)
    confidentiality = models.PositiveSmallIntegerField(
        _("độ mật"), choices=Confidentiality.choices, default=Confidentiality.NORMAL
    )
    page_count = models.PositiveIntegerField(_("số trang"), null=True, blank=True)
    due_date = models.DateField(_("hạn xử lý"), null=True, blank=True)
    search_key = models.TextField(editable=False, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def number_notation(self) -> str:
        """``15/QĐ-UBND``."""
        if not self.code_number:
            return ""
        return f"{self.code_number}/{self.code_notation}" if self.code_notation else self.code_number

    def metadata_text(self) -> list[str]:
        return [self.number_notation, self.subject, self.signer_name, str(self.document_type.name)]

    def refresh_search_key(self, extra: list[str] | None = None) -> None:
        # Punctuation becomes spaces so that both databases split "15/QĐ-UBND" into 15, qd, ubnd.
        text = fold(" ".join(filter(None, [*self.metadata_text(), *(extra or [])])))
        self.search_key = " ".join(_NON_WORD.split(text)).strip()


class IncomingDocument(DocumentMetadata):
    """Văn bản đến: registered with a continuous arrival number (số đến) per register per year."""

    class Source(models.TextChoices):
        PAPER = "paper", _("Văn bản giấy")
        EXCHANGE = "exchange", _("Trục liên thông")
        UPLOAD = "upload", _("Tệp điện tử")

    class Status(models.TextChoices):
        """Trạng thái xử lý. The exchange axis reports them to the sender as status codes 01–06 / 02."""

        RECEIVED = "received", _("Đã đến")  # 01 (exchange only, before the clerk registers it)
        REFUSED = "refused", _("Từ chối tiếp nhận")  # 02
        REGISTERED = "registered", _("Đã tiếp nhận")  # 03
        PRESENTED = "presented", _("Đã trình lãnh đạo")  # 03
        ASSIGNED = "assigned", _("Đã phân công")  # 04
        IN_PROGRESS = "in_progress", _("Đang xử lý")  # 05
        COMPLETED = "completed", _("Hoàn thành")  # 06
        REVOKED = "revoked", _("Đã thu hồi")  # 15: the sender took it back and the clerk agreed

    class Business(models.IntegerChoices):
        """edXML BussinessDocType: what the packet did to the document."""

        NEW = 0, _("Văn bản mới")
        REVOKE = 1, _("Thu hồi")
        UPDATE = 2, _("Cập nhật")
        REPLACE = 3, _("Thay thế")

    register = models.ForeignKey(Register, on_delete=models.PROTECT, related_name="incoming_documents")
    arrival_year = models.PositiveSmallIntegerField(null=True, blank=True)
    arrival_number = models.PositiveIntegerField(_("số đến"), null=True, blank=True)
    arrival_date = models.DateTimeField(_("ngày đến"))
    source = models.CharField(_("nguồn"), max_length=16, choices=Source.choices)
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices)
    issuing_agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan ban hành"),
    )
    issuing_agency_name = models.CharField(_("cơ quan ban hành"), max_length=255)
    external_id = models.CharField(
        _("mã văn bản liên thông"),
        max_length=200,
        blank=True,
        help_text=_("edXML DocumentId khi văn bản đến qua trục liên thông."),
    )
    identity_key = models.CharField(
        max_length=400,
        editable=False,
        blank=True,
        help_text="fold(issuing agency|number|notation): finds the same document received twice.",
    )
    refusal_reason = models.CharField(_("lý do từ chối"), max_length=500, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    business = models.PositiveSmallIntegerField(
        _("loại nghiệp vụ"), choices=Business.choices, default=Business.NEW
    )
    related = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followups",
        verbose_name=_("văn bản được cập nhật/thay thế"),
    )
    revocation_requested_at = models.DateTimeField(_("ngày đề nghị thu hồi"), null=True, blank=True)
    revocation_reason = models.CharField(_("lý do thu hồi"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("văn bản đến")
        verbose_name_plural = _("văn bản đến")
        ordering = ["-arrival_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "arrival_year", "arrival_number"], name="incoming_unique_arrival_number"
            ),
        ]
        indexes = [
            models.Index(fields=["agency", "-arrival_date", "-id"]),
            models.Index(fields=["agency", "status"]),
            models.Index(fields=["agency", "identity_key"]),
            # The open backlog by due date: the leaders' "late items to act on" list (reporting dashboards)
            # reads the oldest overdue open documents of a subtree without scanning the table.
            models.Index(
                fields=["due_date", "id"],
                include=["agency"],  # PostgreSQL: counts of a subtree's backlog from the index alone
                condition=Q(status__in=["registered", "presented", "assigned", "in_progress"]),
                name="incoming_open_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.arrival_number or '—'} · {self.number_notation} · {self.subject[:60]}"

    def metadata_text(self) -> list[str]:
        return [*super().metadata_text(), self.issuing_agency_name]

    @staticmethod
    def make_identity_key(issuing_agency_name: str, code_number: str, code_notation: str) -> str:
        number = code_number.lstrip("0") or code_number
        return fold(f"{issuing_agency_name}|{number}|{code_notation}")[:400]


class OutgoingDocument(DocumentMetadata):
    """Văn bản đi: drafted, reviewed, approved, numbered and signed, issued and sent."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Dự thảo")
        IN_REVIEW = "in_review", _("Chờ lãnh đạo đơn vị duyệt")
        PENDING_APPROVAL = "pending_approval", _("Chờ lãnh đạo cơ quan duyệt")
        APPROVED = "approved", _("Đã duyệt, chờ ký")
        SIGNED = "signed", _("Đã ký số")
        ISSUED = "issued", _("Đã ban hành")
        REVOKED = "revoked", _("Đã thu hồi")

    status = models.CharField(_("trạng thái"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    register = models.ForeignKey(
        Register, null=True, blank=True, on_delete=models.PROTECT, related_name="outgoing_documents"
    )
    number_year = models.PositiveSmallIntegerField(null=True, blank=True)
    number = models.PositiveIntegerField(null=True, blank=True)
    drafting_unit = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("đơn vị soạn thảo"),
    )
    signer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("người ký"),
    )
    signing_authority = models.CharField(
        _("thẩm quyền ký"), max_length=100, blank=True, help_text=_("TM., KT., TL., TUQ., Q. và chức vụ")
    )
    recipients_text = models.TextField(_("nơi nhận"), blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("văn bản đi")
        verbose_name_plural = _("văn bản đi")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["register", "number_year", "number"], name="outgoing_unique_number_in_register"
            ),
            models.UniqueConstraint(
                fields=["agency", "number_year", "code_number", "code_notation"],
                condition=Q(number__isnull=False),
                name="outgoing_unique_number_notation_per_year",
            ),
        ]
        indexes = [models.Index(fields=["agency", "status", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.number_notation or _('(chưa cấp số)')} · {self.subject[:60]}"


class Attachment(models.Model):
    """A file of an incoming or outgoing document (exactly one of the two)."""

    class Role(models.TextChoices):
        MAIN = "main", _("Văn bản chính")
        ANNEX = "annex", _("Phụ lục, tài liệu kèm theo")
        SIGNED = "signed", _("Bản đã ký số")

    incoming = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    outgoing = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.ForeignKey(StoredFile, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.MAIN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(incoming__isnull=False, outgoing__isnull=True)
                | Q(incoming__isnull=True, outgoing__isnull=False),
                name="attachment_one_owner",
            )
        ]

    def __str__(self) -> str:
        return str(self.file)


class Assignment(models.Model):
    """Phân công xử lý văn bản đến: the leader's direction to a lead handler, co-handlers and readers."""

    class Kind(models.TextChoices):
        LEAD = "lead", _("Chủ trì")
        COOPERATE = "cooperate", _("Phối hợp")
        INFORM = "inform", _("Để biết")

    document = models.ForeignKey(IncomingDocument, on_delete=models.CASCADE, related_name="assignments")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    unit = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="document_assignments",
    )
    deadline = models.DateField(_("hạn xử lý"), null=True, blank=True)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="forwards"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=False) | Q(user__isnull=False), name="assignment_target"
            )
        ]
        indexes = [models.Index(fields=["user", "completed_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.user or self.unit}"


class DocumentEvent(models.Model):
    """One step on a document's timeline (registered, presented, assigned, opinion, completed …)."""

    incoming = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    outgoing = models.ForeignKey(
        OutgoingDocument, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)
    data: Any = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%d/%m/%Y %H:%M}"


class OutgoingRecipient(models.Model):
    """Nơi nhận of an outgoing document, with what became of it: delivered directly to an agency inside egov,
    or sent through the exchange axis, and the latest status the recipient reported (edXML 01–06, 02)."""

    class Channel(models.TextChoices):
        INTERNAL = "internal", _("Trong hệ thống")
        EXCHANGE = "exchange", _("Trục liên thông")

    document = models.ForeignKey(OutgoingDocument, on_delete=models.CASCADE, related_name="recipients")
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organ_id = models.CharField(_("mã định danh"), max_length=64, blank=True)
    name = models.CharField(_("tên cơ quan nhận"), max_length=255)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    incoming = models.ForeignKey(
        IncomingDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status_code = models.CharField(_("trạng thái"), max_length=2, blank=True)
    status_description = models.CharField(max_length=500, blank=True)
    status_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "agency"],
                condition=Q(agency__isnull=False),
                name="recipient_once_per_document",
            )
        ]

    def __str__(self) -> str:
        return self.name
