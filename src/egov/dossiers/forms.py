"""Forms of the one-stop officer pages (Bộ phận Một cửa). They only check and convert input (and repeat a
few service rules so that the error shows next to its field); every change is made by
``egov.dossiers.services``, which checks everything again."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from egov.directory.forms import VietnameseDateField
from egov.directory.models import Agency, User
from egov.dossiers.models import OPEN_STATUSES, DeadlineFlag, Dossier, Status
from egov.procedures.models import Channel, Procedure, RequiredPaper

ACCEPT_SCAN = ".pdf,.png,.jpg,.jpeg,.tif,.tiff,application/pdf,image/*"
ACCEPT_PDF = ".pdf,application/pdf"


class ScanField(forms.FileField):
    """One scanned paper; the size limit is checked before anything is read (the content by storage)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.ClearableFileInput(attrs={"accept": ACCEPT_SCAN}))
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        value = super().clean(data, initial)
        if value:
            limit = int(settings.EGOV_MAX_UPLOAD_MB) * 1024 * 1024
            if value.size > limit:
                raise ValidationError(
                    _("Tệp “%(name)s” vượt quá %(mb)s MB.")
                    % {"name": value.name, "mb": settings.EGOV_MAX_UPLOAD_MB}
                )
        return value


# --- queue and statistics -------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Danh sách"),
        required=False,
        choices=[
            ("reception", _("Hồ sơ tiếp nhận tại đơn vị")),
            ("steps", _("Hồ sơ đang xử lý tại đơn vị")),
            ("all", _("Tất cả")),
        ],
    )
    status = forms.TypedChoiceField(label=_("Trạng thái"), required=False, coerce=int, empty_value=None)
    flag = forms.TypedChoiceField(label=_("Cảnh báo hạn"), required=False, coerce=int, empty_value=None)
    procedure = forms.TypedChoiceField(label=_("Thủ tục"), required=False, coerce=int, empty_value=None)
    q = forms.CharField(label=_("Mã hồ sơ, CCCD hoặc tên"), required=False, max_length=100)

    def __init__(self, *args: Any, procedures: QuerySet[Procedure] | list[Procedure], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._choices("status", [(int(s), Status(s).label) for s in OPEN_STATUSES], _("Mọi trạng thái"))
        self._choices("flag", DeadlineFlag.choices, _("Mọi hạn"))
        self._choices("procedure", [(p.pk, f"{p.code} — {p.name}") for p in procedures], _("Mọi thủ tục"))

    def _choices(self, name: str, items: Any, empty: Any) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", empty), *items]

    def values(self) -> dict[str, Any]:
        if not self.is_valid():
            return {}
        data = self.cleaned_data
        return {
            "kind": data.get("kind") or "",
            "status": data.get("status"),
            "flag": data.get("flag"),
            "procedure_id": data.get("procedure"),
            "search": (data.get("q") or "").strip(),
        }


class DateRangeForm(forms.Form):
    agency = forms.TypedChoiceField(label=_("Cơ quan"), coerce=int)
    date_from = VietnameseDateField(label=_("Từ ngày"))
    date_to = VietnameseDateField(label=_("Đến ngày"))

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(a.pk, a.name) for a in agencies]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if end < start:
                self.add_error("date_to", _("Ngày kết thúc không được trước ngày bắt đầu."))
            elif (end - start).days > 3660:
                self.add_error("date_to", _("Chỉ thống kê tối đa 10 năm mỗi lần."))
        return data


# --- desk reception -------------------------------------------------------------------------------------


class ProcedureSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Tìm thủ tục (mã hoặc tên, gõ không dấu được)"), required=False, max_length=200
    )
    agency = forms.TypedChoiceField(label=_("Nơi tiếp nhận"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, agencies: list[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["agency"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(a.pk, a.name) for a in agencies]


class DeskForm(forms.Form):
    """Tiếp nhận hồ sơ tại Bộ phận Một cửa: the applicant, the channel and the checklist of papers (one
    checkbox "received" and one optional scan per paper of the procedure)."""

    DECISIONS = [("accept", _("Tiếp nhận hồ sơ")), ("refuse", _("Từ chối tiếp nhận"))]

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100, required=False)
    applicant_kind = forms.TypedChoiceField(
        label=_("Loại đối tượng"),
        coerce=int,
        choices=Dossier.ApplicantKind.choices,
        initial=Dossier.ApplicantKind.CITIZEN,
        widget=forms.RadioSelect,
    )
    applicant_name = forms.CharField(label=_("Họ tên chủ hồ sơ / tên tổ chức"), max_length=255)
    applicant_identity = forms.CharField(
        label=_("Số CCCD/định danh"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=_("12 chữ số; bắt buộc với công dân."),
    )
    applicant_phone = forms.CharField(
        label=_("Điện thoại"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "tel"}),
    )
    applicant_email = forms.EmailField(label=_("Thư điện tử"), required=False)
    applicant_address = forms.CharField(label=_("Địa chỉ"), max_length=500, required=False)
    channel = forms.TypedChoiceField(
        label=_("Hình thức nộp"),
        coerce=int,
        choices=[
            (Channel.DIRECT, _("Trực tiếp tại Bộ phận Một cửa")),
            (Channel.POSTAL, _("Qua bưu chính công ích")),
        ],
        initial=Channel.DIRECT,
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("Nội dung yêu cầu"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    decision = forms.ChoiceField(
        label=_("Kết quả kiểm tra"), choices=DECISIONS, initial="accept", widget=forms.RadioSelect
    )
    refusal_reason = forms.CharField(
        label=_("Lý do từ chối"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Bắt buộc khi từ chối tiếp nhận; được ghi vào phiếu từ chối (mẫu 03)."),
    )

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.papers: list[RequiredPaper] = list(procedure.papers.all())
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4().hex)
        for paper in self.papers:
            self.fields[f"paper_{paper.pk}"] = forms.BooleanField(label=paper.name, required=False)
            self.fields[f"scan_{paper.pk}"] = ScanField(label=_("Bản chụp: %(n)s") % {"n": paper.name[:80]})

    def paper_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "paper": p,
                "check": self[f"paper_{p.pk}"],
                "scan": self[f"scan_{p.pk}"],
                "mandatory": self._mandatory(p),
            }
            for p in self.papers
        ]

    @staticmethod
    def _mandatory(paper: RequiredPaper) -> bool:
        return paper.is_required and not paper.case

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("applicant_kind") == Dossier.ApplicantKind.CITIZEN
            and not (data.get("applicant_identity") or "").strip()
        ):
            self.add_error("applicant_identity", _("Cần nhập số CCCD của chủ hồ sơ."))
        if data.get("decision") == "refuse":
            if not (data.get("refusal_reason") or "").strip():
                self.add_error("refusal_reason", _("Cần ghi lý do từ chối tiếp nhận."))
        elif data.get("decision") == "accept":
            missing = []
            for paper in self.papers:
                if (
                    self._mandatory(paper)
                    and not data.get(f"paper_{paper.pk}")
                    and not data.get(f"scan_{paper.pk}")
                ):
                    self.add_error(f"paper_{paper.pk}", _("Giấy tờ bắt buộc chưa được nộp."))
                    missing.append(paper.name)
            if missing:
                raise ValidationError(
                    _(
                        "Thiếu giấy tờ bắt buộc: %(list)s. "
                        "Hướng dẫn người nộp bổ sung hoặc chọn từ chối tiếp nhận."
                    )
                    % {"list": "; ".join(missing)}
                )
        return data

    def paper_inputs(self) -> list[Any]:
        from egov.dossiers.services import PaperInput

        items = []
        for paper in self.papers:
            scan = self.cleaned_data.get(f"scan_{paper.pk}")
            if self.cleaned_data.get(f"paper_{paper.pk}") or scan:
                items.append(PaperInput(required_paper=paper, upload=scan or None))
        return items

    def applicant(self) -> Any:
        from egov.dossiers.services import Applicant

        d = self.cleaned_data
        return Applicant(
            name=d["applicant_name"],
            identity_number=d.get("applicant_identity") or "",
            phone=d.get("applicant_phone") or "",
            email=d.get("applicant_email") or "",
            address=d.get("applicant_address") or "",
            kind=d["applicant_kind"],
        )


# --- actions of the dossier page ------------------------------------------------------------------------


def _person_label(user: User) -> str:
    name = user.get_full_name() or user.username
    if getattr(user, "via_delegation", False):
        return _("%(name)s (ủy quyền)") % {"name": name}
    return name


def _people_choices(field: forms.Field, people: QuerySet[User] | list[User], empty: Any = None) -> None:
    assert isinstance(field, forms.ChoiceField)
    items = [(u.pk, _person_label(u)) for u in people]
    field.choices = [("", empty), *items] if empty is not None else items


class ConfirmForm(forms.Form):
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), widget=forms.Textarea(attrs={"rows": 3}))

    def clean_reason(self) -> str:
        value = self.cleaned_data["reason"].strip()
        if not value:
            raise ValidationError(_("Cần ghi lý do."))
        return value


class OptionalReasonForm(forms.Form):
    reason = forms.CharField(label=_("Lý do"), required=False, widget=forms.Textarea(attrs={"rows": 3}))


class HandlerForm(forms.Form):
    """Start processing (chọn người xử lý bước đầu) or forward the current step (phân công trong đơn vị)."""

    handler = forms.TypedChoiceField(label=_("Người xử lý"), coerce=int)
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, people: list[User], required: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {u.pk: u for u in people}
        field = self.fields["handler"]
        field.required = required
        _people_choices(field, people, None if required else _("— Để đơn vị tự phân công —"))
        if required:
            field.error_messages["required"] = _("Chọn người xử lý.")

    def clean_handler(self) -> User | None:
        value = self.cleaned_data.get("handler")
        if value in (None, ""):
            return None
        if value not in self.people:
            raise ValidationError(_("Người được chọn không xử lý được bước này."))
        return self.people[value]


class CompleteForm(HandlerForm):
    """Hoàn thành bước (đồng ý): with the handler of the next step when there is one."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, required=False, **kwargs)
        self.fields["handler"].label = _("Người xử lý bước tiếp theo")
        self.fields["note"].label = _("Ý kiến xử lý")


class SupplementForm(forms.Form):
    reason = forms.CharField(label=_("Lý do yêu cầu bổ sung"), widget=forms.Textarea(attrs={"rows": 3}))
    papers = forms.MultipleChoiceField(
        label=_("Giấy tờ cần bổ sung"), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_papers = forms.CharField(
        label=_("Giấy tờ khác"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Mỗi dòng một giấy tờ."),
    )

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["papers"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(p.name, p.name) for p in procedure.papers.all()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "reason" in data and not data["reason"].strip():
            self.add_error("reason", _("Cần ghi lý do yêu cầu bổ sung."))
        return data

    def wanted(self) -> list[str]:
        other = [
            line.strip()
            for line in (self.cleaned_data.get("other_papers") or "").splitlines()
            if line.strip()
        ]
        return [*self.cleaned_data.get("papers", []), *other]


class ProvideForm(forms.Form):
    """Nhận giấy tờ bổ sung tại Bộ phận Một cửa."""

    required_paper = forms.TypedChoiceField(label=_("Giấy tờ"), required=False, coerce=int, empty_value=None)
    name = forms.CharField(label=_("Tên giấy tờ khác"), required=False, max_length=1000)
    upload = ScanField(label=_("Bản chụp (không bắt buộc)"))
    note = forms.CharField(label=_("Ghi chú"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, procedure: Procedure, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["required_paper"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", _("— Giấy tờ khác (ghi tên) —")),
            *[(p.pk, p.name) for p in procedure.papers.all()],
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("required_paper") and not (data.get("name") or "").strip():
            self.add_error("name", _("Chọn giấy tờ hoặc ghi tên giấy tờ bổ sung."))
        return data


class PaymentRequestForm(forms.Form):
    amount = forms.IntegerField(label=_("Số tiền (đồng)"), min_value=1, max_value=10_000_000_000)


class PaymentRecordForm(forms.Form):
    reference = forms.CharField(label=_("Số chứng từ (nếu có)"), required=False, max_length=128)


class ApologyForm(forms.Form):
    reason = forms.CharField(label=_("Lý do chậm trả kết quả"), widget=forms.Textarea(attrs={"rows": 3}))
    new_due_date = VietnameseDateField(label=_("Ngày hẹn trả mới"))
    issuer_title = forms.CharField(label=_("Chức vụ người ký"), required=False, max_length=255)

    def __init__(self, *args: Any, current_due: dt.date | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.current_due = current_due

    def clean_new_due_date(self) -> dt.date:
        value: dt.date = self.cleaned_data["new_due_date"]
        if self.current_due is not None and value <= self.current_due:
            raise ValidationError(_("Ngày hẹn mới phải sau ngày hẹn hiện tại."))
        return value


class ResultForm(forms.Form):
    upload = forms.FileField(
        label=_("Tệp kết quả"), widget=forms.ClearableFileInput(attrs={"accept": ACCEPT_SCAN})
    )
    sign = forms.BooleanField(label=_("Ký số bằng chứng thư số của cơ quan"), required=False)
    note = forms.CharField(label=_("Kết quả giải quyết"), required=False, max_length=1000)

    def __init__(self, *args: Any, can_sign: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.can_sign = can_sign
        if not can_sign:
            del self.fields["sign"]
        else:
            self.initial.setdefault("sign", True)

    def clean_upload(self) -> Any:
        value = self.cleaned_data["upload"]
        limit = int(settings.EGOV_MAX_UPLOAD_MB) * 1024 * 1024
        if value is not None and value.size > limit:
            raise ValidationError(_("Tệp vượt quá %(mb)s MB.") % {"mb": settings.EGOV_MAX_UPLOAD_MB})
        return value


class ReturnForm(forms.Form):
    method = forms.ChoiceField(
        label=_("Hình thức trả"), choices=Dossier.ReturnMethod.choices, widget=forms.RadioSelect
    )
    tracking_number = forms.CharField(label=_("Số vận đơn bưu chính"), required=False, max_length=64)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("method") == Dossier.ReturnMethod.POST
            and not (data.get("tracking_number") or "").strip()
        ):
            self.add_error("tracking_number", _("Cần số vận đơn khi trả kết quả qua bưu chính."))
        return data
