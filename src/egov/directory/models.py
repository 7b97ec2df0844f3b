"""The directory: agencies (cơ quan, đơn vị), people, positions (chức vụ), roles and delegation (ủy quyền).

Agencies form a tree of any depth and are never deleted: a merged or renamed unit gets ``valid_to`` and
links to its successors through ``predecessors``. Subtree queries use the materialised ``path``
(``/1/42/317/``), kept by ``directory.services``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egov.core.text import fold
from egov.directory.validators import (
    validate_cccd,
    validate_phone,
    validate_qcvn102_code,
    validate_qd20_code,
)


class User(AbstractUser):
    """A login. Government staff and citizens are separate kinds of account and never mix."""

    class Kind(models.TextChoices):
        STAFF = "staff", _("Cán bộ, công chức")
        CITIZEN = "citizen", _("Công dân, tổ chức")

    kind = models.CharField(_("loại tài khoản"), max_length=16, choices=Kind.choices, default=Kind.STAFF)
    full_name = models.CharField(_("họ và tên"), max_length=255, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=20, blank=True, validators=[validate_phone])

    class Meta:
        verbose_name = _("tài khoản")
        verbose_name_plural = _("tài khoản")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def is_government_staff(self) -> bool:
        return self.is_active and self.kind == self.Kind.STAFF

    @property
    def is_citizen(self) -> bool:
        return self.is_active and self.kind == self.Kind.CITIZEN

    def get_full_name(self) -> str:
        return self.full_name or super().get_full_name() or self.username


class CitizenProfile(models.Model):
    """Công dân: the identity of a citizen account (CCCD, 12 digits) and contact preferences."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="citizen_profile")
    identity_number = models.CharField(
        _("số CCCD/định danh cá nhân"), max_length=12, unique=True, validators=[validate_cccd]
    )
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hồ sơ công dân")
        verbose_name_plural = _("hồ sơ công dân")

    def __str__(self) -> str:
        return f"{self.user} ({self.identity_number})"


class AgencyQuerySet(models.QuerySet["Agency"]):
    def valid_on(self, day: dt.date | None = None) -> AgencyQuerySet:
        day = day or timezone.localdate()
        return self.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day)
        )

    def current(self) -> AgencyQuerySet:
        return self.valid_on()

    def search(self, text: str) -> AgencyQuerySet:
        """Accent- and case-insensitive: ``ha noi``, ``Hà Nội`` and ``HA NOI`` find Hà Nội."""
        key = fold(text)
        if not key:
            return self
        return self.filter(search_key__contains=key)

    def subtree(self, agency: Agency, include_self: bool = True) -> AgencyQuerySet:
        qs = self.filter(path__startswith=agency.path)
        return qs if include_self else qs.exclude(pk=agency.pk)


class Agency(models.Model):
    """Cơ quan, tổ chức, đơn vị: any node of the administrative tree, including internal departments."""

    class Kind(models.TextChoices):
        CENTRAL = "central", _("Cơ quan trung ương")
        MINISTRY = "ministry", _("Bộ, cơ quan ngang bộ")
        PROVINCE = "province", _("UBND tỉnh, thành phố")
        DEPARTMENT = "department", _("Sở, ban, ngành")
        DISTRICT = "district", _("UBND cấp huyện (trước 01/7/2025)")
        COMMUNE = "commune", _("UBND cấp xã")
        UNIT = "unit", _("Phòng, ban, đơn vị nội bộ")
        OTHER = "other", _("Khác")

    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name=_("cấp trên"),
    )
    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("tên đầy đủ"), max_length=255)
    short_name = models.CharField(
        _("tên viết tắt"),
        max_length=32,
        blank=True,
        help_text=_("Dùng trong ký hiệu văn bản, ví dụ UBND, STTTT."),
    )
    search_key = models.CharField(max_length=600, editable=False, db_index=True)
    address = models.CharField(_("địa chỉ"), max_length=500, blank=True)
    phone = models.CharField(_("điện thoại"), max_length=50, blank=True)
    email = models.EmailField(_("thư điện tử"), blank=True)
    website = models.URLField(_("trang thông tin"), blank=True)
    code_qcvn102 = models.CharField(
        _("mã định danh QCVN 102:2016"),
        max_length=13,
        null=True,
        blank=True,
        unique=True,
        validators=[validate_qcvn102_code],
        help_text=_("Dạng NNN.NN.NN.XNN, ví dụ 000.00.00.H41."),
    )
    code_qd20 = models.CharField(
        _("mã định danh QĐ 20/2020"), max_length=64, blank=True, validators=[validate_qd20_code]
    )
    admin_unit_code = models.CharField(
        _("mã đơn vị hành chính (GSO)"), max_length=8, blank=True, db_index=True
    )
    external_key = models.CharField(
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text="Stable key of an imported unit, e.g. gso2025:commune:31117 (makes imports idempotent).",
    )
    valid_from = models.DateField(_("hiệu lực từ"), null=True, blank=True)
    valid_to = models.DateField(_("hiệu lực đến"), null=True, blank=True)
    predecessors = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="successors", verbose_name=_("đơn vị tiền thân")
    )
    path = models.CharField(max_length=255, editable=False, db_index=True)
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name = _("cơ quan, đơn vị")
        verbose_name_plural = _("cơ quan, đơn vị")
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="agency_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = fold(" ".join(filter(None, [self.name, self.short_name, self.code_qcvn102 or ""])))
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("Một cơ quan không thể là cấp trên của chính nó.")})

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return (self.valid_from is None or self.valid_from <= today) and (
            self.valid_to is None or self.valid_to >= today
        )

    def ancestor_ids(self) -> list[int]:
        return [int(p) for p in self.path.strip("/").split("/") if p]

    def ancestors(self) -> AgencyQuerySet:
        """From the root down to the parent."""
        ids = self.ancestor_ids()[:-1]
        return Agency.objects.filter(pk__in=ids).order_by("depth")

    def organisation(self) -> Agency:
        """The agency an internal unit belongs to (nearest ancestor-or-self that is not an internal unit)."""
        if self.kind != self.Kind.UNIT:
            return self
        for ancestor in reversed(list(self.ancestors())):
            if ancestor.kind != self.Kind.UNIT:
                return ancestor
        return self


class Role(models.TextChoices):
    """Vai trò: what a position allows its holder to do in its agency."""

    CLERK = "clerk", _("Văn thư")
    LEADER = "leader", _("Lãnh đạo")
    DEPUTY_LEADER = "deputy_leader", _("Cấp phó")
    SPECIALIST = "specialist", _("Chuyên viên")
    ONE_STOP_OFFICER = "one_stop_officer", _("Cán bộ một cửa")
    AGENCY_ADMIN = "agency_admin", _("Quản trị cơ quan")
    SYSTEM_ADMIN = "system_admin", _("Quản trị hệ thống")


class PositionQuerySet(models.QuerySet["Position"]):
    def active(self, at: dt.date | None = None) -> PositionQuerySet:
        day = at or timezone.localdate()
        return self.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))


class Position(models.Model):
    """Chức vụ: a person's post in an agency or internal unit, with the role it carries."""

    user = models.ForeignKey(User, on_delete=models.PROTECT, related_name="positions")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="positions")
    role = models.CharField(_("vai trò"), max_length=32, choices=Role.choices)
    title = models.CharField(
        _("chức vụ"), max_length=255, blank=True, help_text=_("Ví dụ: Giám đốc, Chuyên viên")
    )
    valid_from = models.DateField(_("từ ngày"), default=timezone.localdate)
    valid_to = models.DateField(_("đến ngày"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PositionQuerySet.as_manager()

    class Meta:
        verbose_name = _("chức vụ")
        verbose_name_plural = _("chức vụ")
        ordering = ["agency__path", "role", "user__full_name"]
        indexes = [models.Index(fields=["user", "valid_to"]), models.Index(fields=["agency", "role"])]

    def __str__(self) -> str:
        return f"{self.user} — {self.get_role_display()} — {self.agency}"


class DelegationQuerySet(models.QuerySet["Delegation"]):
    def active(self, at: dt.datetime | None = None) -> DelegationQuerySet:
        moment = at or timezone.now()
        return self.filter(starts_at__lte=moment, ends_at__gt=moment, revoked_at__isnull=True)


class Delegation(models.Model):
    """Ủy quyền: the delegator's role in an agency is exercised by the delegate for a time window."""

    delegator = models.ForeignKey(User, on_delete=models.PROTECT, related_name="delegations_given")
    delegate = models.ForeignKey(User, on_delete=models.PROTECT, related_name="delegations_received")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="delegations")
    role = models.CharField(_("vai trò được ủy quyền"), max_length=32, choices=Role.choices)
    starts_at = models.DateTimeField(_("từ"))
    ends_at = models.DateTimeField(_("đến"))
    reason = models.CharField(_("lý do"), max_length=500)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = DelegationQuerySet.as_manager()

    class Meta:
        verbose_name = _("ủy quyền")
        verbose_name_plural = _("ủy quyền")
        ordering = ["-starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="delegation_window"),
            models.CheckConstraint(condition=~Q(delegator=models.F("delegate")), name="delegation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.delegator} → {self.delegate} ({self.get_role_display()}, {self.agency})"
