"""Query parameters of the directory list endpoints, checked like request bodies (a bad value gives 400).

Each serializer is also given to ``extend_schema(parameters=[...])`` so that the OpenAPI description lists
the parameters.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.request import Request

from egov.directory.models import Agency, Role


class AgencyFilterSerializer(serializers.Serializer[Any]):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Accent- and case-insensitive text: “ha noi” finds “Hà Nội”.",
    )
    kind = serializers.ChoiceField(choices=Agency.Kind.choices, required=False, help_text="Kind of agency.")
    parent = serializers.IntegerField(  # type: ignore[assignment]  # a field, not Field.parent
        required=False, min_value=1, help_text="Only the children of this agency."
    )
    roots = serializers.BooleanField(
        required=False, default=False, help_text="Only top-level agencies (ignored with `parent`)."
    )
    code = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Exact code: QCVN 102:2016 (000.00.00.H41), QĐ 20/2020, or GSO administrative unit code.",
    )
    include_past = serializers.BooleanField(
        required=False, default=False, help_text="Also agencies that are no longer (or not yet) valid."
    )


class ChildrenFilterSerializer(serializers.Serializer[Any]):
    include_past = serializers.BooleanField(
        required=False, default=False, help_text="Also units that are no longer (or not yet) valid."
    )


class PositionFilterSerializer(serializers.Serializer[Any]):
    agency = serializers.IntegerField(required=False, min_value=1, help_text="Only positions in this agency.")
    user = serializers.IntegerField(required=False, min_value=1, help_text="Only positions of this person.")
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    include_past = serializers.BooleanField(
        required=False, default=False, help_text="Also positions that have ended or not yet begun."
    )


class DelegationFilterSerializer(serializers.Serializer[Any]):
    agency = serializers.IntegerField(
        required=False, min_value=1, help_text="Only delegations in this agency."
    )
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    active = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="true: only delegations in force now; false: only the others; omitted: all.",
    )


def parse(serializer_class: type[serializers.Serializer[Any]], request: Request) -> dict[str, Any]:
    """The validated query parameters (raises DRF ``ValidationError`` → 400 with the parameter's name)."""
    params = serializer_class(data=request.query_params.dict())
    params.is_valid(raise_exception=True)
    return dict(params.validated_data)
