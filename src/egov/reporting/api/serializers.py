"""Serializers of the reporting API (read shapes, request bodies and query parameters)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from egov.reporting import selectors
from egov.reporting.models import ExpectedReport, Indicator, Period, Regime, Submission


class ReportingAgencySerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    code_qcvn102 = serializers.CharField(allow_null=True)


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated,assignment]
    regime = serializers.PrimaryKeyRelatedField(read_only=True)  # type: ignore[var-annotated]

    class Meta:
        model = Indicator
        fields = [
            "id",
            "regime",
            "code",
            "name",
            "unit",
            "kind",
            "aggregation",
            "numerator_code",
            "denominator_code",
            "min_value",
            "max_value",
            "required",
            "order",
            "parent",
            "rows",
            "source",
            "source_code",
            "max_change_percent",
        ]


class RegimeSerializer(serializers.ModelSerializer[Regime]):
    receiving_agency = ReportingAgencySerializer()
    reporting_agencies = ReportingAgencySerializer(many=True)
    scope_root = ReportingAgencySerializer(allow_null=True)

    class Meta:
        model = Regime
        fields = [
            "id",
            "code",
            "name",
            "legal_basis",
            "description",
            "frequency",
            "receiving_agency",
            "reporting_agencies",
            "scope_root",
            "scope_kinds",
            "send_method",
            "deadline_working_days",
            "template_text",
            "instructions",
            "effective_from",
            "active",
            "updated_at",
        ]


class RegimeDetailSerializer(RegimeSerializer):
    indicators = IndicatorSerializer(many=True, read_only=True)

    class Meta(RegimeSerializer.Meta):
        fields = [*RegimeSerializer.Meta.fields, "indicators"]


class RegimeDefinitionSerializer(serializers.Serializer[Any]):
    """A regime's JSON definition (the body of create/update, the answer of ``export``). Agencies are given
    as ``{"code_qcvn102": "000.00.00.H92"}`` or ``{"id": 12}``; indicators as in ``IndicatorSerializer``
    with ``parent`` as the code of the total indicator. On update, absent fields keep their value and a
    given ``indicators`` list replaces the form (indicators matched by code)."""

    code = serializers.SlugField(max_length=64, required=False)
    name = serializers.CharField(max_length=500, required=False)
    legal_basis = serializers.CharField(max_length=1000, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True)
    frequency = serializers.CharField(required=False)
    receiving_agency = serializers.JSONField(required=False)
    reporting_agencies = serializers.JSONField(required=False)
    scope_root = serializers.JSONField(required=False, allow_null=True)
    scope_kinds = serializers.JSONField(required=False)
    send_method = serializers.CharField(max_length=255, required=False, allow_blank=True)
    deadline_working_days = serializers.IntegerField(required=False, min_value=0, max_value=60)
    template_text = serializers.CharField(required=False, allow_blank=True)
    instructions = serializers.CharField(required=False, allow_blank=True)
    effective_from = serializers.DateField(required=False)
    active = serializers.BooleanField(required=False)
    indicators = serializers.JSONField(required=False)


class PeriodSerializer(serializers.ModelSerializer[Period]):
    regime = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    closed = serializers.BooleanField(source="is_closed", read_only=True)

    class Meta:
        model = Period
        fields = ["id", "regime", "key", "label", "start", "end", "deadline", "closed", "closed_at"]


class PeriodOpenSerializer(serializers.Serializer[Any]):
    regime = serializers.PrimaryKeyRelatedField(queryset=Regime.objects.all())
    key = serializers.CharField(max_length=32)
    label = serializers.CharField(max_length=100)  # type: ignore[assignment]
    start = serializers.DateField()
    end = serializers.DateField()
    deadline = serializers.DateField(required=False)


class SubmissionSerializer(serializers.ModelSerializer[Submission]):
    submitted_by = serializers.CharField(source="submitted_by.get_full_name", default=None, read_only=True)
    reviewed_by = serializers.CharField(source="reviewed_by.get_full_name", default=None, read_only=True)
    signed = serializers.SerializerMethodField()

    class Meta:
        model = Submission
        fields = [
            "id",
            "version",
            "state",
            "values",
            "warnings",
            "note",
            "created_at",
            "submitted_by",
            "submitted_at",
            "signed",
            "payload_sha256",
            "reviewed_by",
            "reviewed_at",
            "return_reason",
        ]

    def get_signed(self, obj: Submission) -> bool:
        return bool(obj.signature)


class SubmissionDetailSerializer(SubmissionSerializer):
    report = serializers.IntegerField(source="expected_id", read_only=True)
    signature = serializers.CharField(read_only=True)
    verification = serializers.SerializerMethodField()

    class Meta(SubmissionSerializer.Meta):
        fields = [*SubmissionSerializer.Meta.fields, "report", "signature", "verification"]

    def get_verification(self, obj: Submission) -> dict[str, Any]:
        return selectors.verify(obj)


class ReportSerializer(serializers.ModelSerializer[ExpectedReport]):
    regime = serializers.SlugRelatedField(slug_field="code", read_only=True)  # type: ignore[var-annotated]
    period = PeriodSerializer(read_only=True)
    agency = serializers.IntegerField(source="agency_id", read_only=True)
    agency_name = serializers.CharField(source="agency.name", read_only=True)
    version = serializers.IntegerField(source="current.version", default=None, read_only=True)

    class Meta:
        model = ExpectedReport
        fields = [
            "id",
            "regime",
            "period",
            "agency",
            "agency_name",
            "status",
            "version",
            "first_submitted_at",
            "submitted_at",
            "on_time",
            "accepted_at",
        ]


class ReportDetailSerializer(ReportSerializer):
    versions = serializers.SerializerMethodField()

    class Meta(ReportSerializer.Meta):
        fields = [*ReportSerializer.Meta.fields, "versions"]

    def get_versions(self, obj: ExpectedReport) -> list[dict[str, Any]]:
        return list(SubmissionSerializer(selectors.history(obj), many=True).data)


class ValuesSerializer(serializers.Serializer[Any]):
    values = serializers.JSONField(
        help_text="{indicator_code: value}; a table indicator takes {row_code: number}."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class SubmitSerializer(serializers.Serializer[Any]):
    values = serializers.JSONField(required=False, help_text="Omit to send the saved draft.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class ReportReturnSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=5000)


class EmptySerializer(serializers.Serializer[Any]):
    pass


class ReportFilterSerializer(serializers.Serializer[Any]):
    regime = serializers.IntegerField(required=False, min_value=1)
    period = serializers.IntegerField(required=False, min_value=1)
    agency = serializers.IntegerField(required=False, min_value=1)
    status = serializers.ChoiceField(choices=ExpectedReport.Status.choices, required=False)


class RegimeFilterSerializer(serializers.Serializer[Any]):
    regime = serializers.IntegerField(required=False, min_value=1)


class SubtreeFilterSerializer(serializers.Serializer[Any]):
    agency = serializers.IntegerField(
        required=False, min_value=1, help_text="Root of the subtree (default: every reporting agency)."
    )
    include_submitted = serializers.BooleanField(
        required=False, default=False, help_text="Also count reports sent but not yet accepted."
    )
