"""Admin of the procedure catalogue (system administrators only).

Every save goes through ``procedures.services`` (validated, audited): the inline formsets are checked with
the services' own validators before anything is saved (steps against the shortest processing time of the
methods on the same page, a receiving agency for an active procedure that takes dossiers), then
``save_model``/``save_related`` call ``create_procedure``/``update_procedure`` instead of saving the rows.
Nothing is ever deleted from the admin: a procedure is deactivated (``is_active``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils.translation import gettext as _

from egov.directory import selectors as directory
from egov.procedures import services
from egov.procedures.models import (
    ExecutionMethod,
    Field,
    Procedure,
    ProcedureAgency,
    ProcedureGroup,
    ProcedureGroupItem,
    ProcessStep,
    RequiredPaper,
)

MAIN = (
    "name",
    "field",
    "levels",
    "kind",
    "executing_agency_text",
    "legal_bases",
    "online_level",
    "result_type",
    "requirements",
    "applicant_kinds",
    "external_id",
    "is_active",
)


def _rows(formset: Any) -> list[dict[str, Any]]:
    return [
        f.cleaned_data
        for f in formset.forms
        if getattr(f, "cleaned_data", None) and not f.cleaned_data.get("DELETE")
    ]


def methods_from(formset: Any) -> list[services.MethodSpec]:
    return [
        services.MethodSpec(
            r["channel"],
            r["processing_days"],
            r.get("time_note") or "",
            r.get("fee_amount") or 0,
            r.get("fee_note") or "",
        )
        for r in _rows(formset)
    ]


def papers_from(formset: Any) -> list[services.PaperSpec]:
    specs = []
    for r in sorted(_rows(formset), key=lambda r: r.get("order") or 0):
        upload = r.get("form_file")
        if upload is False:
            form_file: Any = None
        elif isinstance(upload, UploadedFile):
            form_file = upload
        else:
            form_file = services.KEEP
        specs.append(
            services.PaperSpec(
                r["name"],
                r.get("originals") or 0,
                r.get("copies") or 0,
                bool(r.get("is_required")),
                r.get("case") or "",
                r.get("code") or "",
                r.get("form_name") or "",
                form_file,
                r["id"].pk if r.get("id") else None,
            )
        )
    return specs


def steps_from(formset: Any) -> list[services.StepSpec]:
    return [
        services.StepSpec(r["name"], r["role"], r["days"], r.get("agency"), r.get("order"))
        for r in _rows(formset)
    ]


def agencies_from(formset: Any) -> list[services.AgencySpec]:
    return [services.AgencySpec(r["agency"], r["role"]) for r in _rows(formset)]


class LinkedFormSet(forms.BaseInlineFormSet):
    """Inline formsets that see each other (set by :meth:`ProcedureAdmin._create_formsets`)."""

    siblings: dict[type, Any]

    def sibling(self, model: type) -> Any:
        formset = getattr(self, "siblings", {}).get(model)
        if formset is not None:
            formset.is_valid()
        return formset


class StepFormSet(LinkedFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        methods = self.sibling(ExecutionMethod)
        days = [m.processing_days for m in methods_from(methods)] if methods is not None else []
        shortest = min((Decimal(str(d)) for d in days), default=None)
        try:
            services.validate_steps(steps_from(self), shortest)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from None


class AgencyFormSet(LinkedFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        methods = self.sibling(ExecutionMethod)
        links = agencies_from(self)
        takes_dossiers = self.instance.is_active and methods is not None and bool(methods_from(methods))
        if takes_dossiers and not any(link.role == ProcedureAgency.Part.RECEIVING for link in links):
            raise ValidationError(
                _("Thủ tục đang áp dụng và nhận hồ sơ phải có ít nhất một cơ quan tiếp nhận.")
            )


class MethodInline(admin.TabularInline):
    model = ExecutionMethod
    extra = 0


class PaperInline(admin.TabularInline):
    model = RequiredPaper
    extra = 0
    fields = ("order", "name", "code", "originals", "copies", "is_required", "case", "form_name", "form_file")


class StepInline(admin.TabularInline):
    model = ProcessStep
    formset = StepFormSet
    extra = 0
    autocomplete_fields = ()
    raw_id_fields = ("agency",)


class AgencyInline(admin.TabularInline):
    model = ProcedureAgency
    formset = AgencyFormSet
    extra = 0
    raw_id_fields = ("agency",)


class SystemAdminOnly:
    def has_module_permission(self, request: HttpRequest) -> bool:
        return directory.is_system_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return directory.is_system_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return directory.is_system_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return directory.is_system_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Procedure)
class ProcedureAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("code", "name", "field", "online_level", "is_active")
    list_filter = ("is_active", "online_level", "kind", "field")
    search_fields = ("code", "search_key")
    list_select_related = ("field",)
    inlines = (MethodInline, PaperInline, StepInline, AgencyInline)
    fields = ("code", *MAIN)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()

    def get_search_results(self, request: HttpRequest, queryset: Any, search_term: str) -> Any:
        from egov.core.text import fold

        return super().get_search_results(request, queryset, fold(search_term))

    def _create_formsets(self, request: HttpRequest, obj: Any, change: bool) -> Any:
        # Django's private hook (stable since 1.x): the formsets of one page, before validation.
        formsets, inline_instances = super()._create_formsets(request, obj, change)  # type: ignore[misc]
        siblings = {formset.model: formset for formset in formsets}
        for formset in formsets:
            formset.siblings = siblings
        return formsets, inline_instances

    def save_model(self, request: HttpRequest, obj: Procedure, form: Any, change: bool) -> None:
        data = {name: form.cleaned_data[name] for name in MAIN if name in form.cleaned_data}
        if change:
            services.update_procedure(actor=request.user, procedure=obj, **data)
        else:
            created = services.create_procedure(actor=request.user, code=obj.code, **data)
            obj.pk = created.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        sections: dict[str, Any] = {}
        for formset in formsets:
            if formset.model is ExecutionMethod:
                sections["methods"] = methods_from(formset)
            elif formset.model is RequiredPaper:
                sections["papers"] = papers_from(formset)
            elif formset.model is ProcessStep:
                sections["steps"] = steps_from(formset)
            elif formset.model is ProcedureAgency:
                sections["agencies"] = agencies_from(formset)
        procedure = Procedure.objects.get(pk=form.instance.pk)
        services.update_procedure(actor=request.user, procedure=procedure, **sections)


@admin.register(Field)
class FieldAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Field, form: Any, change: bool) -> None:
        saved = services.ensure_field(actor=request.user, name=obj.name, code=obj.code)
        obj.pk = saved.pk


class GroupItemInline(admin.TabularInline):
    model = ProcedureGroupItem
    extra = 0
    raw_id_fields = ("procedure",)


@admin.register(ProcedureGroup)
class ProcedureGroupAdmin(SystemAdminOnly, admin.ModelAdmin):
    list_display = ("code", "name", "is_active")
    inlines = (GroupItemInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("code",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: ProcedureGroup, form: Any, change: bool) -> None:
        request._procedure_group = (obj, change)  # type: ignore[attr-defined]  # saved with its items

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        obj: ProcedureGroup = form.instance
        items = sorted((r for formset in formsets for r in _rows(formset)), key=lambda r: r.get("order") or 0)
        procedures = [r["procedure"] for r in items]
        if change:
            services.update_group(
                actor=request.user,
                group=obj,
                name=obj.name,
                legal_basis=obj.legal_basis,
                procedures=procedures,
                is_active=obj.is_active,
            )
        else:
            created = services.create_group(
                actor=request.user,
                code=obj.code,
                name=obj.name,
                procedures=procedures,
                legal_basis=obj.legal_basis,
            )
            obj.pk = created.pk
