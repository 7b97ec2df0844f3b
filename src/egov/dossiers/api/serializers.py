"""Serializers of the dossiers API (hồ sơ TTHC, one-stop shop).

Output serializers describe what is read (the views give them dossiers from ``dossiers.selectors``). Input
serializers only check the shape of a request; the rules — who may act, which transitions are legal, which
papers a procedure needs, file checks, deadlines — live in ``dossiers.services``, which the views call.

Download URLs depend on who reads: officials get ``/api/v1/dossiers/{id}/…`` links, citizens
``/api/v1/my/dossiers/{id}/…`` links (serializer context ``scope``: ``staff`` or ``my``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from egov.core.api import enum_field
from egov.directory.api.serializers import AgencyRefSerializer, UserRefSerializer
from egov.directory.models import Agency, User
from egov.documents.api.serializers import DATE_FORMATS, DATE_HELP
from egov.documents.models import StoredFile
from egov.dossiers import payments, selectors
from egov.dossiers.models import (
    Apology,
    CitizenDocument,
    DeadlineFlag,
    Dossier,
    DossierEvent,
    DossierPaper,
    DossierStep,
    Feedback,
    Payment,
    Rating,
    Status,
    SupplementRequest,
)
from egov.notify.models import Message
from egov.procedures.models import Channel, Procedure, ProcedureGroup, RequiredPaper


def _url(context: Mapping[str, Any], name: str, **kwargs: Any) -> str:
    url = reverse(f"dossiers-api:{name}", kwargs=kwargs)
    request = context.get("request")
    return request.build_absolute_uri(url) if request is not None else url


def _staff_scope(context: Mapping[str, Any]) -> bool:
    return context.get("scope", "staff") == "staff"


def status_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field("DossierStatusEnum", Status.choices, **kwargs)


def channel_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field("DossierChannelEnum", Channel.choices, **kwargs)


def flag_field(**kwargs: Any) -> serializers.ChoiceField:
    return enum_field("DossierDeadlineFlagEnum", DeadlineFlag.choices, **kwargs)


class ProcedureRefSerializer(serializers.ModelSerializer[Procedure]):
    class Meta:
        model = Procedure
        fields = ("id", "code", "name")
        read_only_fields = fields


class FileInfoSerializer(serializers.ModelSerializer[StoredFile]):
    name = serializers.CharField(source="original_name", read_only=True)

    class Meta:
        model = StoredFile
        fields = ("name", "content_type", "size", "sha256")
        read_only_fields = fields


# --- Dossiers -------------------------------------------------------------------------------------------


class DossierSerializer(serializers.ModelSerializer[Dossier]):
    """A row of a list: code, procedure, agency, applicant, status, dates and deadline flag."""

    status = status_field(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    channel = channel_field(read_only=True)
    deadline_flag = flag_field(
        read_only=True,
        help_text="Cảnh báo hạn as the rule gives it now (0 on time, 1 at risk, 2 overdue), as the officer "
        "pages show it; filters use the same rule.",
    )
    procedure = ProcedureRefSerializer(read_only=True)
    receiving_agency = AgencyRefSerializer(read_only=True)

    class Meta:
        model = Dossier
        fields: tuple[str, ...] = (
            "id",
            "code",
            "procedure",
            "receiving_agency",
            "channel",
            "status",
            "status_display",
            "applicant_name",
            "submitted_at",
            "received_at",
            "due_at",
            "finished_at",
            "returned_at",
            "is_on_time",
            "deadline_flag",
            "fee_amount",
        )
        read_only_fields: tuple[str, ...] = fields

    def to_representation(self, instance: Dossier) -> dict[str, Any]:
        data = super().to_representation(instance)
        # The rule now (selectors.deadline_flagger), not the column stored by the periodic scan, which lags
        # by up to one scan period. One flagger (one calendar look-up) per serializer: a list's child
        # serializer is one instance for every row.
        flagger = getattr(self, "_flagger", None)
        if flagger is None:
            flagger = self._flagger = selectors.deadline_flagger()
        data["deadline_flag"] = int(flagger(instance))
        return data


class DossierPaperSerializer(serializers.ModelSerializer[DossierPaper]):
    """Thành phần hồ sơ: a paper with its file (none for an original received at the desk)."""

    file = FileInfoSerializer(read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = DossierPaper
        fields = ("id", "code", "name", "quantity", "file", "download_url", "supplement", "added_at")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, paper: DossierPaper) -> str | None:
        if paper.file_id is None:
            return None
        name = "dossier-paper-file" if _staff_scope(self.context) else "my-dossier-paper-file"
        return _url(self.context, name, pk=paper.dossier_id, paper=paper.pk)


class DossierStepSerializer(serializers.ModelSerializer[DossierStep]):
    state = enum_field("DossierStepStateEnum", DossierStep.State.choices, read_only=True)
    agency = AgencyRefSerializer(read_only=True)
    handler = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = DossierStep
        fields = (
            "id",
            "order",
            "name",
            "role",
            "agency",
            "days",
            "state",
            "handler",
            "started_at",
            "due_at",
            "finished_at",
            "note",
        )
        read_only_fields = fields


class PaymentSerializer(serializers.ModelSerializer[Payment]):
    state = enum_field("DossierPaymentStateEnum", Payment.State.choices, read_only=True)

    class Meta:
        model = Payment
        fields = ("id", "amount", "state", "requested_at", "method", "reference", "receipt_number", "paid_at")
        read_only_fields = fields


class SupplementSerializer(serializers.ModelSerializer[SupplementRequest]):
    class Meta:
        model = SupplementRequest
        fields = ("id", "reason", "papers", "requested_at", "provided_at", "paused_working_days")
        read_only_fields = fields


class ApologySerializer(serializers.ModelSerializer[Apology]):
    """Phiếu xin lỗi và hẹn lại (mẫu 04)."""

    issuing_agency = AgencyRefSerializer(read_only=True)

    class Meta:
        model = Apology
        fields = (
            "id",
            "reason",
            "old_due_at",
            "new_due_at",
            "issuing_agency",
            "issuer_name",
            "issuer_title",
            "issued_at",
        )
        read_only_fields = fields


class RatingSerializer(serializers.ModelSerializer[Rating]):
    class Meta:
        model = Rating
        fields = ("score", "comment", "rated_at")
        read_only_fields = fields


class FeedbackSerializer(serializers.ModelSerializer[Feedback]):
    class Meta:
        model = Feedback
        fields = ("id", "text", "created_at")
        read_only_fields = fields


class DossierEventSerializer(serializers.ModelSerializer[DossierEvent]):
    """One line of the timeline (submitted, accepted, processing, step_done, supplement_requested …)."""

    from_status = status_field(read_only=True, allow_null=True)
    to_status = status_field(read_only=True)
    agency = AgencyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = DossierEvent
        fields = (
            "id",
            "kind",
            "actor_name",
            "agency",
            "from_status",
            "to_status",
            "note",
            "at",
            "started_at",
            "due_at",
        )
        read_only_fields = fields


class ResultSerializer(serializers.Serializer[Any]):
    """Kết quả giải quyết: the e-result file (if any), how and when it was returned."""

    note = serializers.CharField(read_only=True)
    signed = serializers.BooleanField(read_only=True)
    file = FileInfoSerializer(read_only=True, allow_null=True)
    download_url = serializers.URLField(read_only=True, allow_null=True)
    return_method = serializers.CharField(read_only=True)
    tracking_number = serializers.CharField(read_only=True)
    returned_at = serializers.DateTimeField(read_only=True, allow_null=True)


class DossierDetailSerializer(DossierSerializer):
    """The whole dossier: applicant, papers, steps, supplements, payments, apologies, result, rating and the
    timeline."""

    applicant_kind = enum_field("DossierApplicantKindEnum", Dossier.ApplicantKind.choices, read_only=True)
    current_step = DossierStepSerializer(read_only=True, allow_null=True)
    papers = DossierPaperSerializer(many=True, read_only=True)
    steps = DossierStepSerializer(many=True, read_only=True)
    supplements = SupplementSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)
    apologies = ApologySerializer(many=True, read_only=True)
    result = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    feedback = FeedbackSerializer(many=True, read_only=True)
    events = DossierEventSerializer(many=True, read_only=True)

    class Meta(DossierSerializer.Meta):
        fields = (
            *DossierSerializer.Meta.fields,
            "applicant_kind",
            "applicant_identity",
            "applicant_phone",
            "applicant_email",
            "applicant_address",
            "description",
            "processing_days",
            "original_due_at",
            "supplement_count",
            "end_reason",
            "current_step",
            "papers",
            "steps",
            "supplements",
            "payments",
            "apologies",
            "result",
            "rating",
            "feedback",
            "events",
        )
        read_only_fields = fields

    @extend_schema_field(ResultSerializer(allow_null=True))
    def get_result(self, d: Dossier) -> dict[str, Any] | None:
        if not (d.result_file_id or d.result_note or d.returned_at):
            return None
        url = None
        if d.result_file_id is not None and (
            _staff_scope(self.context) or d.status in (Status.DONE, Status.RETURNED)
        ):
            name = "dossier-result-file" if _staff_scope(self.context) else "my-dossier-result-file"
            url = _url(self.context, name, pk=d.pk)
        return ResultSerializer(
            {
                "note": d.result_note,
                "signed": d.result_signed,
                "file": d.result_file,
                "download_url": url,
                "return_method": d.return_method,
                "tracking_number": d.tracking_number,
                "returned_at": d.returned_at,
            }
        ).data

    @extend_schema_field(RatingSerializer(allow_null=True))
    def get_rating(self, d: Dossier) -> dict[str, Any] | None:
        rating = Rating.objects.filter(dossier=d).first()
        return RatingSerializer(rating).data if rating is not None else None


# --- Inputs ---------------------------------------------------------------------------------------------


class PapersInputSerializer(serializers.Serializer[Any]):
    """The papers of a submission, as ``multipart/form-data`` (repeat a key for each value):

    * ``files`` with ``file_papers``: each uploaded file and, at the same position, the id of the procedure's
      required paper it is (``GET /api/v1/procedures/{id}/``, ``papers``);
    * ``citizen_documents`` with ``citizen_document_papers``: documents reused from the citizen's store
      (``GET /api/v1/my/documents/``) and the required paper each one is;
    * ``papers`` (desk only): required papers received as originals without a scan."""

    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )
    file_papers = serializers.ListField(
        child=serializers.IntegerField(min_value=0),
        required=False,
        default=list,
        help_text="For each file, the id of the required paper it is (0: another paper, named by the file).",
    )
    citizen_documents = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )
    citizen_document_papers = serializers.ListField(
        child=serializers.IntegerField(min_value=1), required=False, default=list
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        if len(attrs["files"]) != len(attrs["file_papers"]):
            errors["file_papers"] = [_("Cần đúng một mã giấy tờ (file_papers) cho mỗi tệp (files).")]
        if len(attrs["citizen_documents"]) != len(attrs["citizen_document_papers"]):
            errors["citizen_document_papers"] = [
                _("Cần đúng một mã giấy tờ (citizen_document_papers) cho mỗi giấy tờ trong kho.")
            ]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class ApplicantInputSerializer(serializers.Serializer[Any]):
    applicant_kind = enum_field(
        "DossierApplicantKindEnum",
        Dossier.ApplicantKind.choices,
        required=False,
        default=Dossier.ApplicantKind.CITIZEN,
    )
    applicant_name = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    applicant_identity = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    applicant_phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    applicant_email = serializers.CharField(max_length=254, required=False, allow_blank=True, default="")
    applicant_address = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    description = serializers.CharField(required=False, allow_blank=True, default="")


class DeskReceiveSerializer(PapersInputSerializer, ApplicantInputSerializer):
    """Tiếp nhận hồ sơ tại Bộ phận Một cửa (one-stop officers of the receiving agency)."""

    procedure = serializers.PrimaryKeyRelatedField(queryset=Procedure.objects.all())
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), help_text="Receiving agency (nơi tiếp nhận)."
    )
    channel = enum_field(
        "DossierDeskChannelEnum",
        [(Channel.DIRECT, Channel.DIRECT.label), (Channel.POSTAL, Channel.POSTAL.label)],
        required=False,
        default=Channel.DIRECT,
    )
    papers = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Required papers received as originals (no scan).",
    )
    accept = serializers.BooleanField(
        required=False, default=True, help_text="The papers are complete: accept at once (status 2)."
    )


class OnlineSubmitSerializer(PapersInputSerializer, ApplicantInputSerializer):
    """Nộp hồ sơ trực tuyến (citizen accounts). The applicant defaults to the account's own data."""

    procedure = serializers.PrimaryKeyRelatedField(queryset=Procedure.objects.all())
    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), help_text="Receiving agency chosen among the procedure's."
    )


class SupplementProvideSerializer(PapersInputSerializer):
    """Bổ sung hồ sơ: the requested papers (files or documents of the store)."""

    note = serializers.CharField(required=False, allow_blank=True, default="")


class GroupSubmitSerializer(PapersInputSerializer, ApplicantInputSerializer):
    """Nộp hồ sơ liên thông (Nghị định 63/2024; citizen accounts): one submission for every procedure of a
    group. Each file or document of the store names the required paper it is (``file_papers``,
    ``citizen_document_papers``), which tells the procedure it belongs to. ``agencies`` with
    ``agency_procedures`` (same positions) choose a receiving agency for some procedures (default: the
    procedure's receiving agency)."""

    procedure_group = serializers.PrimaryKeyRelatedField(
        queryset=ProcedureGroup.objects.all(),
        help_text="Nhóm thủ tục liên thông (`GET /api/v1/procedure-groups/`).",
    )
    file_papers = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="For each file, the id of the required paper (of a procedure of the group) it is.",
    )
    agencies = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="Receiving agencies.",
    )
    agency_procedures = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        default=list,
        help_text="For each agency, the id of the procedure of the group it receives.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        group: ProcedureGroup = attrs["procedure_group"]
        procedures = set(group.items.values_list("procedure_id", flat=True))
        errors: dict[str, list[Any]] = {}
        wanted = set(attrs["file_papers"]) | set(attrs["citizen_document_papers"])
        owners = dict(
            RequiredPaper.objects.filter(pk__in=wanted, procedure_id__in=procedures).values_list(
                "pk", "procedure_id"
            )
        )
        for key in ("file_papers", "citizen_document_papers"):
            unknown = sorted(set(attrs[key]) - set(owners))
            if unknown:
                errors[key] = [
                    _("Giấy tờ %(ids)s không thuộc thủ tục nào của nhóm.")
                    % {"ids": ", ".join(f"#{i}" for i in unknown)}
                ]
        if len(attrs["agencies"]) != len(attrs["agency_procedures"]):
            errors["agency_procedures"] = [_("Cần đúng một mã thủ tục (agency_procedures) cho mỗi cơ quan.")]
        else:
            outside = sorted(set(attrs["agency_procedures"]) - procedures)
            if outside:
                errors["agency_procedures"] = [
                    _("Thủ tục %(ids)s không thuộc nhóm.") % {"ids": ", ".join(f"#{i}" for i in outside)}
                ]
            found = Agency.objects.in_bulk(attrs["agencies"])
            missing = sorted(set(attrs["agencies"]) - set(found))
            if missing:
                errors["agencies"] = [
                    _("Không tìm thấy cơ quan %(ids)s.") % {"ids": ", ".join(f"#{i}" for i in missing)}
                ]
            elif not outside:
                attrs["agency_by_procedure"] = {
                    procedure: found[agency]
                    for agency, procedure in zip(attrs["agencies"], attrs["agency_procedures"], strict=True)
                }
        if errors:
            raise serializers.ValidationError(errors)
        attrs["procedure_of_paper"] = owners
        attrs.setdefault("agency_by_procedure", {})
        return attrs


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Lý do (shown to the applicant).")


class StepReturnSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(help_text="Lý do trả lại bước trước (shown on the timeline).")


class OptionalReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


def _staff() -> Any:
    return User.objects.filter(kind=User.Kind.STAFF, is_active=True)


class StartSerializer(serializers.Serializer[Any]):
    handler = serializers.PrimaryKeyRelatedField(
        queryset=_staff(), required=False, allow_null=True, help_text="Handler of the first step (optional)."
    )


class StepForwardSerializer(serializers.Serializer[Any]):
    handler = serializers.PrimaryKeyRelatedField(
        queryset=_staff(), help_text="New handler of the current step."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")


class CompleteStepSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(required=False, allow_blank=True, default="")
    next_handler = serializers.PrimaryKeyRelatedField(
        queryset=_staff(), required=False, allow_null=True, help_text="Handler of the next step (optional)."
    )


class SupplementRequestSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()
    papers = serializers.ListField(
        child=serializers.CharField(max_length=1000),
        required=False,
        default=list,
        help_text="Names of the papers to bring.",
    )


class PaymentRequestSerializer(serializers.Serializer[Any]):
    amount = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="Đồng; the procedure's fee by default."
    )


class PaymentRecordSerializer(serializers.Serializer[Any]):
    reference = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class CitizenPaySerializer(serializers.Serializer[Any]):
    method = enum_field(
        "DossierOnlinePaymentMethodEnum",
        [(p.name, str(p.label)) for p in payments.available() if p.citizen_can_use],
        required=False,
        default="sandbox",
    )
    reference = serializers.CharField(max_length=128, required=False, allow_blank=True, default="")


class ApologyInputSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField()
    new_due_at = serializers.DateField(input_formats=DATE_FORMATS, help_text=f"New appointment, {DATE_HELP}")
    issuer_title = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ResultInputSerializer(serializers.Serializer[Any]):
    file = serializers.FileField(help_text="The result (PDF, or a scan).")
    sign = serializers.BooleanField(
        required=False, default=False, help_text="Sign with the digital seal of the issuing agency."
    )
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class ReturnSerializer(serializers.Serializer[Any]):
    method = enum_field(
        "DossierReturnMethodEnum",
        Dossier.ReturnMethod.choices,
        required=False,
        default=Dossier.ReturnMethod.DESK,
    )
    tracking_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")


class RateSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField(min_value=1, max_value=5, help_text="Mức độ hài lòng, 1–5.")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class FeedbackInputSerializer(serializers.Serializer[Any]):
    text = serializers.CharField()


# --- Filters --------------------------------------------------------------------------------------------


class DossierFilterSerializer(serializers.Serializer[Any]):
    status = status_field(required=False)
    procedure = serializers.IntegerField(required=False, min_value=1)
    agency = serializers.IntegerField(required=False, min_value=1, help_text="Receiving agency.")
    channel = channel_field(required=False)
    deadline_flag = flag_field(required=False)
    date_from = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text=f"Submitted on or after, {DATE_HELP}"
    )
    date_to = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text=f"Submitted on or before, {DATE_HELP}"
    )
    search = serializers.CharField(
        required=False, allow_blank=True, help_text="Dossier code, CCCD, or part of the applicant's name."
    )


class QueueFilterSerializer(serializers.Serializer[Any]):
    kind = enum_field(
        "DossierQueueKindEnum",
        [("reception", "reception"), ("steps", "steps"), ("all", "all")],
        required=False,
        default="reception",
        help_text="reception: dossiers received by the caller's agencies; steps: dossiers whose current step "
        "is in them; all: both.",
    )
    status = status_field(required=False)
    deadline_flag = flag_field(required=False)
    agency = serializers.IntegerField(required=False, min_value=1)
    procedure = serializers.IntegerField(required=False, min_value=1)
    search = serializers.CharField(required=False, allow_blank=True)


class BookFilterSerializer(serializers.Serializer[Any]):
    """Sổ theo dõi hồ sơ (mẫu 07) of one receiving agency between two dates."""

    agency = serializers.IntegerField(min_value=1, help_text="Receiving agency (one of the caller's).")
    date_from = serializers.DateField(input_formats=DATE_FORMATS, help_text=DATE_HELP)
    date_to = serializers.DateField(input_formats=DATE_FORMATS, help_text=DATE_HELP)
    file_type = enum_field(
        "DossierBookFileTypeEnum",
        [("xlsx", "XLSX"), ("pdf", "PDF")],
        required=False,
        default="xlsx",
        help_text="xlsx (default) or pdf.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("Ngày kết thúc phải sau ngày bắt đầu.")]})
        if (attrs["date_to"] - attrs["date_from"]).days > 3660:
            raise serializers.ValidationError({"date_to": [_("Khoảng thời gian tối đa 10 năm.")]})
        return attrs


class StatisticsFilterSerializer(serializers.Serializer[Any]):
    date_from = serializers.DateField(input_formats=DATE_FORMATS, help_text=DATE_HELP)
    date_to = serializers.DateField(input_formats=DATE_FORMATS, help_text=DATE_HELP)
    agency = serializers.IntegerField(
        required=False, min_value=1, help_text="One receiving agency (default: all the caller's)."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("Ngày kết thúc phải sau ngày bắt đầu.")]})
        if (attrs["date_to"] - attrs["date_from"]).days > 3660:
            raise serializers.ValidationError({"date_to": [_("Khoảng thời gian tối đa 10 năm.")]})
        return attrs


# --- Other outputs --------------------------------------------------------------------------------------


class ProcedureStatisticsSerializer(serializers.Serializer[Any]):
    procedure_code = serializers.CharField()
    procedure_name = serializers.CharField()
    received = serializers.IntegerField()
    online = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()


class AgencyStatisticsSerializer(serializers.Serializer[Any]):
    agency = AgencyRefSerializer()
    received = serializers.IntegerField()
    online = serializers.IntegerField()
    online_share = serializers.FloatField()
    finished = serializers.IntegerField()
    on_time = serializers.IntegerField()
    late = serializers.IntegerField()
    on_time_rate = serializers.FloatField()
    overdue_open = serializers.IntegerField()
    by_procedure = ProcedureStatisticsSerializer(many=True)


class StatisticsSerializer(serializers.Serializer[Any]):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    agencies = AgencyStatisticsSerializer(many=True)


class ProcedureGroupRefSerializer(serializers.ModelSerializer[ProcedureGroup]):
    class Meta:
        model = ProcedureGroup
        fields = ("id", "code", "name")
        read_only_fields = fields


class GroupPartSerializer(serializers.Serializer[Any]):
    """One part of an inter-linked submission, as the applicant follows it (no personal data)."""

    code = serializers.CharField()
    procedure = serializers.CharField(help_text="Name of the procedure.")
    agency = serializers.CharField(help_text="Name of the receiving agency.")
    status = status_field()
    status_label = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)


class DossierGroupSerializer(serializers.Serializer[Any]):
    """Hồ sơ liên thông: the group code, the one combined status (the least advanced part still in progress;
    ``done`` when every part's result has been returned), each part's progress, and the parts the caller may
    open (``dossiers``: links to ``/api/v1/dossiers/{id}/`` or ``/api/v1/my/dossiers/{id}/``)."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    procedure_group = ProcedureGroupRefSerializer()
    created_at = serializers.DateTimeField()
    status = status_field()
    status_label = serializers.CharField()
    done = serializers.BooleanField()
    parts = GroupPartSerializer(many=True)
    dossiers = DossierSerializer(many=True)


class NotificationSerializer(serializers.ModelSerializer[Message]):
    """A message sent about the dossier (SMS or e-mail) and its delivery status."""

    status = enum_field("DossierMessageStatusEnum", Message.Status.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Message
        fields = (
            "id",
            "channel",
            "recipient",
            "event",
            "subject",
            "status",
            "status_display",
            "attempts",
            "last_error",
            "created_at",
            "sent_at",
            "delivered_at",
            "failed_at",
        )
        read_only_fields = fields


class NationalSyncSerializer(serializers.Serializer[Any]):
    """The dossier as the national public-service portal's sync expects it (``CreateDossier`` +
    ``CapNhatTienTrinh``): field names are the portal's."""

    MaHoSo = serializers.CharField()
    MaTTHC = serializers.CharField()
    TenTTHC = serializers.CharField()
    MaDonViTiepNhan = serializers.CharField()
    TenDonViTiepNhan = serializers.CharField()
    NgayNop = serializers.CharField(allow_null=True, help_text="yyyyMMddHHmmss, local time.")
    NgayTiepNhan = serializers.CharField(allow_null=True)
    NgayHenTra = serializers.CharField(allow_null=True)
    NgayKetThucXuLy = serializers.CharField(allow_null=True)
    NgayTraKetQua = serializers.CharField(allow_null=True)
    TrangThai = serializers.IntegerField(help_text="TrangThaiHoSo 1–10.")
    KenhThucHien = serializers.IntegerField(help_text="1 trực tiếp, 2 trực tuyến, 3 bưu chính.")
    LoaiDoiTuong = serializers.IntegerField()
    ChuHoSo = serializers.CharField()
    ThongTinNguoiNop = serializers.DictField()
    ThanhPhanHoSo = serializers.ListField(child=serializers.DictField())
    TienTrinh = serializers.ListField(child=serializers.DictField())


class CitizenDocumentSerializer(serializers.ModelSerializer[CitizenDocument]):
    """A document of the citizen's store (kho dữ liệu điện tử): reusable in new dossiers."""

    file = FileInfoSerializer(read_only=True)
    source_dossier = serializers.CharField(source="source_dossier.code", read_only=True, allow_null=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CitizenDocument
        fields = (
            "id",
            "paper_code",
            "name",
            "is_result",
            "source_dossier",
            "file",
            "download_url",
            "created_at",
        )
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, doc: CitizenDocument) -> str:
        return _url(self.context, "my-document-file", pk=doc.pk)


class PublicStatusSerializer(serializers.Serializer[Any]):
    """Tra cứu hồ sơ: what anyone with the code may learn — no personal data."""

    code = serializers.CharField()
    status = status_field()
    status_label = serializers.CharField()
    procedure_code = serializers.CharField()
    procedure_name = serializers.CharField()
    agency_name = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    received_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    returned_at = serializers.DateTimeField(allow_null=True)
