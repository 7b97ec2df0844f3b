from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from egov.signing.models import Certificate


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    """Read-only: certificates are issued, imported and revoked through ``egov.signing.services`` (audited).
    The private key is never shown."""

    list_display = ("common_name", "kind", "owner_agency", "owner_user", "status", "not_after", "imported")
    list_filter = ("kind", "status", "imported")
    search_fields = ("common_name", "subject", "serial", "fingerprint_sha256")
    list_select_related = ("owner_agency", "owner_user")
    fields = (
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
        "certificate_pem",
        "chain_pem",
        "created_at",
    )

    def get_queryset(self, request: HttpRequest) -> Any:
        return super().get_queryset(request).defer("private_key_pem", "signature_image", "seal_image")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.fields or ()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
