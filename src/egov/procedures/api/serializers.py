"""Serializers of the procedure catalogue API.

Output serializers describe the catalogue as the citizen portal and agency systems read it. Input
serializers only check the shape of a request; the rules (code format, steps against the legal time,
receiving agencies, permissions) live in ``procedures.services``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from egov.core.api import enum_field
from egov.directory.api.serializers import AgencyRefSerializer
from egov.directory.models import Agency, Role
from egov.procedures.models import (
    Channel,
    ExecutionMethod,
    Field,
    Procedure,
    ProcedureAgency,
    ProcedureGroup,
    ProcedureGroupItem,
    ProcessStep,
    RequiredPaper,
)


def _enum(component: str, choices: Any) -> Callable[..., serializers.ChoiceField]:
    """A maker of the choice field of one OpenAPI enum component (:func:`egov.core.api.enum_field`)."""
    return functools.partial(enum_field, component, choices)


ChannelEnum = _enum("ProcedureChannelEnum", Channel.choices)
LevelEnum = _enum("ProcedureLevelEnum", Procedure.Level.choices)
KindEnum = _enum("ProcedureKindEnum", Procedure.Kind.choices)
OnlineLevelEnum = _enum("ProcedureOnlineLevelEnum", Procedure.OnlineLevel.choices)
StepRoleEnum = _enum("ProcedureStepRoleEnum", Role.choices)
AgencyRoleEnum = _enum("ProcedureAgencyRoleEnum", ProcedureAgency.Part.choices)


def _absolute(serializer: serializers.Serializer[Any], url: str) -> str:
    request = serializer.context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


class FieldSerializer(serializers.ModelSerializer[Field]):
    """Lĩnh vực, with the number of procedures in force."""

    procedure_count = serializers.IntegerField(read_only=True, default=0)

    class Meta:
        model = Field
        fields = ("id", "code", "name", "procedure_count")
        read_only_fields = fields


class FieldRefSerializer(serializers.ModelSerializer[Field]):
    class Meta:
        model = Field
        fields = ("id", "code", "name")
        read_only_fields = fields


class MethodSerializer(serializers.ModelSerializer[ExecutionMethod]):
    """Cách thức thực hiện: processing time (working days) and fees (đồng) for one channel."""

    channel = ChannelEnum(read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)

    class Meta:
        model = ExecutionMethod
        fields = ("channel", "channel_display", "processing_days", "time_note", "fee_amount", "fee_note")
        read_only_fields = fields


class PaperSerializer(serializers.ModelSerializer[RequiredPaper]):
    """Thành phần hồ sơ; ``form_url`` downloads the blank form when there is one."""

    form_url = serializers.SerializerMethodField()

    class Meta:
        model = RequiredPaper
        fields = (
            "id",
            "order",
            "code",
            "name",
            "originals",
            "copies",
            "is_required",
            "case",
            "form_name",
            "form_url",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_form_url(self, paper: RequiredPaper) -> str | None:
        if not paper.form_file:
            return None
        return _absolute(self, reverse("procedure-form", kwargs={"paper_id": paper.pk}))


class StepSerializer(serializers.ModelSerializer[ProcessStep]):
    """A step of the process template; ``agency`` empty = the agency that received the dossier."""

    role = StepRoleEnum(read_only=True)
    role_display = serializers.CharField(source="get_role_display", read_only=True)
    agency = AgencyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ProcessStep
        fields = ("order", "name", "role", "role_display", "agency", "days")
        read_only_fields = fields


class ProcedureAgencySerializer(serializers.ModelSerializer[ProcedureAgency]):
    role = AgencyRoleEnum(read_only=True)
    agency = AgencyRefSerializer(read_only=True)

    class Meta:
        model = ProcedureAgency
        fields = ("agency", "role")
        read_only_fields = fields


class LegalBasisSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(read_only=True, help_text="Số, ký hiệu (e.g. 123/2015/NĐ-CP).")
    title = serializers.CharField(read_only=True, help_text="Trích yếu.")


class ProcedureSerializer(serializers.ModelSerializer[Procedure]):
    """A procedure in a list: code, name, field, levels, online level and its channels."""

    field = FieldRefSerializer(read_only=True)
    levels = serializers.ListField(child=serializers.CharField(), read_only=True)
    kind = KindEnum(read_only=True)
    online_level = OnlineLevelEnum(read_only=True)
    methods = MethodSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = Procedure
        fields: tuple[str, ...] = (
            "id",
            "code",
            "name",
            "field",
            "levels",
            "kind",
            "online_level",
            "is_active",
            "methods",
            "url",
        )
        read_only_fields: tuple[str, ...] = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, procedure: Procedure) -> str:
        return _absolute(self, reverse("procedures-api:procedure-detail", kwargs={"code": procedure.code}))


class ProcedureDetailSerializer(ProcedureSerializer):
    """Everything the catalogue says about a procedure."""

    papers = PaperSerializer(many=True, read_only=True)
    steps = StepSerializer(many=True, read_only=True)
    agencies = ProcedureAgencySerializer(source="agency_links", many=True, read_only=True)
    legal_bases = LegalBasisSerializer(many=True, read_only=True)

    class Meta(ProcedureSerializer.Meta):
        fields: tuple[str, ...] = (
            *ProcedureSerializer.Meta.fields,
            "external_id",
            "executing_agency_text",
            "legal_bases",
            "result_type",
            "requirements",
            "applicant_kinds",
            "papers",
            "steps",
            "agencies",
            "updated_at",
        )
        read_only_fields = fields


class GroupItemSerializer(serializers.ModelSerializer[ProcedureGroupItem]):
    code = serializers.CharField(source="procedure.code", read_only=True)
    name = serializers.CharField(source="procedure.name", read_only=True)

    class Meta:
        model = ProcedureGroupItem
        fields = ("order", "code", "name")
        read_only_fields = fields


class GroupSerializer(serializers.ModelSerializer[ProcedureGroup]):
    """Nhóm thủ tục liên thông (Nghị định 63/2024), procedures in the order they are done."""

    procedures = GroupItemSerializer(source="items", many=True, read_only=True)

    class Meta:
        model = ProcedureGroup
        fields = ("id", "code", "name", "legal_basis", "procedures")
        read_only_fields = fields


# --- input ---------------------------------------------------------------------------------------------


class FilterSerializer(serializers.Serializer[Any]):
    search = serializers.CharField(
        required=False, allow_blank=True, help_text="Accent-insensitive words: “dang ky khai sinh”."
    )
    field = serializers.CharField(required=False, allow_blank=True, help_text="Field id or code (HT).")
    level = LevelEnum(required=False)
    agency = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="Only procedures of this agency."
    )
    online_level = OnlineLevelEnum(required=False)
    channel = ChannelEnum(required=False)


class MethodInputSerializer(serializers.Serializer[Any]):
    channel = ChannelEnum()
    processing_days = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0)
    time_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)
    fee_amount = serializers.IntegerField(required=False, default=0, min_value=0)
    fee_note = serializers.CharField(required=False, allow_blank=True, default="", max_length=1000)


class PaperInputSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(required=False, min_value=1, help_text="Keep this paper (and its form).")
    name = serializers.CharField(max_length=1000)
    originals = serializers.IntegerField(required=False, default=1, min_value=0, max_value=100)
    copies = serializers.IntegerField(required=False, default=0, min_value=0, max_value=100)
    is_required = serializers.BooleanField(required=False, default=True)
    case = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)
    code = serializers.CharField(required=False, allow_blank=True, default="", max_length=64)
    form_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=255)


class StepInputSerializer(serializers.Serializer[Any]):
    order = serializers.IntegerField(required=False, min_value=1, max_value=100)
    name = serializers.CharField(max_length=255)
    role = StepRoleEnum()
    days = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0)
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), required=False, allow_null=True, default=None
    )


class AgencyLinkInputSerializer(serializers.Serializer[Any]):
    agency = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all())
    role = AgencyRoleEnum()


class LegalBasisInputSerializer(serializers.Serializer[Any]):
    number = serializers.CharField(max_length=255, allow_blank=True)
    title = serializers.CharField(max_length=1000, allow_blank=True, required=False, default="")


class ProcedureWriteSerializer(serializers.Serializer[Any]):
    """Creating (all of it) or changing (what is sent; a list replaces the whole section) a procedure."""

    code = serializers.CharField(max_length=32, required=False)
    name = serializers.CharField(max_length=1000, required=False)
    field = serializers.SlugRelatedField(slug_field="code", queryset=Field.objects.all(), required=False)
    levels = serializers.ListField(child=LevelEnum(), required=False)
    kind = KindEnum(required=False)
    executing_agency_text = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    legal_bases = LegalBasisInputSerializer(many=True, required=False)
    online_level = OnlineLevelEnum(required=False)
    result_type = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    requirements = serializers.CharField(required=False, allow_blank=True)
    applicant_kinds = serializers.CharField(max_length=255, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)
    methods = MethodInputSerializer(many=True, required=False)
    papers = PaperInputSerializer(many=True, required=False)
    steps = StepInputSerializer(many=True, required=False)
    agencies = AgencyLinkInputSerializer(many=True, required=False)
