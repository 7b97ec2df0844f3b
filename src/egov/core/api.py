"""Error handling shared by every app's ``api/``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, plus Django ``ValidationError`` raised by services turned into 400 with field errors."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {
                field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()
            }
        else:
            detail = {"non_field_errors": list(exc.messages)}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied) and exc.args and isinstance(exc.args[0], str):
        # Keep the service's Vietnamese explanation instead of DRF's generic message.
        return Response({"detail": exc.args[0]}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)
