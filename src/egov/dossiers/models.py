"""Hồ sơ thủ tục hành chính (one-stop shop dossiers): reception, processing, result, fees, rating.

Facts (Nghị định 61/2018 → 118/2025, Thông tư 01/2018 → 03/2025/TT-VPCP, national portal sync):

* a dossier code (mã hồ sơ) is given when the dossier enters the system: ``<agency code>-<yymmdd>-<nnnn>``
  (QCVN 102 code of the receiving agency) or, under Thông tư 03/2025, ``<QĐ20 code>-<yyyymmdd>-<nnnnnnn>``
  (see :mod:`egov.dossiers.codes`);
* statuses follow the national portal's ``TrangThaiHoSo`` 1–10 (:class:`Status`); channels its
  ``KenhThucHien`` 1–3 (:class:`egov.procedures.models.Channel`);
* the appointment date (ngày hẹn trả) is counted in working days from reception; the clock stops while a
  supplement is requested; a late dossier gets an apology letter and a new appointment (mẫu 04);
* the national index counts a dossier on time when it finished (statuses 3, 7, 8, 9, 10) no later than its
  appointment, and late when more than one supplement was requested.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.directory.models import Role
from egov.procedures.models import Channel


class Status(models.IntegerChoices):
    """Trạng thái hồ sơ (TrangThaiHoSo of the national public-service portal)."""

    NEW = 1, _("Mới đăng ký")
    RECEIVED = 2, _("Được tiếp nhận")
    REFUSED = 3, _("Không được tiếp nhận")
    PROCESSING = 4, _("Đang xử lý")
    SUPPLEMENT = 5, _("Yêu cầu bổ sung giấy tờ")
    PAYMENT = 6, _("Yêu cầu thực hiện nghĩa vụ tài chính")
    WITHDRAWN = 7, _("Công dân yêu cầu rút hồ sơ")
    STOPPED = 8, _("Dừng xử lý")
    DONE = 9, _("Đã xử lý xong")
    RETURNED = 10, _("Đã trả kết quả")


#: Statuses a one-stop officer still has work on (the queue's partial indexes cover exactly these).
OPEN_STATUSES = (
    Status.NEW,
    Status.RECEIVED,
    Status.PROCESSING,
    Status.SUPPLEMENT,
    Status.PAYMENT,
    Status.DONE,
)
#: Statuses during which the legal clock runs towards the appointment (flags "at risk" / "overdue").
CLOCK_STATUSES = (Status.RECEIVED, Status.PROCESSING, Status.PAYMENT)
#: Statuses that end the processing for the national index (the finish time is taken at entry).
FINISHED_STATUSES = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.DONE, Status.RETURNED)
#: Statuses with no further transition.
FINAL_STATUSES = (Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED)


class DeadlineFlag(models.IntegerChoices):
    """Stored by the periodic job (:func:`egov.dossiers.services.flag_deadlines`) so queues sort cheaply; the
    rule itself is :func:`egov.dossiers.deadlines.flag`, which the officer pages also apply live."""

    NONE = 0, _("Trong hạn")
    AT_RISK = 1, _("Sắp đến hạn")
    OVERDUE = 2, _("Quá hạn")


class DossierCounter(models.Model):
    """The last number given for (agency, scope): dossier codes per day (``code:260115``), fee receipts per
    year (``receipt:2026``). Locked with ``SELECT … FOR UPDATE`` in the transaction that uses the number,
    so numbers are never duplicated nor skipped."""

    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=32)
    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agency", "scope"], name="dossier_counter_unique")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.scope}: {self.last_number}"


class DossierGroup(models.Model):
    """Hồ sơ liên thông: one submission for the procedures of a :class:`ProcedureGroup` (Nghị định 63/2024);
    each part is a :class:`Dossier` handled by its own agency."""

    code = models.CharField(_("mã hồ sơ liên thông"), max_length=64, unique=True)
    procedure_group = models.ForeignKey(
        "procedures.ProcedureGroup", on_delete=models.PROTECT, related_name="dossier_groups"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hồ sơ liên thông")
        verbose_name_plural = _("hồ sơ liên thông")
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="dossier_group_idempotency",
            )
        ]

    def __str__(self) -> str:
        return self.code


class Dossier(models.Model):
    """Hồ sơ TTHC."""

    class ApplicantKind(models.IntegerChoices):
        """LoaiDoiTuong of the national portal."""

        CITIZEN = 1, _("Công dân")
        ORGANISATION = 2, _("Doanh nghiệp, tổ chức")

    class ReturnMethod(models.TextChoices):
        DESK = "desk", _("Trả trực tiếp tại Bộ phận Một cửa")
        POST = "post", _("Trả qua dịch vụ bưu chính công ích")
        ONLINE = "online", _("Trả trực tuyến")

    code = models.CharField(_("mã hồ sơ"), max_length=64, unique=True)
    procedure = models.ForeignKey("procedures.Procedure", on_delete=models.PROTECT, related_name="dossiers")
    receiving_agency = models.ForeignKey(
        "directory.Agency", on_delete=models.PROTECT, related_name="dossiers", verbose_name=_("nơi tiếp nhận")
    )
    channel = models.PositiveSmallIntegerField(_("kênh tiếp nhận"), choices=Channel.choices)
    status = models.PositiveSmallIntegerField(_("trạng thái"), choices=Status.choices, default=Status.NEW)
    group = models.ForeignKey(
        DossierGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="dossiers"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="dossiers",
        help_text=_("Tài khoản công dân sở hữu hồ sơ (trống khi nộp trực tiếp không có tài khoản)."),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=100, blank=True)

    # Chủ hồ sơ (ChuHoSo) and contact.
    applicant_kind = models.PositiveSmallIntegerField(
        _("loại đối tượng"), choices=ApplicantKind.choices, default=ApplicantKind.CITIZEN
    )
    applicant_name = models.CharField(_("chủ hồ sơ"), max_length=255)
    applicant_identity = models.CharField(_("số CCCD/định danh"), max_length=12, blank=True)
    applicant_phone = models.CharField(_("điện thoại"), max_length=20, blank=True)
    applicant_email = models.EmailField(_("thư điện tử"), blank=True)
    applicant_address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    description = models.TextField(_("nội dung yêu cầu"), blank=True)

    # Dates (NgayNop, NgayTiepNhan, NgayHenTra, NgayKetThucXuLy, NgayTraKetQua).
    submitted_at = models.DateTimeField(_("ngày nộp"))
    received_at = models.DateTimeField(_("ngày tiếp nhận"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    processing_days = models.DecimalField(
        _("thời hạn giải quyết (ngày làm việc)"), max_digits=6, decimal_places=1, null=True, blank=True
    )
    due_at = models.DateTimeField(_("ngày hẹn trả"), null=True, blank=True)
    original_due_at = models.DateTimeField(_("ngày hẹn trả ban đầu"), null=True, blank=True)
    paused_at = models.DateTimeField(null=True, blank=True, help_text="Clock stopped (supplement) since.")
    paused_working_days = models.PositiveIntegerField(default=0)
    supplement_count = models.PositiveSmallIntegerField(_("số lần yêu cầu bổ sung"), default=0)
    resume_status = models.PositiveSmallIntegerField(
        choices=Status.choices, null=True, blank=True, help_text="Status to go back to after 5 or 6."
    )
    finished_at = models.DateTimeField(_("ngày kết thúc xử lý"), null=True, blank=True)
    is_on_time = models.BooleanField(_("đúng hạn"), null=True, blank=True)
    deadline_flag = models.PositiveSmallIntegerField(
        _("cảnh báo hạn"), choices=DeadlineFlag.choices, default=DeadlineFlag.NONE
    )
    current_step = models.ForeignKey(
        "DossierStep", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    # Fees.
    fee_amount = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), default=0)

    # Result.
    result_file = models.ForeignKey(
        "documents.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    result_signed = models.BooleanField(_("kết quả đã ký số"), default=False)
    result_note = models.CharField(_("kết quả giải quyết"), max_length=1000, blank=True)
    returned_at = models.DateTimeField(_("ngày trả kết quả"), null=True, blank=True)
    return_method = models.CharField(
        _("hình thức trả"), max_length=8, choices=ReturnMethod.choices, blank=True
    )
    tracking_number = models.CharField(_("số vận đơn bưu chính"), max_length=64, blank=True)

    end_reason = models.TextField(_("lý do từ chối, dừng, rút"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("hồ sơ")
        verbose_name_plural = _("hồ sơ")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=~Q(idempotency_key=""),
                name="dossier_idempotency",
            ),
        ]
        indexes = [
            # Officer queue: open dossiers of a receiving agency by deadline (due_at NULLS LAST, id).
            models.Index(
                fields=["receiving_agency", "due_at", "id"],
                condition=Q(status__in=[1, 2, 4, 5, 6, 9]),
                name="dossier_queue_open",
            ),
            # Deadline scan: only the dossiers whose clock runs.
            models.Index(fields=["due_at"], condition=Q(status__in=[2, 4, 6]), name="dossier_clock_due"),
            models.Index(fields=["due_at"], condition=Q(deadline_flag__gt=0), name="dossier_flagged"),
            models.Index(fields=["receiving_agency", "deadline_flag", "due_at"], name="dossier_agency_flag"),
            models.Index(fields=["owner", "-submitted_at"], name="dossier_owner"),
            models.Index(fields=["receiving_agency", "submitted_at"], name="dossier_agency_submitted"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def status_label(self) -> str:
        return str(Status(self.status).label)

    @property
    def is_paused(self) -> bool:
        return self.paused_at is not None


class DossierStep(models.Model):
    """One step of the dossier's processing, instantiated from the procedure's :class:`ProcessStep`. When a
    step is returned to the previous one (``State.RETURNED``), the previous and the returned template steps
    get new rows (same ``order``), so a template step may have several rows; at most one of them is open."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ xử lý")
        ACTIVE = "active", _("Đang xử lý")
        DONE = "done", _("Đã xong")
        CANCELLED = "cancelled", _("Đã hủy")
        RETURNED = "returned", _("Trả lại bước trước")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=255)
    role = models.CharField(max_length=32, choices=Role.choices)
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    days = models.DecimalField(max_digits=5, decimal_places=1)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(_("hạn xử lý bước"), null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["dossier", "order", "id"]
        # A step returned to the previous one (trả lại bước trước) is played again in new rows: only one
        # open (pending or active) row per template step; closed rows stay as the history.
        constraints = [
            models.UniqueConstraint(
                fields=["dossier", "order"],
                condition=Q(state__in=["pending", "active"]),
                name="dossier_step_open_order",
            )
        ]
        indexes = [
            models.Index(
                fields=["agency", "due_at", "id"], condition=Q(state="active"), name="dossier_step_active"
            )
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class DossierPaper(models.Model):
    """Thành phần hồ sơ as submitted: a required paper with its scanned/uploaded file (or a paper original
    received at the desk without a scan)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="papers")
    required_paper = models.ForeignKey(
        "procedures.RequiredPaper", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    code = models.CharField(max_length=64, blank=True)
    name = models.CharField(max_length=1000)
    file = models.ForeignKey(
        "documents.StoredFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    citizen_document = models.ForeignKey(
        "CitizenDocument", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    quantity = models.PositiveSmallIntegerField(default=1)
    supplement = models.ForeignKey(
        "SupplementRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="provided_papers"
    )
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["dossier", "id"]

    def __str__(self) -> str:
        return self.name


class DossierEvent(models.Model):
    """One line of the dossier's timeline; also the national "progress" entry (TienTrinh): NguoiXuLy
    (actor_name), ThoiDiemXuLy (at), PhongBanXuLy (agency), NoiDungXuLy (note / kind), TrangThai (to_status),
    NgayBatDau (started_at), NgayKetThucTheoQuyDinh (due_at)."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=32)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=255, blank=True)
    agency = models.ForeignKey(
        "directory.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    from_status = models.PositiveSmallIntegerField(choices=Status.choices, null=True, blank=True)
    to_status = models.PositiveSmallIntegerField(choices=Status.choices)
    note = models.TextField(blank=True)
    at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    due_at = models.DateTimeField(null=True, blank=True)
    step = models.ForeignKey(DossierStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    data: Any = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dossier", "at"])]

    def __str__(self) -> str:
        return f"{self.kind} @ {self.at:%d/%m/%Y %H:%M}"


class SupplementRequest(models.Model):
    """Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ (mẫu 02): the clock stops from request to arrival."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="supplements")
    reason = models.TextField(_("lý do"))
    papers: Any = models.JSONField(_("giấy tờ cần bổ sung"), default=list, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    provided_at = models.DateTimeField(null=True, blank=True)
    provided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paused_working_days = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["dossier", "requested_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.requested_at:%d/%m/%Y}"


class Payment(models.Model):
    """Nghĩa vụ tài chính (phí, lệ phí): requested, then paid at the desk or through a payment provider,
    with a receipt number unique and sequential per agency per year (``<year>/<n>``)."""

    class State(models.TextChoices):
        PENDING = "pending", _("Chờ thanh toán")
        PAID = "paid", _("Đã thanh toán")
        CANCELLED = "cancelled", _("Đã hủy")

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="payments")
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    amount = models.PositiveBigIntegerField(_("số tiền (đồng)"))
    state = models.CharField(max_length=12, choices=State.choices, default=State.PENDING)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField()
    method = models.CharField(_("hình thức thanh toán"), max_length=32, blank=True)
    reference = models.CharField(_("mã giao dịch"), max_length=128, blank=True)
    receipt_year = models.PositiveSmallIntegerField(null=True, blank=True)
    receipt_seq = models.PositiveIntegerField(null=True, blank=True)
    receipt_number = models.CharField(_("số biên lai"), max_length=32, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["dossier", "requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "receipt_year", "receipt_seq"],
                condition=Q(receipt_seq__isnull=False),
                name="payment_receipt_unique",
            ),
            models.UniqueConstraint(
                fields=["method", "reference"],
                condition=~Q(reference=""),
                name="payment_reference_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.amount} {self.state}"


class Apology(models.Model):
    """Văn bản xin lỗi và hẹn lại ngày trả kết quả (mẫu 04): shown to the citizen on the portal."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="apologies")
    reason = models.TextField(_("lý do chậm"))
    old_due_at = models.DateTimeField(_("ngày hẹn cũ"))
    new_due_at = models.DateTimeField(_("ngày hẹn mới"))
    issuing_agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issuer_name = models.CharField(_("người ký"), max_length=255)
    issuer_title = models.CharField(_("chức vụ"), max_length=255, blank=True)
    issued_at = models.DateTimeField()

    class Meta:
        verbose_name = _("phiếu xin lỗi và hẹn lại")
        verbose_name_plural = _("phiếu xin lỗi và hẹn lại")
        ordering = ["dossier", "issued_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} → {self.new_due_at:%d/%m/%Y}"


class Rating(models.Model):
    """Đánh giá mức độ hài lòng: one per dossier, by its owner after the result."""

    dossier = models.OneToOneField(Dossier, on_delete=models.CASCADE, related_name="rating")
    score = models.PositiveSmallIntegerField(
        _("mức độ hài lòng"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("ý kiến"), blank=True)
    rated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=1, score__lte=5), name="rating_score_range")
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}: {self.score}"


class Feedback(models.Model):
    """Phản ánh, kiến nghị about a dossier."""

    dossier = models.ForeignKey(Dossier, on_delete=models.CASCADE, related_name="feedback")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("nội dung"))
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["dossier", "created_at"]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.created_at:%d/%m/%Y}"


class CitizenDocument(models.Model):
    """Kho dữ liệu điện tử của công dân: papers and results the citizen may reuse in new dossiers."""

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="documents")
    paper_code = models.CharField(_("mã giấy tờ"), max_length=64, blank=True)
    name = models.CharField(_("tên giấy tờ"), max_length=1000)
    file = models.ForeignKey("documents.StoredFile", on_delete=models.PROTECT, related_name="+")
    source_dossier = models.ForeignKey(
        Dossier, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_result = models.BooleanField(_("là kết quả giải quyết"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("giấy tờ trong kho dữ liệu")
        verbose_name_plural = _("kho dữ liệu công dân")
        ordering = ["owner", "-created_at"]
        indexes = [models.Index(fields=["owner", "paper_code"])]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "file", "source_dossier"], name="citizen_document_once_per_source"
            )
        ]

    def __str__(self) -> str:
        return self.name
