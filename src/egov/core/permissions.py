"""REST API permission classes shared by every app (kept free of view imports: DRF loads it at start-up)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework import permissions

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.views import APIView


class IsStaffUser(permissions.BasePermission):
    """Authenticated government staff (citizen accounts never reach the staff API)."""

    message = "Chỉ cán bộ, công chức mới được dùng API này. / Staff accounts only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and getattr(user, "is_government_staff", False))
