"""Certificates (chứng thư số) held by the platform: the built-in demo CA, the agency and personal
certificates it issues, and real certificates imported from PKCS#12 files.

Private keys are stored only encrypted (PKCS#8, passphrase from ``EGOV_SIGNING_KEY_PASSPHRASE``, see
``egov.signing.crypto``) and never leave ``egov.signing.services``. Rows are changed only by the services.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from egov.directory.models import Agency


class CertificateQuerySet(models.QuerySet["Certificate"]):
    def usable(self, at: dt.datetime | None = None) -> CertificateQuerySet:
        """Active, inside their validity window, with a private key: can sign now."""
        moment = at or timezone.now()
        return self.filter(
            status=Certificate.Status.ACTIVE, not_before__lte=moment, not_after__gt=moment
        ).exclude(private_key_pem="")

    def trust_roots(self) -> CertificateQuerySet:
        """Active root CA certificates: the trust anchors of signature validation."""
        return self.filter(kind=Certificate.Kind.ROOT_CA, status=Certificate.Status.ACTIVE)


class Certificate(models.Model):
    """One X.509 certificate, with its encrypted private key when the platform signs with it."""

    class Kind(models.TextChoices):
        ROOT_CA = "root_ca", _("Tổ chức chứng thực gốc (CA)")
        AGENCY = "agency", _("Chứng thư số của cơ quan, tổ chức")
        PERSONAL = "personal", _("Chứng thư số cá nhân")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Đang hoạt động")
        REVOKED = "revoked", _("Đã thu hồi")
        EXPIRED = "expired", _("Hết hạn")

    kind = models.CharField(_("loại"), max_length=16, choices=Kind.choices)
    owner_agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("cơ quan sở hữu"),
    )
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="certificates",
        verbose_name=_("người sở hữu"),
    )
    issuer = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued",
        verbose_name=_("tổ chức cấp (trong hệ thống)"),
    )
    subject = models.CharField(_("chủ thể (subject)"), max_length=1000)
    common_name = models.CharField(_("tên (CN)"), max_length=255)
    organization = models.CharField(_("tổ chức (O)"), max_length=255, blank=True)
    locality = models.CharField(_("tỉnh, thành phố (L)"), max_length=255, blank=True)
    issuer_name = models.CharField(_("tổ chức cấp (issuer)"), max_length=1000)
    serial = models.CharField(_("số hiệu (serial, hex)"), max_length=64)
    fingerprint_sha256 = models.CharField(_("dấu vân tay SHA-256"), max_length=64, unique=True)
    not_before = models.DateTimeField(_("hiệu lực từ"))
    not_after = models.DateTimeField(_("hiệu lực đến"))
    certificate_pem = models.TextField(_("chứng thư (PEM)"))
    chain_pem = models.TextField(
        _("chuỗi chứng thư trung gian (PEM)"),
        blank=True,
        help_text=_("Chứng thư của các CA trung gian, nhúng vào chữ ký."),
    )
    private_key_pem = models.TextField(
        _("khóa bí mật (PKCS#8, mã hóa)"), blank=True, editable=False, help_text="Encrypted PKCS#8 PEM."
    )
    status = models.CharField(_("trạng thái"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    revoked_at = models.DateTimeField(_("thu hồi lúc"), null=True, blank=True)
    revocation_reason = models.CharField(_("lý do thu hồi"), max_length=500, blank=True)
    imported = models.BooleanField(_("nhập từ bên ngoài"), default=False)
    signature_image = models.BinaryField(_("hình ảnh chữ ký (PNG)"), null=True, blank=True, editable=False)
    seal_image = models.BinaryField(_("hình ảnh con dấu (PNG)"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("chứng thư số")
        verbose_name_plural = _("chứng thư số")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["owner_agency", "kind", "status"]),
            models.Index(fields=["owner_user", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="root_ca", owner_user__isnull=True)
                | Q(kind="agency", owner_agency__isnull=False, owner_user__isnull=True)
                | Q(kind="personal", owner_agency__isnull=False, owner_user__isnull=False),
                name="signing_certificate_owner_by_kind",
            ),
            models.CheckConstraint(
                condition=Q(not_after__gt=models.F("not_before")), name="signing_certificate_validity"
            ),
            # At most one active built-in CA: ensure_builtin_ca() stays idempotent under concurrency.
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(kind="root_ca", imported=False, status="active"),
                name="signing_one_active_builtin_ca",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.common_name} ({self.Kind(self.kind).label}, {self.serial[:8]})"

    @property
    def has_private_key(self) -> bool:
        return bool(self.private_key_pem)

    def is_valid_at(self, moment: dt.datetime | None = None) -> bool:
        moment = moment or timezone.now()
        return self.status == self.Status.ACTIVE and self.not_before <= moment < self.not_after
