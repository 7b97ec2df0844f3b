"""Forms of the staff web interface. They only check and convert input; saving is done by ``services``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from egov.directory.models import Agency, User
from egov.directory.services import AGENCY_EDITABLE

DATE_INPUT_FORMATS = ["%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d"]


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Attach a ``ValidationError`` raised by a service to a form; errors on fields the form does not show
    become errors of the whole form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            target = field if field in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


class VietnameseDateField(forms.DateField):
    """A date typed as dd/mm/yyyy (ISO also accepted)."""

    widget = forms.DateInput(format="%d/%m/%Y", attrs={"placeholder": "dd/mm/yyyy", "inputmode": "numeric"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", DATE_INPUT_FORMATS)
        kwargs.setdefault(
            "error_messages", {"invalid": _("Nhập ngày theo dạng dd/mm/yyyy, ví dụ 01/07/2025.")}
        )
        super().__init__(**kwargs)


class AgencyForm(forms.ModelForm):
    """Edit an agency, or create a child agency. Validation repeats the model's rules (so errors show next to
    the field); ``services.create_agency`` / ``update_agency`` check again and save."""

    website = forms.URLField(
        label=capfirst(Agency._meta.get_field("website").verbose_name),
        required=False,
        max_length=200,
        assume_scheme="https",
    )

    class Meta:
        model = Agency
        fields = list(AGENCY_EDITABLE)
        error_messages = {
            "code_qcvn102": {"unique": _("Mã định danh này đã được dùng cho một cơ quan khác.")},
        }
        field_classes = {"valid_from": VietnameseDateField, "valid_to": VietnameseDateField}
        widgets = {
            "address": forms.TextInput(),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "code_qcvn102": forms.TextInput(
                attrs={"placeholder": "000.00.00.H99", "spellcheck": "false", "autocomplete": "off"}
            ),
            "admin_unit_code": forms.TextInput(attrs={"inputmode": "numeric"}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("valid_from"), data.get("valid_to")
        if start and end and end < start:
            self.add_error("valid_to", _("Ngày hết hiệu lực không được trước ngày có hiệu lực."))
        return data

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in AGENCY_EDITABLE if name in self.cleaned_data}


class AgencySearchForm(forms.Form):
    q = forms.CharField(label=_("Tìm cơ quan"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Loại cơ quan"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kind = self.fields["kind"]
        assert isinstance(kind, forms.ChoiceField)
        kind.choices = [("", _("Tất cả các loại")), *Agency.Kind.choices]

    def values(self) -> tuple[str, str]:
        if not self.is_valid():
            return "", ""
        return self.cleaned_data["q"].strip(), self.cleaned_data["kind"]


class PeopleSearchForm(forms.Form):
    q = forms.CharField(label=_("Tìm cán bộ"), required=False, max_length=200)

    def value(self) -> str:
        return self.cleaned_data["q"].strip() if self.is_valid() else ""


# --- Accounts -------------------------------------------------------------------------------------------


class StaffAuthenticationForm(AuthenticationForm):
    """Django's login form, refusing citizen accounts (they use the public portal)."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "Tên đăng nhập hoặc mật khẩu không đúng. Lưu ý: mật khẩu phân biệt chữ hoa và chữ thường."
        ),
        "inactive": _("Tài khoản này đã bị khóa."),
        "citizen": _(
            "Tài khoản công dân không đăng nhập được vào trang dành cho cán bộ, công chức. "
            "Vui lòng dùng Cổng dịch vụ công."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Tên đăng nhập")
        self.fields["password"].label = _("Mật khẩu")

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if getattr(user, "kind", None) != User.Kind.STAFF:
            raise ValidationError(self.error_messages["citizen"], code="citizen")


class StaffPasswordResetForm(PasswordResetForm):
    """Password reset by e-mail for staff accounts only (citizens reset theirs on the public portal)."""

    def get_users(self, email: str) -> Any:
        return (u for u in super().get_users(email) if getattr(u, "kind", None) == User.Kind.STAFF)


class OTPTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Mã xác thực (6 chữ số)"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "size": 8}
        ),
    )

    def clean_token(self) -> str:
        token = "".join(self.cleaned_data["token"].split())
        if not token.isdigit() or len(token) != 6:
            raise ValidationError(_("Mã xác thực gồm 6 chữ số."))
        return token
