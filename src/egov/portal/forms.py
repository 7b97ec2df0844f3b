"""Forms of the citizen portal (cổng dịch vụ công). They check what a citizen can fix on the spot (CCCD,
phone, e-mail, the papers and their files); the dossier services check everything again and decide."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from egov.directory.models import User
from egov.directory.validators import normalise_phone, validate_cccd, validate_phone
from egov.documents import storage
from egov.procedures.models import Procedure, RequiredPaper
from egov.procedures.selectors import fields_with_counts

ANY: list[tuple[str, Any]] = [("", gettext_lazy("Tất cả"))]


class SearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("Tìm thủ tục"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": gettext_lazy("Ví dụ: đăng ký khai sinh"),
                "autocomplete": "off",
            }
        ),
    )
    field = forms.ChoiceField(label=gettext_lazy("Lĩnh vực"), required=False)
    level = forms.ChoiceField(label=gettext_lazy("Cấp thực hiện"), required=False)
    online_level = forms.ChoiceField(label=gettext_lazy("Mức độ trực tuyến"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: list[tuple[str, Any]] = [
            (f.code, f.name) for f in fields_with_counts() if getattr(f, "procedure_count", 0)
        ]
        self._choices("field", ANY + fields)
        self._choices("level", ANY + list(Procedure.Level.choices))
        self._choices("online_level", ANY + list(Procedure.OnlineLevel.choices))

    def _choices(self, name: str, choices: list[tuple[str, Any]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices


class LookupForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Mã hồ sơ"),
        max_length=64,
        widget=forms.TextInput(attrs={"placeholder": "000.00.01.H13-250814-0001", "autocomplete": "off"}),
    )


class CitizenLoginForm(AuthenticationForm):
    """Đăng nhập cổng dịch vụ công: citizen accounts only (staff use the staff login)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": gettext_lazy(
            "Số điện thoại/thư điện tử hoặc mật khẩu không đúng. "
            "Lưu ý: mật khẩu phân biệt chữ hoa và chữ thường."
        ),
        "inactive": gettext_lazy("Tài khoản này đã bị khóa."),
        "staff": gettext_lazy(
            "Tài khoản cán bộ, công chức không dùng để nộp hồ sơ. Vui lòng đăng nhập trang dành cho cán bộ."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Số điện thoại hoặc thư điện tử")
        self.fields["password"].label = _("Mật khẩu")

    def clean_username(self) -> str:
        username = (self.cleaned_data.get("username") or "").strip()
        return username.lower() if "@" in username else normalise_phone(username)

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "kind", None) != User.Kind.CITIZEN:
            raise ValidationError(self.error_messages["staff"], code="staff")


class RegisterForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Họ và tên"), max_length=150)
    identity_number = forms.CharField(
        label=gettext_lazy("Số CCCD/định danh cá nhân"),
        max_length=12,
        validators=[validate_cccd],
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Số điện thoại"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.EmailField(label=gettext_lazy("Thư điện tử"), required=False)
    address = forms.CharField(label=gettext_lazy("Địa chỉ"), max_length=500, required=False)
    password = forms.CharField(
        label=gettext_lazy("Mật khẩu"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )
    password2 = forms.CharField(
        label=gettext_lazy("Nhập lại mật khẩu"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password") and data.get("password2") and data["password"] != data["password2"]:
            self.add_error("password2", _("Hai mật khẩu không giống nhau."))
        if not data.get("phone") and not data.get("email") and not self.errors.get("phone"):
            self.add_error("phone", _("Cần số điện thoại hoặc thư điện tử để đăng nhập."))
        return data


def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def paper_field(paper: RequiredPaper) -> str:
    return f"paper_{paper.pk}"


def document_field(paper: RequiredPaper) -> str:
    return f"doc_{paper.pk}"


def check_upload(upload: Any) -> None:
    """The checks of :func:`egov.documents.storage.store` done early, so the error shows next to the paper:
    size limit and accepted kinds (by content)."""
    limit = storage.max_upload_bytes()
    if upload.size is not None and upload.size > limit:
        raise ValidationError(
            _("Tệp “%(n)s” vượt quá %(m)s MB.") % {"n": upload.name, "m": settings.EGOV_MAX_UPLOAD_MB}
        )
    if not upload.size:
        raise ValidationError(_("Tệp “%(n)s” rỗng.") % {"n": upload.name})
    head = upload.read(min(limit + 1, 8 * 1024 * 1024))
    upload.seek(0)
    if storage.sniff(head) is None:
        raise ValidationError(
            _("Tệp “%(n)s” không đúng định dạng cho phép (PDF, DOCX, PNG, JPEG, TIFF).") % {"n": upload.name}
        )


class ApplicantMixin(forms.Form):
    applicant_name = forms.CharField(label=gettext_lazy("Họ và tên chủ hồ sơ"), max_length=255)
    applicant_identity = forms.CharField(
        label=gettext_lazy("Số CCCD/định danh cá nhân"),
        max_length=12,
        validators=[validate_cccd],
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )
    applicant_phone = forms.CharField(
        label=gettext_lazy("Số điện thoại"),
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    applicant_email = forms.CharField(
        label=gettext_lazy("Thư điện tử"),
        max_length=254,
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    applicant_address = forms.CharField(label=gettext_lazy("Địa chỉ"), max_length=500, required=False)

    def clean_applicant_email(self) -> str:
        value = self.cleaned_data.get("applicant_email", "").strip()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                raise ValidationError(_("Địa chỉ thư điện tử “%(e)s” không hợp lệ.") % {"e": value}) from None
        return value

    def clean_applicant_phone(self) -> str:
        value = self.cleaned_data.get("applicant_phone", "").strip()
        return normalise_phone(value) if value else ""


class SubmissionForm(ApplicantMixin):
    """Nộp hồ sơ trực tuyến for one procedure or a group of inter-linked procedures: the applicant, the
    receiving agency (when several may receive), and for every paper an upload or a document of the citizen's
    store. ``idempotency_key`` is made when the form is first shown and sent back with every attempt, so a
    double click or a resubmitted page returns the dossier already created."""

    agency = forms.ChoiceField(label=gettext_lazy("Nơi nộp hồ sơ"), required=False)
    description = forms.CharField(
        label=gettext_lazy("Nội dung yêu cầu, ghi chú"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def __init__(
        self,
        *args: Any,
        papers: list[RequiredPaper],
        documents: list[Any],
        agencies: list[Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.papers = papers
        if agencies is not None and len(agencies) > 1:
            agency_field = self.fields["agency"]
            assert isinstance(agency_field, forms.ChoiceField)
            agency_field.choices = [(str(a.pk), a.name) for a in agencies]
            self.fields["agency"].required = True
        else:
            del self.fields["agency"]
        choices = [("", _("— Chọn giấy tờ đã có —"))] + [(str(d.pk), d.name) for d in documents]
        self.document_ids = {d.pk for d in documents}
        for paper in papers:
            needed = paper.is_required and not paper.case
            self.fields[paper_field(paper)] = forms.FileField(
                label=paper.name,
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.png,.jpg,.jpeg,.tif,.tiff"}),
            )
            self.fields[paper_field(paper)].needed = needed  # type: ignore[attr-defined]
            if documents:
                self.fields[document_field(paper)] = forms.ChoiceField(
                    label=_("hoặc dùng lại từ kho dữ liệu"), choices=choices, required=False
                )

    def paper_rows(self) -> list[dict[str, Any]]:
        rows = []
        for paper in self.papers:
            doc_name = document_field(paper)
            rows.append(
                {
                    "paper": paper,
                    "needed": paper.is_required and not paper.case,
                    "file": self[paper_field(paper)],
                    "document": self[doc_name] if doc_name in self.fields else None,
                }
            )
        return rows

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("applicant_phone")
            and not data.get("applicant_email")
            and "applicant_phone" not in self.errors
        ):
            self.add_error("applicant_phone", _("Cần số điện thoại hoặc thư điện tử để nhận thông báo."))
        for paper in self.papers:
            upload = data.get(paper_field(paper))
            doc = data.get(document_field(paper)) or ""
            if doc and int(doc) not in self.document_ids:
                self.add_error(document_field(paper), _("Giấy tờ không có trong kho dữ liệu của bạn."))
                continue
            if upload:
                try:
                    check_upload(upload)
                except ValidationError as exc:
                    self.add_error(paper_field(paper), exc)
                    continue
            elif not doc and paper.is_required and not paper.case:
                self.add_error(
                    paper_field(paper),
                    _("Cần tải lên tệp hoặc chọn giấy tờ từ kho dữ liệu cho giấy tờ bắt buộc này."),
                )
        return data

    def paper_inputs(self) -> dict[int, list[Any]]:
        """PaperInput lists by procedure id."""
        from egov.dossiers.services import PaperInput

        out: dict[int, list[Any]] = {}
        for paper in self.papers:
            upload = self.cleaned_data.get(paper_field(paper))
            doc = self.cleaned_data.get(document_field(paper)) or ""
            if not upload and not doc:
                continue
            out.setdefault(paper.procedure_id, []).append(
                PaperInput(
                    required_paper=paper,
                    upload=upload or None,
                    citizen_document=int(doc) if doc and not upload else None,
                )
            )
        return out

    def field_for_service_error(self, key: str) -> str | None:
        """``papers.3`` (the 4th paper given to the service) → the form field of that paper."""
        if key.startswith("papers.") and key[7:].isdigit():
            given = [
                p
                for p in self.papers
                if self.cleaned_data.get(paper_field(p)) or self.cleaned_data.get(document_field(p))
            ]
            index = int(key[7:])
            if index < len(given):
                return paper_field(given[index])
        return key if key in self.fields else None


class SupplementForm(forms.Form):
    """Bổ sung hồ sơ: one upload (or stored document) for each paper the officer asked for."""

    note = forms.CharField(
        label=gettext_lazy("Ghi chú"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, wanted: list[str], documents: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wanted = wanted or [_("Giấy tờ bổ sung")]
        self.document_ids = {d.pk for d in documents}
        choices = [("", _("— Chọn giấy tờ đã có —"))] + [(str(d.pk), d.name) for d in documents]
        for i, name in enumerate(self.wanted):
            self.fields[f"file_{i}"] = forms.FileField(
                label=name,
                required=False,
                widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.docx,.png,.jpg,.jpeg,.tif,.tiff"}),
            )
            if documents:
                self.fields[f"doc_{i}"] = forms.ChoiceField(
                    label=_("hoặc dùng lại từ kho dữ liệu"), choices=choices, required=False
                )

    def rows(self) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "file": self[f"file_{i}"],
                "document": self[f"doc_{i}"] if f"doc_{i}" in self.fields else None,
            }
            for i, name in enumerate(self.wanted)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = 0
        for i in range(len(self.wanted)):
            upload = data.get(f"file_{i}")
            doc = data.get(f"doc_{i}") or ""
            if doc and int(doc) not in self.document_ids:
                self.add_error(f"doc_{i}", _("Giấy tờ không có trong kho dữ liệu của bạn."))
                continue
            if upload:
                try:
                    check_upload(upload)
                except ValidationError as exc:
                    self.add_error(f"file_{i}", exc)
                    continue
            if upload or doc:
                given += 1
        if not given and not self.errors:
            raise ValidationError(_("Cần tải lên ít nhất một giấy tờ bổ sung."))
        return data

    def paper_inputs(self) -> list[Any]:
        from egov.dossiers.services import PaperInput

        out = []
        for i, name in enumerate(self.wanted):
            upload = self.cleaned_data.get(f"file_{i}")
            doc = self.cleaned_data.get(f"doc_{i}") or ""
            if upload:
                out.append(PaperInput(name=str(name), upload=upload))
            elif doc:
                out.append(PaperInput(name=str(name), citizen_document=int(doc)))
        return out


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Lý do rút hồ sơ"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("Mức độ hài lòng"),
        coerce=int,
        choices=[
            (5, gettext_lazy("5 — Rất hài lòng")),
            (4, gettext_lazy("4 — Hài lòng")),
            (3, gettext_lazy("3 — Bình thường")),
            (2, gettext_lazy("2 — Không hài lòng")),
            (1, gettext_lazy("1 — Rất không hài lòng")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Ý kiến góp ý"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FeedbackForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Phản ánh, kiến nghị"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Quên mật khẩu (password reset of citizen accounts) ----------------------------------------------------


class CitizenPasswordResetForm(forms.Form):
    """Step 1 of "Quên mật khẩu?": the e-mail address of the account. Only the address's format is checked
    here; whether it belongs to an account is never shown (see :func:`egov.portal.views.password_reset`)."""

    email = forms.EmailField(
        label=gettext_lazy("Thư điện tử của tài khoản"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}),
    )

    def users(self) -> list[Any]:
        """The active citizen accounts with this address and a usable password (Django's own rule, as in
        :class:`django.contrib.auth.forms.PasswordResetForm`); staff accounts are never among them."""
        email = self.cleaned_data["email"].strip()
        candidates = User.objects.filter(email__iexact=email, is_active=True, kind=User.Kind.CITIZEN)
        return [u for u in candidates if u.has_usable_password()]


class CitizenSetPasswordForm(SetPasswordForm):
    """Step 2: the new password, checked by the project's password validators; saved by
    :func:`egov.directory.services.reset_password` (audited)."""

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("Mật khẩu mới")
        self.fields["new_password2"].label = _("Nhập lại mật khẩu mới")
        self.fields["new_password2"].help_text = ""
        self.error_messages = {
            **self.error_messages,
            "password_mismatch": _("Hai mật khẩu không giống nhau."),
        }

    def save(self, commit: bool = True) -> Any:
        from egov.directory import services as directory_services

        return directory_services.reset_password(
            actor=self.user, user=self.user, password=self.cleaned_data["new_password1"]
        )
