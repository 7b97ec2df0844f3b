"""Serializers of the documents API.

Output serializers describe what is read (the views give them documents from ``documents.selectors``, with
everything a row needs already joined or prefetched). Input serializers only check the shape of a request
(types, formats, ids that exist); the rules — who may act, which transitions are legal, notation against
type, file checks, numbering — live in ``documents.services`` and ``documents.outgoing``, which the views
call with the validated data.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from egov.core.api import enum_field
from egov.directory.api.serializers import AgencyRefSerializer, UserRefSerializer
from egov.directory.models import Agency, User
from egov.documents import selectors
from egov.documents.models import (
    Assignment,
    Attachment,
    Confidentiality,
    DocumentEvent,
    DocumentType,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
    Register,
    Urgency,
)

# Dates: ISO 8601 (``2026-11-02``) or the Vietnamese ``02/11/2026``; anything else is a 400 on the field.
DATE_FORMATS = ["iso-8601", "%d/%m/%Y"]
DATE_HELP = "YYYY-MM-DD (or DD/MM/YYYY)."


def _staff() -> Any:
    return User.objects.filter(kind=User.Kind.STAFF)


@extend_schema_field(OpenApiTypes.INT)
class VisibleRegisterField(serializers.PrimaryKeyRelatedField[Register]):
    """A register of one direction among those of the caller's agencies (others do not exist for them)."""

    def __init__(self, *, direction: str, **kwargs: Any) -> None:
        self.direction = direction
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        return selectors.registers_visible_to(self.context.get("user")).filter(direction=self.direction)


# --- Reference data -------------------------------------------------------------------------------------


class DocumentTypeSerializer(serializers.ModelSerializer[DocumentType]):
    """Loại văn bản (Nghị định 30, Điều 7) and its abbreviation in notations (Phụ lục III)."""

    class Meta:
        model = DocumentType
        fields = ("id", "code", "name", "abbreviation")
        read_only_fields = fields


class RegisterSerializer(serializers.ModelSerializer[Register]):
    """Sổ đăng ký văn bản đến / đi of an agency; a secret register keeps its own number series."""

    agency_detail = AgencyRefSerializer(source="agency", read_only=True)

    class Meta:
        model = Register
        fields = ("id", "agency", "agency_detail", "direction", "name", "is_secret", "is_default", "active")
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer[Attachment]):
    """A file of a document, stored with its SHA-256; ``download_url`` serves it as a download."""

    role = enum_field("AttachmentRoleEnum", Attachment.Role.choices, read_only=True)
    name = serializers.CharField(source="file.original_name", read_only=True)
    content_type = serializers.CharField(source="file.content_type", read_only=True)
    size = serializers.IntegerField(source="file.size", read_only=True)
    sha256 = serializers.CharField(source="file.sha256", read_only=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = ("id", "role", "name", "content_type", "size", "sha256", "download_url", "created_at")
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_download_url(self, att: Attachment) -> str:
        url = reverse("documents-api:file-detail", kwargs={"pk": att.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class EventSerializer(serializers.ModelSerializer[DocumentEvent]):
    """One step of the timeline (registered, presented, assigned, opinion, forwarded, completed, drafted,
    submitted, reviewed, returned, approved, signed, issued …)."""

    actor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = DocumentEvent
        fields = ("id", "kind", "actor", "at", "note", "data")
        read_only_fields = fields
        extra_kwargs = {"data": {"help_text": "Details of the step (ids, deadline, number …)."}}


class AssignmentSerializer(serializers.ModelSerializer[Assignment]):
    """Phân công: lead handler (chủ trì), co-handler (phối hợp) or reader (để biết)."""

    kind = enum_field("AssignmentKindEnum", Assignment.Kind.choices, read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    user = UserRefSerializer(read_only=True, allow_null=True)
    unit = AgencyRefSerializer(read_only=True, allow_null=True)
    assigned_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Assignment
        fields = (
            "id", "kind", "kind_display", "user", "unit", "deadline", "assigned_by", "parent",
            "created_at", "completed_at",
        )  # fmt: skip
        read_only_fields = fields


# --- Incoming documents ---------------------------------------------------------------------------------


class IncomingSerializer(serializers.ModelSerializer[IncomingDocument]):
    """Văn bản đến, one row of the incoming register."""

    document_type = DocumentTypeSerializer(read_only=True)
    register_name = serializers.CharField(source="register.name", read_only=True)
    number_notation = serializers.CharField(read_only=True, help_text="``15/QĐ-UBND``")
    source = enum_field(  # type: ignore[assignment]  # a field, not Field.source
        "IncomingSourceEnum", IncomingDocument.Source.choices, read_only=True
    )
    status = enum_field("IncomingStatusEnum", IncomingDocument.Status.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    urgency_display = serializers.CharField(source="get_urgency_display", read_only=True)
    confidentiality_display = serializers.CharField(source="get_confidentiality_display", read_only=True)
    deadline_flag = serializers.SerializerMethodField(
        help_text="`late` when past the due date, `due_soon` when at most 2 working days are left, else "
        "empty (open documents only)."
    )

    class Meta:
        model = IncomingDocument
        fields: tuple[str, ...] = (
            "id", "agency", "register", "register_name", "arrival_year", "arrival_number", "arrival_date",
            "document_type", "code_number", "code_notation", "number_notation", "issued_date", "subject",
            "issuing_agency_name", "signer_name", "urgency", "urgency_display", "confidentiality",
            "confidentiality_display", "source", "status", "status_display", "due_date", "deadline_flag",
        )  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(serializers.ChoiceField(choices=["", "late", "due_soon"]))
    def get_deadline_flag(self, doc: IncomingDocument) -> str:
        flag = self.context.get("deadline_flag") or getattr(self, "_deadline_flag", None)
        if flag is None:  # no flagger from the view: make one (one calendar query) and keep it
            flag = self._deadline_flag = selectors.deadline_flagger()
        return str(flag(doc))


class IncomingDetailSerializer(IncomingSerializer):
    """An incoming document with its files, assignments and timeline."""

    issuing_agency = AgencyRefSerializer(read_only=True, allow_null=True)
    created_by = UserRefSerializer(read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    timeline = EventSerializer(source="events", many=True, read_only=True)

    class Meta(IncomingSerializer.Meta):
        fields = (
            *IncomingSerializer.Meta.fields,
            "issuing_agency", "signer_position", "page_count", "external_id", "refusal_reason",
            "completed_at", "created_by", "created_at", "attachments", "assignments", "timeline",
        )  # fmt: skip
        read_only_fields = fields


class IncomingCreateSerializer(serializers.Serializer[Any]):
    """Vào sổ văn bản đến (clerks of the agency). Send as ``multipart/form-data`` with the files, repeating
    ``files`` for each one (PDF, DOCX, PNG, JPEG, TIFF, at most ``EGOV_MAX_UPLOAD_MB`` each)."""

    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        required=False,
        help_text="The receiving agency; the caller's clerk agency when omitted (needed if several).",
    )
    register = VisibleRegisterField(
        direction=Register.Direction.INCOMING,
        required=False,
        help_text="Incoming register; the agency's default (or its secret register for a secret document).",
    )
    document_type = serializers.PrimaryKeyRelatedField(queryset=DocumentType.objects.filter(active=True))
    # Blank reaches the service, which reports it together with the other fields' errors.
    subject = serializers.CharField(max_length=500, allow_blank=True, help_text="Trích yếu (required).")
    issuing_agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), required=False, allow_null=True, help_text="When it is in egov."
    )
    issuing_agency_name = serializers.CharField(
        max_length=255, required=False, allow_blank=True, default="", help_text="Cơ quan ban hành."
    )
    code_number = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    code_notation = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="Ký hiệu, starting with the type's abbreviation (``QĐ-UBND`` for a Quyết định).",
    )
    issued_date = serializers.DateField(
        required=False, allow_null=True, input_formats=DATE_FORMATS, help_text=DATE_HELP
    )
    signer_name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    signer_position = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices, required=False, default=Confidentiality.NORMAL
    )
    page_count = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=100000)
    due_date = serializers.DateField(
        required=False, allow_null=True, input_formats=DATE_FORMATS, help_text=DATE_HELP
    )
    source = enum_field(  # type: ignore[assignment]  # a field, not Field.source
        "IncomingRegisteredSourceEnum",
        [(s.value, s.label) for s in (IncomingDocument.Source.PAPER, IncomingDocument.Source.UPLOAD)],
        required=False,
        default=IncomingDocument.Source.PAPER,
        help_text="Paper document scanned by the clerk, or electronic file received otherwise.",
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )
    confirm_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Register even though the same document (issuing agency, number and notation, year) was "
        "already registered; without it such a request answers 409 with the duplicates.",
    )


class DuplicateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    number_notation = serializers.CharField()
    issuing_agency_name = serializers.CharField()
    arrival_number = serializers.IntegerField(allow_null=True)
    arrival_date = serializers.DateTimeField()
    subject = serializers.CharField()
    message = serializers.CharField()


class DuplicateConflictSerializer(serializers.Serializer[Any]):
    """The same document was already registered; send ``confirm_duplicate=true`` to register it anyway."""

    detail = serializers.CharField()
    duplicates = DuplicateSerializer(many=True)


class PresentSerializer(serializers.Serializer[Any]):
    leader = serializers.PrimaryKeyRelatedField(
        queryset=_staff(), required=False, allow_null=True, help_text="The leader it is presented to."
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class AssignTargetSerializer(serializers.Serializer[Any]):
    """A person or an internal unit of the document's agency."""

    user = serializers.PrimaryKeyRelatedField(queryset=_staff(), required=False, allow_null=True)
    unit = serializers.PrimaryKeyRelatedField(queryset=Agency.objects.all(), required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("user") is None and attrs.get("unit") is None:
            raise serializers.ValidationError(_("Cần chọn một người hoặc một đơn vị."))
        return attrs


class AssignSerializer(serializers.Serializer[Any]):
    """Ý kiến chỉ đạo and phân công (leaders of the agency); a new direction replaces the open one."""

    direction = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Ý kiến chỉ đạo."
    )
    lead = AssignTargetSerializer(help_text="Chủ trì xử lý.")
    cooperate = AssignTargetSerializer(many=True, required=False, help_text="Phối hợp.")
    inform = AssignTargetSerializer(many=True, required=False, help_text="Để biết.")
    deadline_working_days = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        max_value=365,
        help_text="Hạn xử lý in working days from today; the document's due date when omitted.",
    )


class OpinionSerializer(serializers.Serializer[Any]):
    text = serializers.CharField(max_length=5000, help_text="Ý kiến xử lý.")


class ForwardSerializer(serializers.Serializer[Any]):
    to = serializers.PrimaryKeyRelatedField(queryset=_staff(), help_text="A person of the caller's unit.")
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CompleteSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class RefuseSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500, help_text="Lý do từ chối, sent back to the sender.")


class AcceptSerializer(serializers.Serializer[Any]):
    register = VisibleRegisterField(
        direction=Register.Direction.INCOMING,
        required=False,
        allow_null=True,
        help_text="The agency's default register when omitted.",
    )


class IncomingFilterSerializer(serializers.Serializer[Any]):
    register = serializers.IntegerField(required=False, min_value=1, help_text="Only this register.")
    status = serializers.ChoiceField(choices=IncomingDocument.Status.choices, required=False)
    document_type = serializers.IntegerField(required=False, min_value=1)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)
    date_from = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text="Arrived on or after (" + DATE_HELP + ")"
    )
    date_to = serializers.DateField(
        required=False, input_formats=DATE_FORMATS, help_text="Arrived on or before (" + DATE_HELP + ")"
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Full-text search over metadata and file text, accent-insensitive; results by relevance.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("date_from") and attrs.get("date_to") and attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"date_to": [_("Ngày kết thúc phải sau ngày bắt đầu.")]})
        return attrs


# --- Outgoing documents ---------------------------------------------------------------------------------


class OutgoingSerializer(serializers.ModelSerializer[OutgoingDocument]):
    """Văn bản đi, one row of the list."""

    document_type = DocumentTypeSerializer(read_only=True)
    drafting_unit = AgencyRefSerializer(read_only=True, allow_null=True)
    number_notation = serializers.CharField(
        read_only=True, help_text="Given when the signer signs (``12/SNV-TC``)."
    )
    status = enum_field("OutgoingStatusEnum", OutgoingDocument.Status.choices, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    urgency_display = serializers.CharField(source="get_urgency_display", read_only=True)
    confidentiality_display = serializers.CharField(source="get_confidentiality_display", read_only=True)
    created_by = UserRefSerializer(read_only=True)

    class Meta:
        model = OutgoingDocument
        fields: tuple[str, ...] = (
            "id", "agency", "document_type", "subject", "drafting_unit", "status", "status_display",
            "code_number", "code_notation", "number_notation", "issued_date", "urgency", "urgency_display",
            "confidentiality", "confidentiality_display", "created_by", "created_at",
        )  # fmt: skip
        read_only_fields = fields


class RecipientSerializer(serializers.ModelSerializer[OutgoingRecipient]):
    """Nơi nhận and the latest status it reported (edXML 01 đã đến, 02 từ chối, 03 tiếp nhận, 04 phân công,
    05 đang xử lý, 06 hoàn thành)."""

    agency = AgencyRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = OutgoingRecipient
        fields = (
            "id",
            "agency",
            "organ_id",
            "name",
            "channel",
            "status_code",
            "status_description",
            "status_at",
        )
        read_only_fields = fields


class OutgoingDetailSerializer(OutgoingSerializer):
    """An outgoing document with its recipients, files and timeline."""

    signer = UserRefSerializer(read_only=True, allow_null=True)
    recipients = RecipientSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)
    timeline = EventSerializer(source="events", many=True, read_only=True)

    class Meta(OutgoingSerializer.Meta):
        fields = (
            *OutgoingSerializer.Meta.fields,
            "register", "signer", "signer_name", "signer_position", "signing_authority", "recipients_text",
            "issued_at", "recipients", "attachments", "timeline",
        )  # fmt: skip
        read_only_fields = fields


class OutgoingCreateSerializer(serializers.Serializer[Any]):
    """Soạn dự thảo văn bản đi (staff of the agency). Send as ``multipart/form-data`` with the draft files,
    repeating ``files`` and ``recipients`` for each one."""

    agency = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        required=False,
        help_text="The issuing agency; the caller's agency when omitted (required if there are several).",
    )
    document_type = serializers.PrimaryKeyRelatedField(queryset=DocumentType.objects.filter(active=True))
    # Blank reaches the service, which reports it together with the other fields' errors.
    subject = serializers.CharField(max_length=500, allow_blank=True, help_text="Trích yếu (required).")
    drafting_unit = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(),
        required=False,
        allow_null=True,
        help_text="Đơn vị soạn thảo (required for a công văn: its short name ends the notation).",
    )
    signer = serializers.PrimaryKeyRelatedField(
        queryset=_staff(), required=False, allow_null=True, help_text="The approving leader when omitted."
    )
    signing_authority = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text="TM., KT., TL., TUQ., Q."
    )
    recipients = serializers.PrimaryKeyRelatedField(
        queryset=Agency.objects.all(), many=True, required=False, help_text="Ids of the receiving agencies."
    )
    recipients_text = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.NORMAL)
    confidentiality = serializers.ChoiceField(
        choices=Confidentiality.choices, required=False, default=Confidentiality.NORMAL
    )
    files = serializers.ListField(
        child=serializers.FileField(allow_empty_file=True), required=False, default=list
    )


class ReviewSerializer(serializers.Serializer[Any]):
    approve = serializers.BooleanField(help_text="true: forward to the agency's leader; false: return.")
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Required to return."
    )


class ApproveSerializer(serializers.Serializer[Any]):
    approve = serializers.BooleanField(
        required=False, default=True, help_text="false: return to the drafter."
    )
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=2000, help_text="Required to return."
    )


class IssueSerializer(serializers.Serializer[Any]):
    register = VisibleRegisterField(
        direction=Register.Direction.OUTGOING,
        required=False,
        allow_null=True,
        help_text="The agency's default register when omitted.",
    )


class OutgoingFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=OutgoingDocument.Status.choices, required=False)
    document_type = serializers.IntegerField(required=False, min_value=1)
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Full-text search over metadata and file text, accent-insensitive; results by relevance.",
    )


class RegisterFilterSerializer(serializers.Serializer[Any]):
    direction = serializers.ChoiceField(choices=Register.Direction.choices, required=False)
    agency = serializers.IntegerField(required=False, min_value=1)
