"""Reads of the procedure catalogue. The catalogue is public information (the citizen portal shows it), so
these reads take no viewer; what is hidden is what is no longer in force (``is_active=False``), unless
asked for."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet, TextField
from django.db.models.functions import Cast

from egov.core.text import fold
from egov.directory.models import Agency
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


def _field_filter(field: Any) -> Q:
    if isinstance(field, Field):
        return Q(field=field)
    if isinstance(field, int) or (isinstance(field, str) and field.isdigit()):
        return Q(field_id=int(field)) | Q(field__code=str(field))
    return Q(field__code=field)


def procedure_search(
    search: str = "",
    field: Any = None,
    level: str | None = None,
    agency: Agency | int | None = None,
    online_level: str | None = None,
    channel: int | None = None,
    *,
    include_inactive: bool = False,
) -> QuerySet[Procedure]:
    """Procedures matching every given filter. ``search`` is accent- and case-insensitive and matches every
    word anywhere in the code, the name or the executing agency text (``dang ky khai sinh`` finds
    ``Đăng ký khai sinh``); on PostgreSQL a trigram GIN index serves these substring matches."""
    qs = Procedure.objects.all() if include_inactive else Procedure.objects.filter(is_active=True)
    for word in fold(search).split():
        qs = qs.filter(search_key__contains=word)
    if field:
        qs = qs.filter(_field_filter(field))
    if level:
        # JSON list of levels: a text match on the quoted value works the same on SQLite and PostgreSQL.
        qs = qs.annotate(levels_text=Cast("levels", TextField())).filter(levels_text__contains=f'"{level}"')
    if agency:
        agency_id = agency.pk if isinstance(agency, Agency) else int(agency)
        qs = qs.filter(pk__in=ProcedureAgency.objects.filter(agency_id=agency_id).values("procedure_id"))
    if online_level:
        qs = qs.filter(online_level=online_level)
    if channel:
        qs = qs.filter(pk__in=ExecutionMethod.objects.filter(channel=channel).values("procedure_id"))
    return qs.select_related("field").prefetch_related("methods").order_by("code")


def procedures_received_by(agency: Agency) -> QuerySet[Procedure]:
    """Active procedures whose dossiers ``agency`` receives (its one-stop desk)."""
    ids = ProcedureAgency.objects.filter(agency=agency, role=ProcedureAgency.Part.RECEIVING).values(
        "procedure_id"
    )
    return (
        Procedure.objects.filter(is_active=True, pk__in=ids)
        .select_related("field")
        .prefetch_related("methods")
        .order_by("field__name", "code")
    )


def procedure_detail(code: str, *, include_inactive: bool = True) -> Procedure | None:
    """One procedure with everything shown on its page (methods, papers, steps, agencies), or None."""
    qs = Procedure.objects.filter(code=code)
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return (
        qs.select_related("field")
        .prefetch_related(
            Prefetch("methods", queryset=ExecutionMethod.objects.order_by("channel")),
            Prefetch("papers", queryset=RequiredPaper.objects.order_by("order", "pk")),
            Prefetch("steps", queryset=ProcessStep.objects.select_related("agency").order_by("order")),
            Prefetch(
                "agency_links",
                queryset=ProcedureAgency.objects.select_related("agency").order_by("role", "agency__path"),
            ),
        )
        .first()
    )


def processing_days(procedure: Procedure, channel: int) -> Decimal | None:
    """Thời hạn giải quyết (working days) when the dossier comes through ``channel``; None when the
    procedure cannot be done through that channel."""
    method = procedure.method_for(channel)
    return method.processing_days if method is not None else None


def fields_with_counts() -> QuerySet[Field]:
    """Fields with the number of active procedures in each (``procedure_count``), empty ones included."""
    return Field.objects.annotate(
        procedure_count=Count("procedures", filter=Q(procedures__is_active=True))
    ).order_by("name", "pk")


def groups(*, include_inactive: bool = False) -> QuerySet[ProcedureGroup]:
    """Nhóm thủ tục liên thông, with their procedures in order."""
    qs = ProcedureGroup.objects.all() if include_inactive else ProcedureGroup.objects.filter(is_active=True)
    return qs.prefetch_related(
        Prefetch(
            "items",
            queryset=ProcedureGroupItem.objects.select_related("procedure", "procedure__field").order_by(
                "order"
            ),
        )
    ).order_by("code")


def paper_with_form(paper_id: int) -> RequiredPaper | None:
    """A paper whose blank form may be downloaded (public: the forms are published by the government)."""
    return RequiredPaper.objects.filter(pk=paper_id).exclude(form_file="").select_related("procedure").first()
