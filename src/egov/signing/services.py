"""State changes of the signing app, and signing itself.

Each function checks permissions and input first (``PermissionDenied``, ``ValidationError``: nothing is
written), then changes the database in one transaction with one audit row per change. Audit rows never hold
key material: only subjects, serials, fingerprints and digests.

``actor=None`` means the system itself (demo data, tests, operator commands) and is always allowed.

Signing a PDF changes no table, but it is audited (``signing.pdf.sign``) with the digests of the file before
and after, so the trail shows who signed what with which certificate.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cryptography import x509
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from egov.audit.services import record, snapshot
from egov.directory.models import Agency, Position, User
from egov.directory.selectors import is_system_admin, unit_closure
from egov.signing import crypto, fonts, images, selectors
from egov.signing import pdf as _pdf
from egov.signing.models import Certificate
from egov.signing.pdf import MM, Appearance, SignatureCheck

logger = logging.getLogger(__name__)

BUILTIN_CA_NAME = "egov Demo Root CA"
BUILTIN_CA_ORGANIZATION = "egov — CHỈ DÙNG THỬ NGHIỆM (demo/test only)"

AUDIT_FIELDS = (
    "id",
    "kind",
    "owner_agency",
    "owner_user",
    "issuer",
    "subject",
    "issuer_name",
    "serial",
    "fingerprint_sha256",
    "not_before",
    "not_after",
    "status",
    "revoked_at",
    "revocation_reason",
    "imported",
)

__all__ = [
    "Appearance",
    "DocumentLayout",
    "SignatureCheck",
    "add_text_fields",
    "document_layout",
    "ensure_builtin_ca",
    "expire_certificates",
    "fill_text_fields",
    "import_pkcs12",
    "import_trusted_root",
    "issue_agency_certificate",
    "issue_personal_certificate",
    "reencrypt_private_keys",
    "revoke_certificate",
    "set_appearance_images",
    "sign_document_pdf",
    "sign_pdf",
    "stamp_attachment",
    "text_field_values",
    "verify_pdf",
]


def _audit_snapshot(cert: Certificate) -> dict[str, Any]:
    return snapshot(cert, AUDIT_FIELDS)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _when(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%d/%m/%Y %H:%M")


def _province_name(agency: Agency) -> str:
    """The province (tỉnh, thành phố) the agency belongs to, for the L= attribute: "Cần Thơ"."""
    for node in [agency, *reversed(list(agency.ancestors()))]:
        if node.kind == Agency.Kind.PROVINCE:
            name = node.name
            for prefix in ("Ủy ban nhân dân ", "Uỷ ban nhân dân ", "UBND "):
                if name.lower().startswith(prefix.lower()):
                    name = name[len(prefix) :]
            for prefix in ("tỉnh ", "thành phố ", "TP. ", "TP "):
                if name.lower().startswith(prefix.lower()):
                    name = name[len(prefix) :]
            return name.strip()
    return ""


def _parent_organisation(agency: Agency) -> Agency:
    """The organisation an agency belongs to, for the O= attribute of its certificate (itself at the top)."""
    parent = agency.parent
    return parent.organisation() if parent is not None else agency


def _save_new(cert: Certificate) -> Certificate:
    cert.full_clean(exclude=["private_key_pem", "signature_image", "seal_image"])
    try:
        with transaction.atomic():
            cert.save(force_insert=True)
    except IntegrityError as exc:
        raise ValidationError(_("Chứng thư số này đã có trong hệ thống.")) from exc
    return cert


def _row(
    cert: x509.Certificate,
    *,
    kind: str,
    key: crypto.PrivateKey | None,
    actor: Any,
    owner_agency: Agency | None = None,
    owner_user: User | None = None,
    issuer: Certificate | None = None,
    chain: Sequence[x509.Certificate] = (),
    imported: bool = False,
) -> Certificate:
    return Certificate(
        kind=kind,
        owner_agency=owner_agency,
        owner_user=owner_user,
        issuer=issuer,
        subject=cert.subject.rfc4514_string()[:1000],
        common_name=crypto.name_attribute(cert.subject, x509.NameOID.COMMON_NAME)[:255] or "?",
        organization=crypto.name_attribute(cert.subject, x509.NameOID.ORGANIZATION_NAME)[:255],
        locality=crypto.name_attribute(cert.subject, x509.NameOID.LOCALITY_NAME)[:255],
        issuer_name=cert.issuer.rfc4514_string()[:1000],
        serial=crypto.serial_hex(cert),
        fingerprint_sha256=crypto.fingerprint(cert),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        certificate_pem=crypto.to_pem(cert),
        chain_pem="".join(crypto.to_pem(c) for c in chain),
        private_key_pem=crypto.encrypt_private_key(key) if key is not None else "",
        imported=imported,
        created_by=actor if getattr(actor, "pk", None) else None,
    )


def _load_key(cert: Certificate) -> crypto.PrivateKey:
    try:
        return crypto.decrypt_private_key(cert.private_key_pem)
    except crypto.KeyDecryptionError as exc:
        raise ImproperlyConfigured(
            f"Certificate {cert.pk} ({cert.common_name}): {exc}. Set {crypto.PASSPHRASE_ENV} to the "
            "passphrase the keys were stored with, see docs/signing.md."
        ) from exc


# --- Built-in certificate authority ---------------------------------------------------------------------


def _builtin_ca(actor: Any) -> Certificate:
    existing = selectors.builtin_ca()
    if existing is not None and existing.not_after > timezone.now():
        return existing
    if existing is not None:  # expired: retire it, make a new one
        existing.status = Certificate.Status.EXPIRED
        existing.save(update_fields=["status", "updated_at"])
        record("signing.certificate.expire", actor=actor, target=existing, after=_audit_snapshot(existing))
    issued = crypto.create_root_ca(
        common_name=BUILTIN_CA_NAME,
        organization=BUILTIN_CA_ORGANIZATION,
        locality="",
    )
    try:
        ca = _save_new(_row(issued.certificate, kind=Certificate.Kind.ROOT_CA, key=issued.key, actor=actor))
    except ValidationError:  # another process created it meanwhile (one active built-in CA: constraint)
        concurrent = selectors.builtin_ca()
        if concurrent is None:
            raise
        return concurrent
    record("signing.certificate.create_ca", actor=actor, target=ca, after=_audit_snapshot(ca))
    return ca


@transaction.atomic
def ensure_builtin_ca(*, actor: Any = None) -> Certificate:
    """The built-in root CA "egov Demo Root CA", created on first use. For demonstrations and tests only:
    its certificates prove nothing outside this installation (see docs/signing.md)."""
    _require(actor is None or is_system_admin(actor), _("Chỉ quản trị hệ thống được tạo CA nội bộ."))
    return _builtin_ca(actor)


# --- Issuing --------------------------------------------------------------------------------------------


def _check_agency(agency: Agency) -> None:
    if not agency.is_current:
        raise ValidationError({"agency": _("Cơ quan này không còn hoạt động.")})


def _check_member(user: User, agency: Agency) -> None:
    if user.kind != User.Kind.STAFF or not user.is_active:
        raise ValidationError(
            {"user": _("Chỉ cấp chứng thư số cá nhân cho tài khoản cán bộ đang hoạt động.")}
        )
    if not Position.objects.active().filter(user=user, agency_id__in=unit_closure(agency)).exists():
        raise ValidationError(
            {"user": _("Người này không giữ chức vụ nào tại cơ quan %(agency)s.") % {"agency": agency.name}}
        )


def _issue(
    *, actor: Any, kind: str, agency: Agency, user: User | None, subject: x509.Name, email: str, years: int
) -> Certificate:
    if not 1 <= years <= 10:
        raise ValidationError({"years": _("Thời hạn chứng thư số từ 1 đến 10 năm.")})
    ca = _builtin_ca(actor)
    ca_cert = crypto.load_pem(ca.certificate_pem)
    issued = crypto.issue_signing_certificate(
        issuer_cert=ca_cert, issuer_key=_load_key(ca), subject=subject, email=email, years=years
    )
    cert = _row(
        issued.certificate,
        kind=kind,
        key=issued.key,
        actor=actor,
        owner_agency=agency,
        owner_user=user,
        issuer=ca,
        chain=[ca_cert],
    )
    # Demo appearance images, so that a document can be signed at once; replace them with real ones.
    try:
        if kind == Certificate.Kind.PERSONAL and user is not None:
            cert.signature_image = images.make_signature_png(user.get_full_name())
        else:
            cert.seal_image = images.make_seal_png(agency.name, agency.short_name)
    except fonts.FontMissing:
        logger.warning("no Vietnamese font: certificate issued without a demo appearance image")
    _save_new(cert)
    record(
        f"signing.certificate.issue_{kind}",
        actor=actor,
        agency=agency,
        target=cert,
        after=_audit_snapshot(cert),
    )
    return cert


@transaction.atomic
def issue_agency_certificate(*, actor: Any, agency: Agency, years: int = 3) -> Certificate:
    """A certificate for the agency's digital seal, issued by the built-in CA (demo/tests)."""
    _require(selectors.can_manage_certificates(actor, agency), _("Bạn không có quyền quản trị cơ quan này."))
    _check_agency(agency)
    parent = _parent_organisation(agency)
    subject = crypto.build_name(
        common_name=agency.name,
        organization=parent.name,
        locality=_province_name(agency),
    )
    return _issue(
        actor=actor,
        kind=Certificate.Kind.AGENCY,
        agency=agency,
        user=None,
        subject=subject,
        email="",
        years=years,
    )


@transaction.atomic
def issue_personal_certificate(*, actor: Any, user: User, agency: Agency, years: int = 3) -> Certificate:
    """A personal certificate for ``user``'s work in ``agency``, issued by the built-in CA (demo/tests)."""
    _require(selectors.can_manage_certificates(actor, agency), _("Bạn không có quyền quản trị cơ quan này."))
    _check_agency(agency)
    _check_member(user, agency)
    organisation = agency.organisation()
    subject = crypto.build_name(
        common_name=user.get_full_name(),
        organization=organisation.name,
        unit=agency.name if organisation.pk != agency.pk else "",
        locality=_province_name(agency),
    )
    return _issue(
        actor=actor,
        kind=Certificate.Kind.PERSONAL,
        agency=agency,
        user=user,
        subject=subject,
        email=user.email,
        years=years,
    )


# --- Importing ------------------------------------------------------------------------------------------

_PKCS12_MESSAGES = {
    "not_pkcs12": ("data", "Tệp không phải chứng thư số dạng PKCS#12 (.p12, .pfx)."),
    "wrong_password": ("password", "Sai mật khẩu của tệp chứng thư số (PKCS#12)."),
    "no_certificate": ("data", "Tệp PKCS#12 không chứa chứng thư số."),
    "no_key": ("data", "Tệp PKCS#12 không chứa khóa bí mật: không thể dùng để ký."),
    "key_mismatch": ("data", "Khóa bí mật trong tệp không khớp với chứng thư số."),
    "unsupported_key": ("data", "Loại khóa trong tệp chưa được hỗ trợ (chỉ RSA, ECDSA, Ed25519)."),
    "unsupported": ("data", "Không đọc được tệp PKCS#12 (thuật toán mã hóa không được hỗ trợ)."),
}


def _find_issuer(cert: x509.Certificate) -> Certificate | None:
    for candidate in Certificate.objects.filter(kind=Certificate.Kind.ROOT_CA).defer("private_key_pem"):
        ca = crypto.load_pem(candidate.certificate_pem)
        if ca.subject == cert.issuer:
            try:
                cert.verify_directly_issued_by(ca)
            except Exception:  # noqa: S112 - another CA with the same name
                continue
            return candidate
    return None


@transaction.atomic
def import_pkcs12(
    *,
    actor: Any,
    data: bytes,
    password: str,
    owner_agency: Agency,
    owner_user: User | None = None,
) -> Certificate:
    """Import a certificate and its private key from a PKCS#12 file (.p12/.pfx) issued by a real CA.

    A personal certificate when ``owner_user`` is given, else the agency's certificate. The chain in the
    file is kept and embedded in signatures; a root in the file is *not* trusted by this: trust roots are
    added by a system administrator (:func:`import_trusted_root`)."""
    _require(
        selectors.can_manage_certificates(actor, owner_agency), _("Bạn không có quyền quản trị cơ quan này.")
    )
    _check_agency(owner_agency)
    if owner_user is not None:
        _check_member(owner_user, owner_agency)
    try:
        content = crypto.load_pkcs12(data, password)
    except crypto.Pkcs12Error as exc:
        field, message = _PKCS12_MESSAGES.get(exc.code, ("data", str(exc)))
        raise ValidationError({field: ValidationError(_(message), code=exc.code)}) from exc
    cert = content.certificate
    now = timezone.now()
    if cert.not_valid_after_utc <= now:
        raise ValidationError(
            {
                "data": ValidationError(
                    _("Chứng thư số đã hết hạn từ %(date)s.") % {"date": _when(cert.not_valid_after_utc)},
                    code="expired",
                )
            }
        )
    if cert.not_valid_before_utc > now:
        raise ValidationError(
            {
                "data": ValidationError(
                    _("Chứng thư số chưa có hiệu lực (hiệu lực từ %(date)s).")
                    % {"date": _when(cert.not_valid_before_utc)},
                    code="not_yet_valid",
                )
            }
        )
    if crypto.is_ca(cert):
        raise ValidationError(
            {
                "data": ValidationError(
                    _("Đây là chứng thư của tổ chức chứng thực (CA), không dùng để ký văn bản."),
                    code="ca_certificate",
                )
            }
        )
    if not crypto.can_sign_documents(cert):
        raise ValidationError(
            {
                "data": ValidationError(
                    _("Chứng thư số không cho phép ký số (thiếu digitalSignature/nonRepudiation)."),
                    code="key_usage",
                )
            }
        )
    if Certificate.objects.filter(fingerprint_sha256=crypto.fingerprint(cert)).exists():
        raise ValidationError(
            {"data": ValidationError(_("Chứng thư số này đã có trong hệ thống."), code="duplicate")}
        )
    kind = Certificate.Kind.PERSONAL if owner_user is not None else Certificate.Kind.AGENCY
    row = _row(
        cert,
        kind=kind,
        key=content.key,
        actor=actor,
        owner_agency=owner_agency,
        owner_user=owner_user,
        issuer=_find_issuer(cert),
        chain=crypto.order_chain(cert, content.additional),
        imported=True,
    )
    _save_new(row)
    record(
        "signing.certificate.import", actor=actor, agency=owner_agency, target=row, after=_audit_snapshot(row)
    )
    return row


@transaction.atomic
def import_trusted_root(*, actor: Any, data: bytes) -> Certificate:
    """Trust a root CA certificate (PEM or DER), e.g. the root of Vietnam's national or government PKI.
    Signatures chaining to it then validate. System administrators only."""
    _require(actor is None or is_system_admin(actor), _("Chỉ quản trị hệ thống được thêm CA tin cậy."))
    try:
        certs = crypto.load_any(data)
    except ValueError as exc:
        raise ValidationError({"data": _("Tệp không phải chứng thư số X.509 (PEM hoặc DER).")}) from exc
    if len(certs) != 1:
        raise ValidationError({"data": _("Hãy nhập từng chứng thư CA gốc một.")})
    cert = certs[0]
    if not (crypto.is_ca(cert) and crypto.is_self_signed(cert)):
        raise ValidationError({"data": _("Đây không phải chứng thư CA gốc (tự ký, BasicConstraints CA).")})
    if cert.not_valid_after_utc <= timezone.now():
        raise ValidationError({"data": _("Chứng thư CA đã hết hạn.")})
    if Certificate.objects.filter(fingerprint_sha256=crypto.fingerprint(cert)).exists():
        raise ValidationError({"data": _("Chứng thư số này đã có trong hệ thống.")})
    row = _save_new(_row(cert, kind=Certificate.Kind.ROOT_CA, key=None, actor=actor, imported=True))
    record("signing.certificate.import_root", actor=actor, target=row, after=_audit_snapshot(row))
    return row


# --- Life cycle -----------------------------------------------------------------------------------------


@transaction.atomic
def revoke_certificate(*, actor: Any, certificate: Certificate, reason: str = "") -> Certificate:
    """Stop using a certificate (lost key, person left, agency renamed). Signatures made with it before
    the revocation stay valid; later ones are reported as made with a revoked certificate."""
    cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
    own = actor is not None and cert.kind == Certificate.Kind.PERSONAL and cert.owner_user_id == actor.pk
    _require(
        own or selectors.can_manage_certificate(actor, cert), _("Bạn không có quyền thu hồi chứng thư này.")
    )
    if cert.status == Certificate.Status.REVOKED:
        raise ValidationError(_("Chứng thư số đã bị thu hồi trước đó."))
    before = _audit_snapshot(cert)
    cert.status = Certificate.Status.REVOKED
    cert.revoked_at = timezone.now()
    cert.revocation_reason = reason[:500]
    cert.save(update_fields=["status", "revoked_at", "revocation_reason", "updated_at"])
    record(
        "signing.certificate.revoke",
        actor=actor,
        agency=cert.owner_agency,
        target=cert,
        before=before,
        after=_audit_snapshot(cert),
    )
    certificate.status, certificate.revoked_at = cert.status, cert.revoked_at
    certificate.revocation_reason = cert.revocation_reason
    return cert


_UNCHANGED: Any = object()


@transaction.atomic
def set_appearance_images(
    *, actor: Any, certificate: Certificate, signature_image: Any = _UNCHANGED, seal_image: Any = _UNCHANGED
) -> Certificate:
    """Replace the signature image (personal certificates) and/or the seal image (agency certificates):
    PNG with a transparent background (transparent margins are trimmed); ``None`` removes one."""
    cert = Certificate.objects.select_for_update().get(pk=certificate.pk)
    own = actor is not None and cert.kind == Certificate.Kind.PERSONAL and cert.owner_user_id == actor.pk
    _require(own or selectors.can_manage_certificate(actor, cert), _("Bạn không có quyền sửa chứng thư này."))
    changes: dict[str, str | None] = {}
    for field, value in (("signature_image", signature_image), ("seal_image", seal_image)):
        if value is _UNCHANGED:
            continue
        if value is not None:
            value = bytes(value)
            try:
                images.check_png(value)
                value = images.trim_transparent(value)
            except images.ImageError as exc:
                raise ValidationError(
                    {field: _("Hình ảnh phải là tệp PNG hợp lệ: %(e)s") % {"e": exc}}
                ) from exc
        setattr(cert, field, value)
        changes[field] = hashlib.sha256(value).hexdigest() if value is not None else None
    if not changes:
        return cert
    cert.save(update_fields=[*changes, "updated_at"])
    record(
        "signing.certificate.set_images", actor=actor, agency=cert.owner_agency, target=cert, after=changes
    )
    return cert


@transaction.atomic
def expire_certificates(*, actor: Any = None, now: dt.datetime | None = None) -> int:
    """Mark active certificates past their end of validity as expired (daily job). Returns how many."""
    _require(actor is None or is_system_admin(actor), _("Chỉ quản trị hệ thống."))
    now = now or timezone.now()
    count = 0
    for cert in Certificate.objects.select_for_update().filter(
        status=Certificate.Status.ACTIVE, not_after__lte=now
    ):
        cert.status = Certificate.Status.EXPIRED
        cert.save(update_fields=["status", "updated_at"])
        record(
            "signing.certificate.expire",
            actor=actor,
            agency=cert.owner_agency,
            target=cert,
            after=_audit_snapshot(cert),
        )
        count += 1
    return count


@transaction.atomic
def reencrypt_private_keys(
    *, actor: Any = None, old_passphrase: bytes, new_passphrase: bytes | None = None
) -> int:
    """Re-encrypt every stored private key from ``old_passphrase`` to the configured passphrase (after
    changing ``EGOV_SIGNING_KEY_PASSPHRASE`` or ``SECRET_KEY``). All or nothing. Returns how many."""
    _require(actor is None or is_system_admin(actor), _("Chỉ quản trị hệ thống."))
    new = new_passphrase or crypto.key_passphrase()
    rows = list(Certificate.objects.select_for_update().exclude(private_key_pem=""))
    for cert in rows:
        try:
            key = crypto.decrypt_private_key(cert.private_key_pem, old_passphrase)
        except crypto.KeyDecryptionError as exc:
            raise ValidationError(
                _("Mật khẩu cũ không mở được khóa của chứng thư %(id)s (%(cn)s).")
                % {"id": cert.pk, "cn": cert.common_name}
            ) from exc
        cert.private_key_pem = crypto.encrypt_private_key(key, new)
        cert.save(update_fields=["private_key_pem", "updated_at"])
    record(
        "signing.keys.reencrypt", actor=actor, object_type="signing.certificate", after={"count": len(rows)}
    )
    return len(rows)


# --- Signing PDF documents ------------------------------------------------------------------------------


def _vietnam_time(moment: dt.datetime | None) -> dt.datetime:
    moment = moment or timezone.now()
    return moment.astimezone(zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")).replace(microsecond=0)


def _default_field_name(data: bytes, kind: str) -> str:
    try:
        existing = set(_pdf.signature_field_names(data))
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc
    n = 1
    while f"egov-{kind}-{n}" in existing:
        n += 1
    return f"egov-{kind}-{n}"


def sign_pdf(
    *,
    actor: Any,
    pdf: bytes,
    certificate: Certificate,
    reason: str = "",
    location: str = "",
    field_name: str = "",
    box: tuple[float, float, float, float] | None = None,
    page: int = 0,
    appearance: Appearance | None = None,
    signing_time: dt.datetime | None = None,
    open_fields: Sequence[str] | None = None,
) -> bytes:
    """Sign ``pdf`` with ``certificate`` as PAdES B-B, in an incremental update (earlier signatures
    stay valid). ``box`` = (x1, y1, x2, y2) in points on ``page`` (negative counts from the end) makes the
    signature visible with ``appearance``; without ``box`` it is invisible. ``open_fields`` locks every
    form field of the document except those named (FieldMDP): filling or signing them later keeps this
    signature valid, any other change to a field breaks it. Returns the signed file."""
    cert = Certificate.objects.select_related("owner_agency", "owner_user").get(pk=certificate.pk)
    if cert.kind == Certificate.Kind.ROOT_CA:
        raise ValidationError({"certificate": _("Chứng thư CA không dùng để ký văn bản.")})
    _require(selectors.can_sign_with(actor, cert), _("Bạn không được ký bằng chứng thư số này."))
    moment = _vietnam_time(signing_time)
    if not cert.has_private_key:
        raise ValidationError({"certificate": _("Hệ thống không giữ khóa bí mật của chứng thư này.")})
    if cert.status != Certificate.Status.ACTIVE:
        raise ValidationError(
            {"certificate": _("Chứng thư số không còn hiệu lực (%(s)s).") % {"s": cert.get_status_display()}}
        )
    if not cert.not_before <= moment < cert.not_after:
        raise ValidationError({"certificate": _("Chứng thư số không có hiệu lực vào thời điểm ký.")})
    try:
        request = _pdf.SignRequest(
            key=_load_key(cert),
            certificate=crypto.load_pem(cert.certificate_pem),
            chain=crypto.load_pem_chain(cert.chain_pem),
            field_name=field_name or _default_field_name(pdf, cert.kind),
            reason=reason,
            location=location,
            page=page,
            box=box,
            appearance=appearance,
            signing_time=moment,
            open_fields=tuple(open_fields) if open_fields is not None else None,
        )
        signed = _pdf.sign(pdf, request)
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc
    with transaction.atomic():
        record(
            "signing.pdf.sign",
            actor=actor,
            agency=cert.owner_agency,
            target=cert,
            after={
                "field": request.field_name,
                "reason": reason,
                "location": location,
                "signing_time": moment,
                "page": page,
                "box": list(box) if box else None,
                "open_fields": list(open_fields) if open_fields is not None else None,
                "sha256_before": hashlib.sha256(pdf).hexdigest(),
                "sha256_after": hashlib.sha256(signed).hexdigest(),
            },
        )
    return signed


@dataclass(frozen=True)
class DocumentLayout:
    """Where the two signatures of a document go (Nghị định 30/2020, Phụ lục I, boxes 7c and 8)."""

    page: int
    signer_box: tuple[float, float, float, float]
    signer_appearance: Appearance
    seal_box: tuple[float, float, float, float]
    signature_image_rect: tuple[float, float, float, float]  # (x, y, w, h) on the page


def document_layout(
    pdf: bytes,
    *,
    title_lines: Sequence[str],
    signer_name: str,
    signature_image: bytes,
    page: int = -1,
    box: tuple[float, float, float, float] | None = None,
    seal_diameter_mm: float = 36.0,
    font_size: float = 13.0,
) -> DocumentLayout:
    """Place the signer's box (title line, signature image, full name) and the seal box, whose disc covers
    the left third of the signature image. ``box`` defaults to the lower right of the page, inside the
    margins; the documents app passes the box its template leaves for the signature block."""
    try:
        width, height = _pdf.page_size(pdf, page)
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc
    if box is None:
        box = (width - 20 * MM - 85 * MM, 30 * MM, width - 20 * MM, 30 * MM + 52 * MM)
    x1, y1, x2, y2 = box
    appearance = Appearance(
        top_lines=tuple(title_lines), image=signature_image, bottom_lines=(signer_name,), font_size=font_size
    )
    rect = _pdf.image_rect(appearance, x2 - x1, y2 - y1)
    if rect is None:  # pragma: no cover - an image is always given
        raise ValidationError({"signature_image": _("Thiếu hình ảnh chữ ký.")})
    ix, iy, iw, ih = x1 + rect[0], y1 + rect[1], rect[2], rect[3]
    diameter = seal_diameter_mm * MM
    sx2 = ix + iw / 3
    sx1 = sx2 - diameter
    sy1 = iy + ih / 2 - diameter / 2
    if sx1 < 0:
        sx1, sx2 = 0.0, diameter
    sy1 = min(max(sy1, 0.0), height - diameter)
    return DocumentLayout(
        page=page,
        signer_box=box,
        signer_appearance=appearance,
        seal_box=(sx1, sy1, sx1 + diameter, sy1 + diameter),
        signature_image_rect=(ix, iy, iw, ih),
    )


def sign_document_pdf(
    *,
    actor: Any,
    pdf: bytes,
    personal_certificate: Certificate,
    agency_certificate: Certificate,
    title_lines: Sequence[str],
    signer_name: str = "",
    agency_actor: Any = _UNCHANGED,
    page: int = -1,
    box: tuple[float, float, float, float] | None = None,
    reason: str = "Ký ban hành văn bản",
    agency_reason: str = "Cơ quan ban hành ký số (đóng dấu)",
    location: str = "",
    signing_time: dt.datetime | None = None,
) -> bytes:
    """Sign an approved document as Nghị định 30/2020 prescribes: first the competent person (personal
    certificate; visible: title line, blue signature image, full name), then the agency (agency
    certificate; visible: the red seal over the left third of the signature image). ``agency_actor`` (the
    clerk who applies the seal) defaults to ``actor``."""
    signer_name = signer_name or (
        personal_certificate.owner_user.get_full_name() if personal_certificate.owner_user else ""
    )
    if not personal_certificate.signature_image:
        raise ValidationError({"personal_certificate": _("Chứng thư số cá nhân chưa có hình ảnh chữ ký.")})
    if not agency_certificate.seal_image:
        raise ValidationError({"agency_certificate": _("Chứng thư số của cơ quan chưa có hình ảnh con dấu.")})
    if agency_certificate.kind != Certificate.Kind.AGENCY:
        raise ValidationError({"agency_certificate": _("Cần chứng thư số của cơ quan, tổ chức.")})
    if personal_certificate.kind != Certificate.Kind.PERSONAL:
        raise ValidationError({"personal_certificate": _("Cần chứng thư số cá nhân của người ký.")})
    seal_by = actor if agency_actor is _UNCHANGED else agency_actor
    _require(
        selectors.can_sign_with(seal_by, agency_certificate), _("Bạn không được ký bằng chứng thư số này.")
    )
    layout = document_layout(
        pdf,
        title_lines=title_lines,
        signer_name=signer_name,
        signature_image=bytes(personal_certificate.signature_image),
        page=page,
        box=box,
    )
    moment = _vietnam_time(signing_time)
    signed = sign_pdf(
        actor=actor,
        pdf=pdf,
        certificate=personal_certificate,
        reason=reason,
        location=location,
        field_name=_default_field_name(pdf, "signer"),
        box=layout.signer_box,
        page=page,
        appearance=layout.signer_appearance,
        signing_time=moment,
    )
    return sign_pdf(
        actor=seal_by,
        pdf=signed,
        certificate=agency_certificate,
        reason=agency_reason,
        location=location,
        field_name=_default_field_name(signed, "agency"),
        box=layout.seal_box,
        page=page,
        appearance=Appearance(image=bytes(agency_certificate.seal_image)),
        signing_time=moment + dt.timedelta(seconds=1) if signing_time else None,
    )


def attachment_stamp_lines(number_notation: str, moment: dt.datetime) -> tuple[str, str]:
    """The two lines of the attachment stamp: number and notation; signing time (ISO 8601, Vietnam)."""
    return (f"Số: {number_notation}", f"Thời gian ký: {_vietnam_time(moment).isoformat()}")


def stamp_attachment(
    *,
    actor: Any,
    pdf: bytes,
    agency_certificate: Certificate,
    number_notation: str,
    signing_time: dt.datetime | None = None,
    page: int = 0,
    reason: str = "Ký số tệp đính kèm văn bản",
    location: str = "",
    field_name: str = "",
) -> bytes:
    """Sign an attachment (phụ lục, tệp đính kèm) with the agency certificate. Visible at the top right of
    the first page, no image: the number and notation of the document and the signing time (ISO 8601,
    Vietnam time), 10 pt black (Nghị định 30/2020, Phụ lục I, box 14)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if agency_certificate.kind != Certificate.Kind.AGENCY:
        raise ValidationError({"agency_certificate": _("Cần chứng thư số của cơ quan, tổ chức.")})
    if not number_notation.strip():
        raise ValidationError({"number_notation": _("Thiếu số và ký hiệu văn bản.")})
    moment = _vietnam_time(signing_time)
    lines = attachment_stamp_lines(number_notation.strip(), moment)
    appearance = Appearance(top_lines=lines, font_size=10, bold=False, align="left")
    regular = fonts.reportlab_fonts()[0]
    try:
        width, height = _pdf.page_size(pdf, page)
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc
    text_w = max(stringWidth(line, regular, 10) for line in lines) + 2
    x2 = width - 15 * MM
    y2 = height - 7 * MM
    box = (max(x2 - text_w, 0.0), y2 - len(lines) * appearance.line_height() - 1, x2, y2)
    return sign_pdf(
        actor=actor,
        pdf=pdf,
        certificate=agency_certificate,
        reason=reason,
        location=location,
        field_name=field_name or _default_field_name(pdf, "attachment"),
        box=box,
        page=page,
        appearance=appearance,
        signing_time=moment,
    )


# --- Form fields filled after a signature ----------------------------------------------------------------


def add_text_fields(pdf: bytes, fields: Sequence[_pdf.TextField]) -> bytes:
    """Add empty text fields (number, date…) to an unsigned PDF; see
    :func:`egov.signing.pdf.add_text_fields`."""
    try:
        return _pdf.add_text_fields(pdf, fields)
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc


def fill_text_fields(pdf: bytes, values: dict[str, str]) -> bytes:
    """Fill text fields of a (signed) PDF in an incremental update; see
    :func:`egov.signing.pdf.fill_text_fields`."""
    try:
        return _pdf.fill_text_fields(pdf, values)
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc


def text_field_values(pdf: bytes) -> dict[str, str]:
    try:
        return _pdf.text_field_values(pdf)
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc


# --- Verification ---------------------------------------------------------------------------------------


def verify_pdf(pdf: bytes) -> list[SignatureCheck]:
    """Check every signature of a PDF with pyHanko against the active root CAs of this installation (the
    built-in CA and imported roots). A signature made with a certificate revoked in this installation
    before the (claimed) signing time is reported as not ok. Raises ``ValidationError`` for a file that
    is not a PDF."""
    try:
        checks = _pdf.verify(pdf, selectors.trust_root_certificates())
    except _pdf.PdfSigningError as exc:
        raise ValidationError({"pdf": str(exc)}) from exc
    known = selectors.certificates_by_fingerprint([c.signer_fingerprint for c in checks])
    results = []
    for check in checks:
        cert = known.get(check.signer_fingerprint)
        if cert is None:
            results.append(check)
            continue
        revoked = cert.status == Certificate.Status.REVOKED and (
            check.signing_time is None or cert.revoked_at is None or cert.revoked_at <= check.signing_time
        )
        if revoked:
            check = replace(
                check,
                ok=False,
                problems=(
                    *check.problems,
                    f"certificate revoked on {_when(cert.revoked_at or timezone.now())}",
                ),
            )
        results.append(replace(check, certificate_id=cert.pk, revoked=revoked))
    return results


def xml_packet_signer(*, actor: Any, certificate: Certificate) -> Any:
    """An ``edxml.PacketSigner`` (XML-DSig) holding the key and chain of an agency certificate, for the
    exchange app to sign outgoing edXML packets. Same permission rule as signing a PDF."""
    from egov.exchange.edxml import PacketSigner

    cert = Certificate.objects.select_related("owner_agency", "owner_user").get(pk=certificate.pk)
    _require(selectors.can_sign_with(actor, cert), _("Bạn không được ký bằng chứng thư số này."))
    if cert.status != Certificate.Status.ACTIVE or not cert.has_private_key:
        raise ValidationError({"certificate": _("Chứng thư số không dùng được để ký.")})
    chain = [crypto.load_pem(cert.certificate_pem), *crypto.load_pem_chain(cert.chain_pem)]
    return PacketSigner(key=_load_key(cert), certificates=chain)
