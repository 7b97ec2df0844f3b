"""Hệ thống thông tin báo cáo (Nghị định 09/2019/NĐ-CP): chế độ báo cáo, chỉ tiêu, kỳ báo cáo, báo cáo.

The model follows DHIS2's aggregate reporting: a regime (data set) is assigned to reporting agencies (org
units), each period of the regime's frequency gives one *expected report* per agency, and each expected
report keeps every version its agency sent (``Submission``), with one ``Value`` row per indicator (and
category row for table indicators) so that aggregation up the agency tree is one SQL query.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from egov.directory.models import Agency


class Frequency(models.TextChoices):
    """Tần suất báo cáo (Nghị định 09/2019, Điều 6 and 12)."""

    MONTHLY = "monthly", _("Hằng tháng")
    QUARTERLY = "quarterly", _("Hằng quý")
    HALF_YEAR = "half_year", _("6 tháng")
    NINE_MONTHS = "nine_months", _("9 tháng")
    YEARLY = "yearly", _("Hằng năm")
    AD_HOC = "ad_hoc", _("Đột xuất, chuyên đề")


class Regime(models.Model):
    """Chế độ báo cáo: what is reported, by whom, to whom, how often, by when (Nghị định 09/2019, Điều 6)."""

    code = models.SlugField(_("mã chế độ báo cáo"), max_length=64, unique=True)
    name = models.CharField(_("tên báo cáo"), max_length=500)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=1000, blank=True)
    description = models.TextField(_("nội dung yêu cầu báo cáo"), blank=True)
    frequency = models.CharField(_("tần suất"), max_length=16, choices=Frequency.choices)
    receiving_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="received_regimes", verbose_name=_("cơ quan nhận")
    )
    reporting_agencies = models.ManyToManyField(
        Agency,
        blank=True,
        related_name="reporting_regimes",
        verbose_name=_("cơ quan thực hiện báo cáo (chỉ định)"),
    )
    scope_root = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("mọi cơ quan trực thuộc"),
        help_text=_("Cùng với “loại cơ quan”: mọi cơ quan thuộc các loại đã chọn trong cây của cơ quan này."),
    )
    scope_kinds = models.JSONField(_("loại cơ quan"), default=list, blank=True)
    send_method = models.CharField(
        _("phương thức gửi, nhận"), max_length=255, blank=True, default="Hệ thống thông tin báo cáo"
    )
    deadline_working_days = models.PositiveSmallIntegerField(
        _("thời hạn gửi (ngày làm việc sau ngày chốt số liệu)"), default=2
    )
    template_text = models.TextField(_("mẫu đề cương báo cáo"), blank=True)
    instructions = models.TextField(_("hướng dẫn quy trình thực hiện"), blank=True)
    effective_from = models.DateField(_("áp dụng từ ngày"))
    active = models.BooleanField(_("đang áp dụng"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("chế độ báo cáo")
        verbose_name_plural = _("chế độ báo cáo")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Indicator(models.Model):
    """Chỉ tiêu: one field of the regime's form (biểu mẫu số liệu)."""

    class Kind(models.TextChoices):
        INTEGER = "integer", _("Số nguyên")
        DECIMAL = "decimal", _("Số thập phân")
        PERCENT = "percent", _("Tỷ lệ (%)")
        TEXT = "text", _("Văn bản")
        TABLE = "table", _("Bảng (theo danh mục)")

    class Aggregation(models.TextChoices):
        SUM = "sum", _("Cộng")
        AVERAGE = "average", _("Trung bình")
        WEIGHTED_RATIO = "weighted_ratio", _("Tỷ lệ theo trọng số (tử số / mẫu số)")
        NONE = "none", _("Không tổng hợp")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Nhập tay")
        COMPUTED = "computed", _("Tính từ dữ liệu hệ thống")

    regime = models.ForeignKey(Regime, on_delete=models.CASCADE, related_name="indicators")
    code = models.SlugField(_("mã chỉ tiêu"), max_length=64)
    name = models.CharField(_("tên chỉ tiêu"), max_length=500)
    unit = models.CharField(_("đơn vị tính"), max_length=64, blank=True)
    kind = models.CharField(_("kiểu"), max_length=16, choices=Kind.choices, default=Kind.INTEGER)
    aggregation = models.CharField(
        _("cách tổng hợp"), max_length=16, choices=Aggregation.choices, default=Aggregation.SUM
    )
    numerator_code = models.SlugField(_("chỉ tiêu tử số"), max_length=64, blank=True)
    denominator_code = models.SlugField(_("chỉ tiêu mẫu số"), max_length=64, blank=True)
    min_value = models.DecimalField(
        _("giá trị nhỏ nhất"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    max_value = models.DecimalField(
        _("giá trị lớn nhất"), max_digits=20, decimal_places=4, null=True, blank=True
    )
    required = models.BooleanField(_("bắt buộc"), default=True)
    order = models.PositiveIntegerField(_("thứ tự"), default=0)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="parts",
        verbose_name=_("chỉ tiêu tổng"),
        help_text=_("Tổng các chỉ tiêu thành phần phải bằng chỉ tiêu tổng."),
    )
    rows = models.JSONField(_("danh mục dòng (chỉ tiêu dạng bảng)"), default=list, blank=True)
    source = models.CharField(
        _("nguồn số liệu"), max_length=16, choices=Source.choices, default=Source.MANUAL
    )
    source_code = models.CharField(
        _("mã nguồn tính toán"), max_length=128, blank=True, help_text="e.g. documents.incoming_count"
    )
    max_change_percent = models.PositiveIntegerField(
        _("mức thay đổi so với kỳ trước để cảnh báo (%)"),
        null=True,
        blank=True,
        help_text=_("Để trống: dùng mức mặc định của hệ thống."),
    )

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")
        ordering = ["regime", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "code"], name="reporting_indicator_code_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.code} — {self.name}"

    @property
    def is_numeric(self) -> bool:
        return self.kind in (self.Kind.INTEGER, self.Kind.DECIMAL, self.Kind.PERCENT, self.Kind.TABLE)

    def row_codes(self) -> list[str]:
        return [str(r.get("code")) for r in self.rows or [] if isinstance(r, dict)]


class Period(models.Model):
    """Kỳ báo cáo with its data cut-off window (thời gian chốt số liệu, Điều 12) and sending deadline."""

    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="periods")
    key = models.CharField(_("mã kỳ"), max_length=32, help_text="2026-11, 2026-Q4, 2026-H1, 2026-9M, 2026")
    label = models.CharField(_("tên kỳ"), max_length=100)
    start = models.DateField(_("chốt số liệu từ ngày"))
    end = models.DateField(_("ngày chốt số liệu"))
    deadline = models.DateField(_("hạn gửi báo cáo"))
    closed_at = models.DateTimeField(_("khóa số liệu lúc"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("kỳ báo cáo")
        verbose_name_plural = _("kỳ báo cáo")
        ordering = ["regime", "-end"]
        constraints = [
            models.UniqueConstraint(fields=["regime", "key"], name="reporting_period_key_unique"),
            models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="reporting_period_range"),
        ]

    def __str__(self) -> str:
        return f"{self.regime.code} {self.label}"

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ExpectedReport(models.Model):
    """One report an agency owes for one period of a regime (completeness is counted on these rows)."""

    class Status(models.TextChoices):
        MISSING = "missing", _("Chưa gửi")
        DRAFT = "draft", _("Đang soạn")
        SUBMITTED = "submitted", _("Đã gửi")
        ACCEPTED = "accepted", _("Đã tiếp nhận")
        RETURNED = "returned", _("Trả lại để sửa")

    regime = models.ForeignKey(Regime, on_delete=models.PROTECT, related_name="expected_reports")
    period = models.ForeignKey(Period, on_delete=models.PROTECT, related_name="expected_reports")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="expected_reports")
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.MISSING)
    current = models.ForeignKey(
        "Submission", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    first_submitted_at = models.DateTimeField(_("gửi lần đầu lúc"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("gửi lần cuối lúc"), null=True, blank=True)
    on_time = models.BooleanField(_("đúng hạn"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("tiếp nhận lúc"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("báo cáo phải nộp")
        verbose_name_plural = _("báo cáo phải nộp")
        ordering = ["period", "agency__path"]
        constraints = [
            models.UniqueConstraint(fields=["period", "agency"], name="reporting_expected_unique"),
        ]
        indexes = [models.Index(fields=["regime", "status"]), models.Index(fields=["agency", "status"])]

    def __str__(self) -> str:
        return f"{self.period} — {self.agency}"


class Submission(models.Model):
    """One version of an agency's report. Versions are never changed once sent: a report returned for
    correction is corrected in a new version (history kept)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("Bản nháp")
        SUBMITTED = "submitted", _("Đã gửi")
        ACCEPTED = "accepted", _("Đã tiếp nhận")
        RETURNED = "returned", _("Bị trả lại")

    expected = models.ForeignKey(ExpectedReport, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveIntegerField(_("phiên bản"))
    state = models.CharField(_("trạng thái"), max_length=16, choices=State.choices, default=State.DRAFT)
    values = models.JSONField(_("số liệu"), default=dict)
    warnings = models.JSONField(_("cảnh báo"), default=list, blank=True)
    note = models.TextField(_("ghi chú"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("gửi lúc"), null=True, blank=True)
    signature = models.TextField(_("chữ ký số (JWS tách rời)"), blank=True)
    signature_certificate = models.ForeignKey(
        "signing.Certificate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payload_sha256 = models.CharField(max_length=64, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(_("xử lý lúc"), null=True, blank=True)
    return_reason = models.TextField(_("lý do trả lại"), blank=True)

    class Meta:
        verbose_name = _("phiên bản báo cáo")
        verbose_name_plural = _("phiên bản báo cáo")
        ordering = ["expected", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["expected", "version"], name="reporting_submission_version_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.expected} v{self.version}"


class Value(models.Model):
    """One number or text of a submission: (indicator, category row). Written with the submission."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="value_rows")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+")
    row_code = models.CharField(max_length=64, blank=True, default="")
    number = models.DecimalField(max_digits=24, decimal_places=6, null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("số liệu")
        verbose_name_plural = _("số liệu")
        constraints = [
            models.UniqueConstraint(
                fields=["submission", "indicator", "row_code"], name="reporting_value_unique"
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.indicator.code}[{self.row_code}]={self.number if self.number is not None else self.text}"
        )


class Reminder(models.Model):
    """Nhắc báo cáo: one reminder of a late or missing report (idempotent per report, kind and day)."""

    class Kind(models.TextChoices):
        DUE_SOON = "due_soon", _("Sắp đến hạn")
        OVERDUE = "overdue", _("Quá hạn")

    expected = models.ForeignKey(ExpectedReport, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    on_date = models.DateField()
    recipients = models.JSONField(default=list, blank=True)
    messages_queued = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("nhắc báo cáo")
        verbose_name_plural = _("nhắc báo cáo")
        ordering = ["-on_date"]
        constraints = [
            models.UniqueConstraint(fields=["expected", "kind", "on_date"], name="reporting_reminder_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.expected} {self.kind} {self.on_date}"


def agency_label(agency: Agency) -> dict[str, Any]:
    return {
        "id": agency.pk,
        "name": agency.name,
        "code_qcvn102": agency.code_qcvn102 or "",
        "code_qd20": agency.code_qd20,
        "admin_unit_code": agency.admin_unit_code,
    }


class DailyFact(models.Model):
    """Số liệu tổng hợp sẵn: one platform metric of one agency on one day (local date), kept up to date by
    ``egov.reporting.facts`` on every relevant change and rebuilt by ``egov manage reporting_recompute``.

    A count is ``numerator`` (``denominator`` 0); a rate or an average is ``numerator / denominator``
    (e.g. dossiers finished on time / dossiers finished, sum of ratings / ratings)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    metric = models.CharField(max_length=48)
    numerator = models.BigIntegerField(default=0)
    denominator = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp theo ngày")
        verbose_name_plural = _("số liệu tổng hợp theo ngày")
        constraints = [
            models.UniqueConstraint(fields=["agency", "day", "metric"], name="reporting_dailyfact_key"),
        ]
        indexes = [models.Index(fields=["day", "metric"], name="reporting_dailyfact_day")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day} {self.metric} {self.numerator}/{self.denominator}"


class MonthlyFact(models.Model):
    """The same figures per calendar month (``month`` = its first day), maintained with the daily ones, so
    that a dashboard for a year reads twelve rows per agency and metric instead of 365."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    month = models.DateField()
    metric = models.CharField(max_length=48)
    numerator = models.BigIntegerField(default=0)
    denominator = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu tổng hợp theo tháng")
        verbose_name_plural = _("số liệu tổng hợp theo tháng")
        constraints = [
            models.UniqueConstraint(fields=["agency", "month", "metric"], name="reporting_monthlyfact_key"),
        ]
        indexes = [models.Index(fields=["month", "metric"], name="reporting_monthlyfact_month")]

    def __str__(self) -> str:
        return f"{self.agency_id} {self.month:%Y-%m} {self.metric} {self.numerator}/{self.denominator}"


class FactDelta(models.Model):
    """Số liệu chờ cộng dồn: one change to a platform fact, appended by the writer's transaction
    (``facts.apply``) and moved into ``DailyFact``/``MonthlyFact`` by the periodic compaction
    (``facts.compact``).

    Append-only and without a unique key, so concurrent writers never wait for each other here; the agency
    key has no database constraint, so the insert takes no lock on the agency row either. Readers add the
    deltas not yet compacted to the facts (``facts.live``)."""

    id = models.BigAutoField(primary_key=True)
    agency = models.ForeignKey(
        Agency, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", db_index=False
    )
    day = models.DateField()
    metric = models.CharField(max_length=48)
    numerator = models.BigIntegerField(default=0)
    denominator = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("số liệu chờ cộng dồn")
        verbose_name_plural = _("số liệu chờ cộng dồn")

    def __str__(self) -> str:
        return f"{self.agency_id} {self.day} {self.metric} {self.numerator:+}/{self.denominator:+}"
