"""Thủ tục hành chính: the catalogue of administrative procedures and their process templates.

The record shape follows the national public-service portal's catalogue (``../shared/data/procedures``):
a procedure has a national code (``1.001234``), a field (lĩnh vực), levels of government, executing and
receiving agencies, legal bases, required papers (thành phần hồ sơ), execution methods per reception channel
(cách thức thực hiện: processing time and fees) and an online level under Nghị định 42/2022 (toàn trình or
một phần). A process template (quy trình nội bộ) splits the legal time into ordered steps, each done by a role
in an agency; inter-linked procedures (liên thông, Nghị định 63/2024) are grouped in a
:class:`ProcedureGroup`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from egov.core.text import fold
from egov.directory.models import Role

validate_procedure_code = RegexValidator(
    r"^[0-9A-Za-z]{1,3}\.[0-9]{6}(\.[0-9A-Za-z.]+)?$",
    _("Mã thủ tục có dạng 1.001234 (mã của Cơ sở dữ liệu quốc gia về TTHC)."),
)


class Channel(models.IntegerChoices):
    """Kênh tiếp nhận (KENH_THUC_HIEN of the national portal)."""

    DIRECT = 1, _("Trực tiếp")
    ONLINE = 2, _("Trực tuyến")
    POSTAL = 3, _("Qua bưu chính công ích")


class Field(models.Model):
    """Lĩnh vực: the field a procedure belongs to (Hộ tịch, Cư trú, Xây dựng …)."""

    code = models.CharField(_("mã lĩnh vực"), max_length=32, unique=True)
    name = models.CharField(_("tên lĩnh vực"), max_length=255)
    search_key = models.CharField(max_length=600, editable=False, db_index=True)

    class Meta:
        verbose_name = _("lĩnh vực")
        verbose_name_plural = _("lĩnh vực")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = fold(f"{self.name} {self.code}")
        super().save(*args, **kwargs)


class Procedure(models.Model):
    """Thủ tục hành chính (TTHC)."""

    class Level(models.TextChoices):
        """Cấp thực hiện (after 1 July 2025 there is no district level)."""

        CENTRAL = "central", _("Cấp Bộ")
        PROVINCE = "province", _("Cấp tỉnh")
        COMMUNE = "commune", _("Cấp xã")
        OTHER = "other", _("Cơ quan khác")

    class Kind(models.TextChoices):
        STANDARD = "standard", _("TTHC tiêu chuẩn")
        SPECIAL = "special", _("TTHC đặc thù")
        INTERNAL = "internal", _("TTHC nội bộ")

    class OnlineLevel(models.TextChoices):
        """Mức độ dịch vụ công trực tuyến (Nghị định 42/2022)."""

        FULL = "full", _("Trực tuyến toàn trình")
        PARTIAL = "partial", _("Trực tuyến một phần")
        NONE = "none", _("Không trực tuyến")

    code = models.CharField(_("mã thủ tục"), max_length=32, unique=True, validators=[validate_procedure_code])
    external_id = models.CharField(
        max_length=64, null=True, blank=True, unique=True, help_text="Identifier in the national catalogue."
    )
    name = models.CharField(_("tên thủ tục"), max_length=1000)
    field = models.ForeignKey(
        Field, on_delete=models.PROTECT, related_name="procedures", verbose_name=_("lĩnh vực")
    )
    levels = models.JSONField(
        _("cấp thực hiện"), default=list, help_text=_("Danh sách cấp: central, province, commune, other.")
    )
    kind = models.CharField(_("loại thủ tục"), max_length=16, choices=Kind.choices, default=Kind.STANDARD)
    executing_agency_text = models.CharField(
        _("cơ quan thực hiện (theo CSDL quốc gia)"), max_length=1000, blank=True
    )
    legal_bases = models.JSONField(
        _("căn cứ pháp lý"),
        default=list,
        blank=True,
        help_text=_("Danh sách văn bản: số ký hiệu, trích yếu."),
    )
    online_level = models.CharField(
        _("mức độ trực tuyến"), max_length=16, choices=OnlineLevel.choices, default=OnlineLevel.PARTIAL
    )
    result_type = models.CharField(_("kết quả thực hiện"), max_length=1000, blank=True)
    requirements = models.TextField(_("yêu cầu, điều kiện"), blank=True)
    applicant_kinds = models.CharField(
        _("đối tượng thực hiện"), max_length=255, blank=True, help_text=_("Công dân Việt Nam, doanh nghiệp …")
    )
    is_active = models.BooleanField(_("đang áp dụng"), default=True)
    search_key = models.TextField(editable=False, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("thủ tục hành chính")
        verbose_name_plural = _("thủ tục hành chính")
        ordering = ["code"]
        indexes = [models.Index(fields=["is_active", "field"])]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = fold(f"{self.code} {self.name} {self.executing_agency_text}")
        super().save(*args, **kwargs)

    def method_for(self, channel: int) -> ExecutionMethod | None:
        """The execution method of ``channel``, or None when the procedure cannot be done that way."""
        return next((m for m in self.methods.all() if m.channel == channel), None)

    @property
    def is_fully_online(self) -> bool:
        return self.online_level == self.OnlineLevel.FULL


class ProcedureAgency(models.Model):
    """An agency of the province that receives or executes a procedure (several for inter-agency ones)."""

    class Part(models.TextChoices):
        RECEIVING = "receiving", _("Tiếp nhận hồ sơ")
        EXECUTING = "executing", _("Giải quyết")
        COORDINATING = "coordinating", _("Phối hợp")

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="agency_links")
    agency = models.ForeignKey("directory.Agency", on_delete=models.PROTECT, related_name="procedure_links")
    role = models.CharField(_("vai trò"), max_length=16, choices=Part.choices)

    class Meta:
        verbose_name = _("cơ quan thực hiện thủ tục")
        verbose_name_plural = _("cơ quan thực hiện thủ tục")
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "agency", "role"], name="procedure_agency_role_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} — {self.agency} ({self.get_role_display()})"


class ExecutionMethod(models.Model):
    """Cách thức thực hiện: processing time and fees for one reception channel."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="methods")
    channel = models.PositiveSmallIntegerField(_("kênh"), choices=Channel.choices)
    processing_days = models.DecimalField(
        _("thời hạn giải quyết (ngày làm việc)"),
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("0 = trả kết quả ngay trong ngày."),
    )
    time_note = models.CharField(_("ghi chú thời hạn"), max_length=1000, blank=True)
    fee_amount = models.PositiveBigIntegerField(_("phí, lệ phí (đồng)"), default=0)
    fee_note = models.CharField(_("mô tả phí, lệ phí"), max_length=1000, blank=True)

    class Meta:
        verbose_name = _("cách thức thực hiện")
        verbose_name_plural = _("cách thức thực hiện")
        ordering = ["procedure", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "channel"], name="procedure_channel_unique")
        ]

    def __str__(self) -> str:
        return f"{self.procedure.code} — {self.get_channel_display()}: {self.processing_days} ngày"


class RequiredPaper(models.Model):
    """Thành phần hồ sơ: a paper the applicant provides."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="papers")
    order = models.PositiveSmallIntegerField(_("thứ tự"), default=0)
    code = models.CharField(
        _("mã giấy tờ"),
        max_length=64,
        blank=True,
        help_text=_(
            "Loại giấy tờ dùng chung (ví dụ GIAY_KHAI_SINH) để dùng lại từ kho dữ liệu của công dân."
        ),
    )
    name = models.CharField(_("tên giấy tờ"), max_length=1000)
    originals = models.PositiveSmallIntegerField(_("số bản chính"), default=1)
    copies = models.PositiveSmallIntegerField(_("số bản sao"), default=0)
    is_required = models.BooleanField(_("bắt buộc"), default=True)
    case = models.CharField(_("trường hợp"), max_length=500, blank=True)
    form_name = models.CharField(_("tên mẫu đơn, tờ khai"), max_length=255, blank=True)
    form_file = models.FileField(
        _("mẫu đơn, tờ khai"), upload_to="procedures/forms/", blank=True, max_length=255
    )

    class Meta:
        verbose_name = _("thành phần hồ sơ")
        verbose_name_plural = _("thành phần hồ sơ")
        ordering = ["procedure", "order", "pk"]

    def __str__(self) -> str:
        return self.name


class ProcessStep(models.Model):
    """A step of the process template (quy trình nội bộ): who does what, with which share of the time."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(_("thứ tự"))
    name = models.CharField(_("tên bước"), max_length=255)
    role = models.CharField(_("vai trò thực hiện"), max_length=32, choices=Role.choices)
    agency = models.ForeignKey(
        "directory.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("cơ quan, đơn vị thực hiện"),
        help_text=_("Để trống: cơ quan tiếp nhận hồ sơ."),
    )
    days = models.DecimalField(
        _("thời gian (ngày làm việc)"),
        max_digits=5,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        verbose_name = _("bước xử lý")
        verbose_name_plural = _("quy trình xử lý")
        ordering = ["procedure", "order"]
        constraints = [
            models.UniqueConstraint(fields=["procedure", "order"], name="procedure_step_order_unique")
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class ProcedureGroup(models.Model):
    """Nhóm thủ tục liên thông (Nghị định 63/2024): one submission for several procedures and agencies."""

    code = models.CharField(_("mã nhóm"), max_length=32, unique=True)
    name = models.CharField(_("tên nhóm thủ tục liên thông"), max_length=500)
    legal_basis = models.CharField(_("căn cứ pháp lý"), max_length=500, blank=True)
    is_active = models.BooleanField(_("đang áp dụng"), default=True)

    class Meta:
        verbose_name = _("nhóm thủ tục liên thông")
        verbose_name_plural = _("nhóm thủ tục liên thông")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class ProcedureGroupItem(models.Model):
    group = models.ForeignKey(ProcedureGroup, on_delete=models.CASCADE, related_name="items")
    procedure = models.ForeignKey(Procedure, on_delete=models.PROTECT, related_name="group_items")
    order = models.PositiveSmallIntegerField(_("thứ tự"))

    class Meta:
        verbose_name = _("thủ tục trong nhóm")
        verbose_name_plural = _("thủ tục trong nhóm")
        ordering = ["group", "order"]
        constraints = [
            models.UniqueConstraint(fields=["group", "procedure"], name="procedure_group_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.group.code} {self.order}: {self.procedure.code}"
