"""Forms of the document pages. They only check and convert input (and repeat a few service rules so that
the error shows next to its field); saving is always done by ``documents.services`` / ``documents.outgoing``,
which check everything again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from egov.core.text import fold
from egov.directory.forms import VietnameseDateField
from egov.directory.models import Agency, Position, User
from egov.documents import services
from egov.documents.models import (
    Confidentiality,
    DocumentType,
    IncomingDocument,
    OutgoingDocument,
    Register,
    Urgency,
)

ACCEPT = ".pdf,.docx,.png,.jpg,.jpeg,.tif,.tiff,application/pdf,image/*"
MAX_FILES = 20
SIGNING_AUTHORITIES = ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "KT. GIÁM ĐỐC", "TL. GIÁM ĐỐC", "TUQ. GIÁM ĐỐC"]


# --- Fields ---------------------------------------------------------------------------------------------


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (PDF, DOCX, scans). The size limit is checked here so that an oversized file
    is refused before anything is read; the content (type, corruption) is checked by ``storage.store``."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        items = [d for d in (data if isinstance(data, list | tuple) else [data]) if d]
        if not items:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(items) > MAX_FILES:
            raise ValidationError(_("Chỉ đính kèm tối đa %(n)s tệp mỗi lần.") % {"n": MAX_FILES})
        limit = int(settings.EGOV_MAX_UPLOAD_MB) * 1024 * 1024
        errors = []
        for item in items:
            super().clean(item, initial)
            if item.size > limit:
                errors.append(
                    ValidationError(
                        _("Tệp “%(n)s” vượt quá %(m)s MB.")
                        % {"n": item.name, "m": settings.EGOV_MAX_UPLOAD_MB}
                    )
                )
            elif item.size == 0:
                errors.append(ValidationError(_("Tệp “%(n)s” rỗng.") % {"n": item.name}))
        if errors:
            raise ValidationError(errors)
        return items


class RegisterChoiceField(forms.ModelChoiceField):
    show_agency = False

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.agency.name}" if self.show_agency else str(obj.name)


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.get_full_name())


def _choice_field(
    choices: Any, label: Any, required: bool = True, initial: Any = None
) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        choices=choices, coerce=int, label=label, required=required, initial=initial
    )


def _people_choices(positions: QuerySet[Position]) -> list[tuple[str, str]]:
    """``u<pk>`` → "Name — title, unit" (one entry per person, their first position)."""
    seen: dict[int, str] = {}
    for p in positions:
        if p.user_id not in seen:
            title = p.title or p.get_role_display()
            seen[p.user_id] = f"{p.user.get_full_name()} — {title}, {p.agency.name}"
    return [(f"u{pk}", label) for pk, label in sorted(seen.items(), key=lambda kv: fold(kv[1]))]


# --- Incoming -------------------------------------------------------------------------------------------


class IncomingRegisterForm(forms.Form):
    """Vào sổ văn bản đến (paper document or electronic file) at one of the clerk's registers."""

    register = RegisterChoiceField(queryset=Register.objects.none(), label=_("Sổ đăng ký"), empty_label=None)
    source = forms.ChoiceField(
        label=_("Hình thức nhận"),
        choices=[
            (IncomingDocument.Source.PAPER, IncomingDocument.Source.PAPER.label),
            (IncomingDocument.Source.UPLOAD, IncomingDocument.Source.UPLOAD.label),
        ],
        initial=IncomingDocument.Source.PAPER,
    )
    document_type = forms.ModelChoiceField(
        queryset=DocumentType.objects.none(), label=_("Loại văn bản"), empty_label=_("— Chọn loại —")
    )
    issuing_agency_name = forms.CharField(
        label=_("Cơ quan ban hành"),
        max_length=255,
        widget=forms.TextInput(attrs={"autocomplete": "off", "list": "agency-suggestions"}),
    )
    code_number = forms.CharField(
        label=_("Số"),
        max_length=11,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off", "placeholder": "15"}),
        help_text=_("Chỉ gồm chữ số."),
    )
    code_notation = forms.CharField(
        label=_("Ký hiệu"),
        max_length=30,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "QĐ-UBND"}
        ),
        help_text=_("Ví dụ QĐ-UBND; công văn: UBND-VX."),
    )
    issued_date = VietnameseDateField(label=_("Ngày văn bản"))
    subject = forms.CharField(label=_("Trích yếu"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    signer_name = forms.CharField(label=_("Người ký"), max_length=100, required=False)
    signer_position = forms.CharField(label=_("Chức vụ người ký"), max_length=100, required=False)
    urgency = _choice_field(Urgency.choices, _("Độ khẩn"), initial=Urgency.NORMAL)
    confidentiality = _choice_field(Confidentiality.choices, _("Độ mật"), initial=Confidentiality.NORMAL)
    page_count = forms.IntegerField(label=_("Số trang"), min_value=1, max_value=10000, required=False)
    due_date = VietnameseDateField(
        label=_("Hạn xử lý"), required=False, help_text=_("Để trống nếu văn bản không yêu cầu hạn.")
    )
    files = MultipleFileField(  # type: ignore[assignment]  # the field is named as the service argument
        label=_("Tệp văn bản"),
        required=False,
        help_text=_("PDF, DOCX hoặc ảnh quét (PNG, JPEG, TIFF); chọn được nhiều tệp."),
    )
    confirm_duplicate = forms.BooleanField(
        label=_("Tôi đã kiểm tra: đây không phải bản trùng, vẫn vào sổ."), required=False
    )

    def __init__(
        self, *args: Any, registers: QuerySet[Register], types: QuerySet[DocumentType], **kw: Any
    ) -> None:
        super().__init__(*args, **kw)
        register = self.fields["register"]
        assert isinstance(register, forms.ModelChoiceField)
        register.queryset = registers
        several_agencies = len({r.agency_id for r in registers}) > 1
        if isinstance(register, RegisterChoiceField):
            register.show_agency = several_agencies
        default = next((r for r in registers if r.is_default), None)
        if default is not None:
            register.initial = default.pk
        doc_type = self.fields["document_type"]
        assert isinstance(doc_type, forms.ModelChoiceField)
        doc_type.queryset = types

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        doc_type, notation = data.get("document_type"), data.get("code_notation", "")
        if doc_type and notation:
            try:
                services.validate_notation(doc_type, notation)
            except ValidationError as exc:
                self.add_error("code_notation", exc.message_dict["code_notation"])
        number = data.get("code_number", "")
        if number and not number.isdigit():
            self.add_error("code_number", _("Số văn bản chỉ gồm chữ số."))
        issued, due = data.get("issued_date"), data.get("due_date")
        if issued and due and due < issued:
            self.add_error("due_date", _("Hạn xử lý không được trước ngày văn bản."))
        register = data.get("register")
        secret = (data.get("confidentiality") or 0) > Confidentiality.NORMAL
        if register is not None and secret and not register.is_secret:
            self.add_error("register", _("Văn bản mật phải vào sổ văn bản mật."))
        return data

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        register = d["register"]
        return {
            "agency": register.agency,
            "register": register,
            "source": d["source"],
            "document_type": d["document_type"],
            "issuing_agency_name": d["issuing_agency_name"],
            "code_number": d["code_number"].strip(),
            "code_notation": d["code_notation"].strip(),
            "issued_date": d["issued_date"],
            "subject": d["subject"],
            "signer_name": d["signer_name"].strip(),
            "signer_position": d["signer_position"].strip(),
            "urgency": d["urgency"],
            "confidentiality": d["confidentiality"],
            "page_count": d["page_count"],
            "due_date": d["due_date"],
            "files": d["files"],
        }


class DuplicateCheckForm(forms.Form):
    """The fields the live duplicate check of the register form reads (htmx, on change)."""

    register = forms.ModelChoiceField(queryset=Register.objects.none(), required=False)
    issuing_agency_name = forms.CharField(max_length=255, required=False)
    code_number = forms.CharField(max_length=11, required=False)
    code_notation = forms.CharField(max_length=30, required=False)
    issued_date = VietnameseDateField(required=False)

    def __init__(self, *args: Any, registers: QuerySet[Register], **kw: Any) -> None:
        super().__init__(*args, **kw)
        register = self.fields["register"]
        assert isinstance(register, forms.ModelChoiceField)
        register.queryset = registers


class AcceptForm(forms.Form):
    prefix = "accept"
    register = forms.ModelChoiceField(queryset=Register.objects.none(), label=_("Vào sổ"), empty_label=None)

    def __init__(self, *args: Any, registers: QuerySet[Register], **kw: Any) -> None:
        super().__init__(*args, **kw)
        register = self.fields["register"]
        assert isinstance(register, forms.ModelChoiceField)
        register.queryset = registers


class RefuseForm(forms.Form):
    prefix = "refuse"
    reason = forms.CharField(
        label=_("Lý do từ chối"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )


class PresentForm(forms.Form):
    prefix = "present"
    leader = UserChoiceField(
        queryset=User.objects.none(),
        label=_("Lãnh đạo nhận trình"),
        required=False,
        empty_label=_("— Lãnh đạo cơ quan —"),
    )
    note = forms.CharField(
        label=_("Ghi chú"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, leaders: QuerySet[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        leader = self.fields["leader"]
        assert isinstance(leader, forms.ModelChoiceField)
        leader.queryset = leaders


class AssignForm(forms.Form):
    """Phân công xử lý: the leader's direction, one lead (a person or a unit), co-handlers, readers, and a
    deadline in working days."""

    direction = forms.CharField(
        label=_("Ý kiến chỉ đạo"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "autofocus": True}),
    )
    lead = forms.ChoiceField(label=_("Chủ trì xử lý"))
    cooperate = forms.MultipleChoiceField(
        label=_("Phối hợp"), required=False, widget=forms.CheckboxSelectMultiple
    )
    inform = forms.MultipleChoiceField(
        label=_("Để biết"), required=False, widget=forms.CheckboxSelectMultiple
    )
    deadline_working_days = forms.IntegerField(
        label=_("Hạn xử lý (số ngày làm việc)"),
        min_value=1,
        max_value=365,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Không tính thứ Bảy, Chủ nhật và ngày lễ. Để trống: giữ hạn hiện có."),
    )

    def __init__(self, *args: Any, positions: QuerySet[Position], units: QuerySet[Agency], **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.people = _people_choices(positions)
        self.units = [(f"a{u.pk}", u.name) for u in units]
        self._targets = {key for key, _label in self.people + self.units}
        grouped = [(_("Cán bộ"), self.people)] + ([(_("Phòng, đơn vị"), self.units)] if self.units else [])
        lead = self.fields["lead"]
        assert isinstance(lead, forms.ChoiceField)
        lead.choices = [("", _("— Chọn người hoặc đơn vị —")), *grouped]
        for name in ("cooperate", "inform"):
            field = self.fields[name]
            assert isinstance(field, forms.MultipleChoiceField)
            field.choices = self.people + self.units

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        lead = data.get("lead")
        cooperate, inform = data.get("cooperate") or [], data.get("inform") or []
        if lead and lead in cooperate:
            self.add_error("cooperate", _("Người chủ trì không đồng thời là người phối hợp."))
        if lead and lead in inform:
            self.add_error("inform", _("Người chủ trì không đồng thời ở danh sách để biết."))
        if set(cooperate) & set(inform):
            self.add_error("inform", _("Một người không vừa phối hợp vừa để biết."))
        return data

    def specs(self) -> dict[str, Any]:
        """Arguments of ``services.assign`` (people and units looked up by the caller's resolver)."""
        return {
            "lead": self.cleaned_data["lead"],
            "cooperate": self.cleaned_data["cooperate"],
            "inform": self.cleaned_data["inform"],
        }


class OpinionForm(forms.Form):
    prefix = "opinion"
    text = forms.CharField(label=_("Ý kiến xử lý"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))


class ForwardForm(forms.Form):
    prefix = "forward"
    to = UserChoiceField(
        queryset=User.objects.none(), label=_("Chuyển cho"), empty_label=_("— Chọn cán bộ —")
    )
    note = forms.CharField(
        label=_("Ghi chú"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, colleagues: QuerySet[User], **kw: Any) -> None:
        super().__init__(*args, **kw)
        to = self.fields["to"]
        assert isinstance(to, forms.ModelChoiceField)
        to.queryset = colleagues


class CompleteForm(forms.Form):
    prefix = "complete"
    summary = forms.CharField(
        label=_("Kết quả xử lý"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Ví dụ: đã có văn bản trả lời số 12/SNV-TC."),
    )


# --- Outgoing -------------------------------------------------------------------------------------------


class RecipientsField(forms.ModelMultipleChoiceField):
    """Agencies chosen through the directory search; only the chosen ones are rendered (as checkboxes)."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class OutgoingDraftForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), label=_("Cơ quan ban hành"), empty_label=None
    )
    document_type = forms.ModelChoiceField(
        queryset=DocumentType.objects.none(), label=_("Loại văn bản"), empty_label=_("— Chọn loại —")
    )
    subject = forms.CharField(label=_("Trích yếu"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    drafting_unit = forms.ModelChoiceField(
        queryset=Agency.objects.none(),
        label=_("Đơn vị soạn thảo"),
        required=False,
        empty_label=_("— Không ghi —"),
        help_text=_("Công văn cần đơn vị soạn thảo có tên viết tắt (ký hiệu dạng SNV-TC)."),
    )
    signer = UserChoiceField(
        queryset=User.objects.none(),
        label=_("Người ký"),
        required=False,
        empty_label=_("— Lãnh đạo duyệt sẽ ký —"),
    )
    signing_authority = forms.CharField(
        label=_("Thẩm quyền ký"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"list": "signing-authorities", "autocomplete": "off"}),
        help_text=_(
            "Ví dụ: KT. GIÁM ĐỐC, TL. GIÁM ĐỐC, TM. ỦY BAN NHÂN DÂN. Để trống khi người đứng đầu ký."
        ),
    )
    urgency = _choice_field(Urgency.choices, _("Độ khẩn"), initial=Urgency.NORMAL)
    confidentiality = _choice_field(Confidentiality.choices, _("Độ mật"), initial=Confidentiality.NORMAL)
    recipients = RecipientsField(queryset=Agency.objects.none(), label=_("Cơ quan nhận"), required=False)
    recipients_text = forms.CharField(
        label=_("Nơi nhận (ghi trên văn bản)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "- Như trên;\n- Lưu: VT, TC."}),
    )
    files = MultipleFileField(  # type: ignore[assignment]  # the field is named as the service argument
        label=_("Tệp dự thảo"),
        help_text=_("Bản PDF để ký số (có thể kèm bản DOCX)."),
    )

    def __init__(
        self,
        *args: Any,
        agencies: list[Agency],
        units: QuerySet[Agency],
        signers: QuerySet[User],
        types: QuerySet[DocumentType],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        agency = self.fields["agency"]
        assert isinstance(agency, forms.ModelChoiceField)
        agency.queryset = Agency.objects.filter(pk__in=[a.pk for a in agencies]).order_by("path")
        self.single_agency = len(agencies) == 1
        if self.single_agency:
            agency.initial = agencies[0].pk
            agency.widget = forms.HiddenInput()
        for name, qs in (("drafting_unit", units), ("signer", signers), ("document_type", types)):
            field = self.fields[name]
            assert isinstance(field, forms.ModelChoiceField)
            field.queryset = qs
        recipients = self.fields["recipients"]
        assert isinstance(recipients, forms.ModelMultipleChoiceField)
        recipients.queryset = Agency.objects.current()

    def chosen_recipients(self) -> list[Agency]:
        """The recipients to show as checked: the cleaned ones, or those of the submitted data."""
        if hasattr(self, "cleaned_data") and "recipients" in self.cleaned_data:
            return list(self.cleaned_data["recipients"])
        if not self.is_bound:
            return []
        data: Any = self.data
        ids = [v for v in data.getlist("recipients") if str(v).isdigit()]
        return list(Agency.objects.current().filter(pk__in=ids).order_by("name"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        doc_type, unit = data.get("document_type"), data.get("drafting_unit")
        if doc_type is not None and doc_type.is_cong_van and (unit is None or not unit.short_name):
            self.add_error("drafting_unit", _("Công văn cần đơn vị soạn thảo có tên viết tắt (ví dụ VX)."))
        return data

    def service_fields(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "agency": d["agency"],
            "document_type": d["document_type"],
            "subject": d["subject"],
            "drafting_unit": d["drafting_unit"],
            "signer": d["signer"],
            "signing_authority": d["signing_authority"].strip(),
            "urgency": d["urgency"],
            "confidentiality": d["confidentiality"],
            "recipients": list(d["recipients"]),
            "recipients_text": d["recipients_text"].strip(),
            "files": d["files"],
        }


class DecisionForm(forms.Form):
    prefix = "decision"
    """Review (unit head) or approval (agency leader): forward/approve, or return with a reason."""

    note = forms.CharField(
        label=_("Ý kiến"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    decision = forms.ChoiceField(choices=[("approve", "approve"), ("return", "return")])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "return" and not (data.get("note") or "").strip():
            self.add_error("note", _("Cần ghi lý do trả lại."))
        return data


class IssueForm(forms.Form):
    prefix = "issue"
    register = forms.ModelChoiceField(
        queryset=Register.objects.none(), label=_("Sổ văn bản đi"), empty_label=None
    )

    def __init__(self, *args: Any, registers: QuerySet[Register], **kw: Any) -> None:
        super().__init__(*args, **kw)
        register = self.fields["register"]
        assert isinstance(register, forms.ModelChoiceField)
        register.queryset = registers


# --- Lists and search -----------------------------------------------------------------------------------


class ListFilterForm(forms.Form):
    """Filters of the incoming/outgoing register lists and of the search page."""

    q = forms.CharField(label=_("Từ khóa"), required=False, max_length=200)
    agency_text = forms.CharField(label=_("Cơ quan ban hành"), required=False, max_length=200)
    register = forms.TypedChoiceField(label=_("Sổ"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(label=_("Trạng thái"), required=False)
    document_type = forms.TypedChoiceField(
        label=_("Loại văn bản"), required=False, coerce=int, empty_value=None
    )
    urgency = forms.TypedChoiceField(label=_("Độ khẩn"), required=False, coerce=int, empty_value=None)
    date_from = VietnameseDateField(label=_("Từ ngày"), required=False)
    date_to = VietnameseDateField(label=_("Đến ngày"), required=False)

    def __init__(
        self,
        *args: Any,
        registers: QuerySet[Register],
        statuses: Any,
        types: QuerySet[DocumentType],
        **kw: Any,
    ) -> None:
        super().__init__(*args, **kw)
        several_agencies = len({r.agency_id for r in registers}) > 1
        choices = {
            "register": [("", _("Tất cả các sổ"))]
            + [(r.pk, f"{r.name} — {r.agency.name}" if several_agencies else r.name) for r in registers],
            "status": [("", _("Tất cả trạng thái")), *statuses],
            "document_type": [("", _("Tất cả các loại")), *[(t.pk, t.name) for t in types]],
            "urgency": [("", _("Tất cả")), *Urgency.choices],
        }
        for name, values in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = values

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("Ngày kết thúc không được trước ngày bắt đầu."))
        return data

    def filters(self) -> dict[str, Any]:
        """The valid filters (an invalid one is dropped, and its error shown next to it)."""
        if not self.is_bound:
            return {}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {k: v for k, v in data.items() if v not in (None, "") and k not in self.errors}


class ExportForm(forms.Form):
    register = forms.ModelChoiceField(queryset=Register.objects.none(), label=_("Sổ"))
    date_from = VietnameseDateField(label=_("Từ ngày"), required=False)
    date_to = VietnameseDateField(label=_("Đến ngày"), required=False)
    format = forms.ChoiceField(label=_("Định dạng"), choices=[("xlsx", "Excel"), ("pdf", "PDF")])

    def __init__(self, *args: Any, registers: QuerySet[Register], **kw: Any) -> None:
        super().__init__(*args, **kw)
        register = self.fields["register"]
        assert isinstance(register, forms.ModelChoiceField)
        register.queryset = registers

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("Ngày kết thúc không được trước ngày bắt đầu."))
        return data


INCOMING_STATUSES = IncomingDocument.Status.choices
OUTGOING_STATUSES = OutgoingDocument.Status.choices


class RevocationDecisionForm(forms.Form):
    """Trả lời đề nghị thu hồi: đồng ý (15) hoặc từ chối có lý do (16)."""

    prefix = "revocation"

    decision = forms.ChoiceField(
        label=_("Quyết định"),
        choices=[("accept", _("Đồng ý thu hồi")), ("refuse", _("Từ chối thu hồi"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Lý do từ chối"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") == "refuse" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Cần ghi lý do từ chối thu hồi."))
        return data


class RevokeForm(forms.Form):
    prefix = "revoke"
    reason = forms.CharField(
        label=_("Lý do thu hồi"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
