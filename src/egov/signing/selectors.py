"""Reads of certificates, with the permission rules of the signing app.

* Root CA certificates (trust anchors) are public to every staff account: anyone may check a signature.
* An agency's certificates, and the personal certificates issued for work in it, are visible to staff of
  that agency's organisation and to its administrators; a person always sees their own certificates;
  system administrators see everything. Private keys are never returned by a selector.
* Managing certificates (issue, import, revoke, images) needs an agency-administrator role on the owner
  agency or an ancestor, or a system administrator; trust roots are managed by system administrators.
* Signing with a personal certificate is reserved to its owner; signing with an agency certificate (the
  agency's digital seal) to the agency's clerks (văn thư), by position or delegation.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from cryptography import x509
from django.db.models import Q
from django.utils import timezone

from egov.directory.models import Agency, Role
from egov.directory.selectors import (
    acting_roles,
    admin_agency_ids,
    can_manage_agency,
    is_system_admin,
    member_agency_ids,
    unit_closure,
)
from egov.signing import crypto
from egov.signing.models import Certificate, CertificateQuerySet

# Nghị định 30/2020, Điều 32: the head of the agency entrusts the seal and the device holding the agency's
# private key to the clerk (Văn thư cơ quan).
AGENCY_SIGNING_ROLES = (Role.CLERK,)


def _is_staff(user: Any) -> bool:
    return bool(user and user.is_authenticated and getattr(user, "is_government_staff", False))


def certificates_visible_to(viewer: Any) -> CertificateQuerySet:
    qs = Certificate.objects.select_related("owner_agency", "owner_user", "issuer").defer("private_key_pem")
    if not _is_staff(viewer):
        return qs.none()
    if is_system_admin(viewer):
        return qs
    agency_ids = member_agency_ids(viewer) | (admin_agency_ids(viewer) or set())
    return qs.filter(
        Q(kind=Certificate.Kind.ROOT_CA) | Q(owner_agency_id__in=agency_ids) | Q(owner_user=viewer)
    )


def certificate_get(viewer: Any, pk: int) -> Certificate:
    """One certificate the viewer may see; raises ``Certificate.DoesNotExist`` otherwise."""
    return certificates_visible_to(viewer).get(pk=pk)


def can_manage_certificates(user: Any, agency: Agency | None) -> bool:
    """Issue, import, revoke and change the images of certificates owned by ``agency``."""
    if user is None:
        return True  # system actions (demo, tests, commands)
    if agency is None:
        return is_system_admin(user)
    return can_manage_agency(user, agency)


def can_manage_certificate(user: Any, certificate: Certificate) -> bool:
    if certificate.kind == Certificate.Kind.ROOT_CA:
        return user is None or is_system_admin(user)
    return can_manage_certificates(user, certificate.owner_agency)


def can_sign_with(user: Any, certificate: Certificate) -> bool:
    if certificate.kind == Certificate.Kind.ROOT_CA:
        return False
    if user is None:
        return True
    if not _is_staff(user):
        return False
    if certificate.kind == Certificate.Kind.PERSONAL:
        return certificate.owner_user is not None and certificate.owner_user.pk == user.pk
    owner = certificate.owner_agency
    if owner is None:
        return False
    closure = unit_closure(owner)
    return any(agency.pk in closure and role in AGENCY_SIGNING_ROLES for agency, role in acting_roles(user))


def builtin_ca() -> Certificate | None:
    return Certificate.objects.filter(
        kind=Certificate.Kind.ROOT_CA, imported=False, status=Certificate.Status.ACTIVE
    ).first()


def trust_roots() -> CertificateQuerySet:
    """Active root CA certificates (built-in and imported): the anchors of signature validation."""
    return Certificate.objects.trust_roots().defer("private_key_pem").order_by("pk")


def trust_root_certificates() -> list[x509.Certificate]:
    return [crypto.load_pem(c.certificate_pem) for c in trust_roots()]


def signing_certificate_for(user: Any, agency: Agency | None = None) -> Certificate | None:
    """The newest usable personal certificate of ``user`` (for work in ``agency`` when given)."""
    qs = Certificate.objects.usable().filter(kind=Certificate.Kind.PERSONAL, owner_user=user)
    if agency is not None:
        qs = qs.filter(owner_agency=agency)
    return qs.order_by("-not_before", "-pk").first()


def agency_certificate_for(agency: Agency) -> Certificate | None:
    """The newest usable certificate of ``agency`` (its digital seal)."""
    return (
        Certificate.objects.usable()
        .filter(kind=Certificate.Kind.AGENCY, owner_agency=agency)
        .order_by("-not_before", "-pk")
        .first()
    )


def certificates_by_fingerprint(fingerprints: list[str]) -> dict[str, Certificate]:
    rows = Certificate.objects.filter(fingerprint_sha256__in=fingerprints).defer("private_key_pem")
    return {c.fingerprint_sha256: c for c in rows}


def expiring(days: int = 30) -> CertificateQuerySet:
    """Active certificates that expire within ``days`` days (for reminders)."""
    now = timezone.now()
    return Certificate.objects.filter(
        status=Certificate.Status.ACTIVE, not_after__gt=now, not_after__lte=now + dt.timedelta(days=days)
    )
