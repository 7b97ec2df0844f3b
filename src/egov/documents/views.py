"""Staff pages of document management (quản lý văn bản): the inbox of what needs my action, the incoming and
outgoing registers, the document pages with their files, timeline and the actions of each role, the forms
(register, assign, draft) and the search page.

Views are thin: they read through ``documents.selectors`` and change through ``documents.services`` /
``documents.outgoing``, which check the roles (``PermissionDenied`` → the 403 page) and the input
(``ValidationError`` → messages next to the fields, nothing saved). Buttons are shown only to the users who
can use them; the services decide anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from egov.directory import selectors as directory
from egov.directory.auth_views import staff_required
from egov.directory.forms import add_service_errors
from egov.directory.models import Agency, Position, Role, User
from egov.documents import files, outgoing, selectors, services
from egov.documents.forms import (
    INCOMING_STATUSES,
    OUTGOING_STATUSES,
    SIGNING_AUTHORITIES,
    AcceptForm,
    AssignForm,
    CompleteForm,
    DecisionForm,
    DuplicateCheckForm,
    ExportForm,
    ForwardForm,
    IncomingRegisterForm,
    IssueForm,
    ListFilterForm,
    OpinionForm,
    OutgoingDraftForm,
    PresentForm,
    RefuseForm,
    RevocationDecisionForm,
    RevokeForm,
)
from egov.documents.models import (
    Assignment,
    Attachment,
    DocumentEvent,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
    Register,
)
from egov.documents.services import AssignmentSpec

PER_PAGE = 25
INBOX_PER_PAGE = 15
RECIPIENT_RESULTS = 12
IS = IncomingDocument.Status
OS = OutgoingDocument.Status
LEADER_ROLES = (Role.LEADER, Role.DEPUTY_LEADER)

EVENT_LABELS = {
    "received": pgettext_lazy("timeline", "Văn bản đến qua liên thông"),
    "registered": pgettext_lazy("timeline", "Vào sổ văn bản đến"),
    "refused": pgettext_lazy("timeline", "Từ chối tiếp nhận"),
    "presented": pgettext_lazy("timeline", "Trình lãnh đạo"),
    "assigned": pgettext_lazy("timeline", "Phân công xử lý"),
    "opinion": pgettext_lazy("timeline", "Ý kiến xử lý"),
    "forwarded": pgettext_lazy("timeline", "Chuyển xử lý"),
    "completed": pgettext_lazy("timeline", "Hoàn thành xử lý"),
    "drafted": pgettext_lazy("timeline", "Tạo dự thảo"),
    "submitted": pgettext_lazy("timeline", "Trình duyệt dự thảo"),
    "reviewed": pgettext_lazy("timeline", "Lãnh đạo đơn vị đồng ý, trình lãnh đạo cơ quan"),
    "returned": pgettext_lazy("timeline", "Trả lại dự thảo"),
    "approved": pgettext_lazy("timeline", "Lãnh đạo cơ quan duyệt"),
    "signed": pgettext_lazy("timeline", "Ký số"),
    "issued": pgettext_lazy("timeline", "Cấp số và phát hành"),
    "revoked": pgettext_lazy("timeline", "Thu hồi văn bản"),
    "revocation_requested": pgettext_lazy("timeline", "Cơ quan gửi đề nghị thu hồi"),
    "revocation_refused": pgettext_lazy("timeline", "Từ chối thu hồi"),
    "exchange_failed": pgettext_lazy("timeline", "Gửi qua trục liên thông bị lỗi"),
}
OUTGOING_NEXT_STEP: dict[str, Any] = {
    OS.DRAFT: gettext_lazy("Hoàn thiện và trình duyệt dự thảo"),
    OS.IN_REVIEW: gettext_lazy("Cho ý kiến dự thảo của đơn vị"),
    OS.PENDING_APPROVAL: gettext_lazy("Duyệt văn bản"),
    OS.APPROVED: gettext_lazy("Ký số văn bản"),
    OS.SIGNED: gettext_lazy("Cấp số và phát hành"),
}
INCOMING_NEXT_STEP: dict[str, Any] = {
    IS.RECEIVED: gettext_lazy("Tiếp nhận văn bản liên thông"),
    IS.REGISTERED: gettext_lazy("Trình lãnh đạo"),
    IS.PRESENTED: gettext_lazy("Cho ý kiến chỉ đạo, phân công"),
    IS.ASSIGNED: gettext_lazy("Xử lý văn bản"),
    IS.IN_PROGRESS: gettext_lazy("Xử lý văn bản"),
}
RECIPIENT_STATUS = {
    "01": gettext_lazy("Đã đến"),
    "02": gettext_lazy("Từ chối tiếp nhận"),
    "03": gettext_lazy("Đã tiếp nhận"),
    "04": gettext_lazy("Đã phân công"),
    "05": gettext_lazy("Đang xử lý"),
    "06": gettext_lazy("Hoàn thành"),
    "15": gettext_lazy("Đồng ý thu hồi"),
    "16": gettext_lazy("Từ chối thu hồi"),
}


# --- helpers --------------------------------------------------------------------------------------------


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _render(
    request: HttpRequest, full: str, fragment: str | None, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    partial = bool(fragment) and _partial(request)
    context = {**context, "fragment": partial}
    response = render(request, fragment if partial and fragment else full, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _page(request: HttpRequest, items: Any, per_page: int = PER_PAGE, param: str = "page") -> Page:
    return Paginator(items, per_page).get_page(request.GET.get(param))


def _user(request: HttpRequest) -> Any:
    return request.user


def _flagged(docs: list[IncomingDocument]) -> list[tuple[IncomingDocument, str]]:
    flag = selectors.deadline_flagger()
    return [(doc, flag(doc)) for doc in docs]


def _users(ids: Any) -> QuerySet[User]:
    return User.objects.filter(pk__in=ids).order_by("full_name", "username")


def _org_positions(user: Any, agency: Agency) -> QuerySet[Position]:
    return selectors.organisation_staff(user, agency)


def _leaders_of(user: Any, agency: Agency) -> QuerySet[User]:
    positions = _org_positions(user, agency).filter(agency=agency.organisation(), role__in=LEADER_ROLES)
    return _users(positions.values("user_id"))


def _show_file_inline(att: Attachment) -> bool:
    return att.file.content_type == "application/pdf" or att.file.content_type.startswith("image/")


def _viewer(request: HttpRequest, attachments: list[Attachment], preferred: Attachment | None) -> Any:
    """The attachment shown in the viewer: the one asked for (``?file=``), else ``preferred``, else the
    first PDF or image."""
    viewable = [a for a in attachments if _show_file_inline(a)]
    asked = request.GET.get("file", "")
    for att in viewable:
        if str(att.pk) == asked:
            return att
    if preferred is not None and preferred in viewable:
        return preferred
    return viewable[0] if viewable else None


def _timeline(events: list[DocumentEvent]) -> list[dict[str, Any]]:
    users, units = selectors.timeline_names(events)
    kinds = dict(Assignment.Kind.choices)
    rows = []
    for event in events:
        data = event.data or {}
        details: list[str] = []
        if data.get("arrival_number"):
            details.append(_("Số đến: %(n)s") % {"n": data["arrival_number"]})
        if isinstance(data.get("leader"), int) and data["leader"] in users:
            details.append(_("Trình: %(name)s") % {"name": users[data["leader"]]})
        for item in data.get("assignments") or []:
            who = users.get(item.get("user")) or units.get(item.get("unit")) or "?"
            details.append(f"{kinds.get(item.get('kind'), item.get('kind'))}: {who}")
        if data.get("deadline"):
            details.append(_("Hạn xử lý: %(d)s") % {"d": _vn_date(data["deadline"])})
        if isinstance(data.get("to"), int):
            details.append(_("Chuyển cho: %(name)s") % {"name": users.get(data["to"], "?")})
        if data.get("number"):
            details.append(_("Số, ký hiệu: %(n)s") % {"n": data["number"]})
        rows.append(
            {
                "event": event,
                "label": EVENT_LABELS.get(event.kind, event.kind),
                "details": details,
            }
        )
    return rows


def _vn_date(value: Any) -> str:
    text = str(value)
    if len(text) == 10 and text[4] == "-" and text[7] == "-":
        return f"{text[8:10]}/{text[5:7]}/{text[0:4]}"
    return text


# --- Inbox ------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Việc cần xử lý: incoming documents waiting for me (by role) and outgoing drafts waiting for my step."""
    user = _user(request)
    incoming_page = _page(request, selectors.my_incoming_tasks(user), INBOX_PER_PAGE, "page")
    outgoing_page = _page(request, selectors.my_outgoing_tasks(user), INBOX_PER_PAGE, "opage")
    context = {
        "section": "inbox",
        "incoming_page": incoming_page,
        "incoming_rows": [
            (doc, flag, INCOMING_NEXT_STEP.get(doc.status, ""))
            for doc, flag in _flagged(list(incoming_page.object_list))
        ],
        "outgoing_page": outgoing_page,
        "outgoing_rows": [(doc, OUTGOING_NEXT_STEP.get(doc.status, "")) for doc in outgoing_page],
        "can_register": bool(selectors.clerk_agencies(user)),
        "can_draft": bool(directory.member_agency_ids(user)),
    }
    return render(request, "documents/inbox.html", context)


# --- Incoming register ------------------------------------------------------------------------------------


def _incoming_filter_form(request: HttpRequest, user: Any) -> ListFilterForm:
    registers = selectors.registers_visible_to(user).filter(
        direction=Register.Direction.INCOMING, active=True
    )
    return ListFilterForm(
        request.GET or None,
        registers=registers.order_by("agency__path", "-is_default", "name", "id"),
        statuses=INCOMING_STATUSES,
        types=selectors.document_types(),
    )


@staff_required
@require_GET
def incoming_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = _incoming_filter_form(request, user)
    filters = form.filters()
    filters.pop("q", None)
    filters.pop("agency_text", None)
    page = _page(request, selectors.incoming_list(user, **filters))
    context = {
        "section": "incoming",
        "form": form,
        "page": page,
        "rows": _flagged(list(page.object_list)),
        "filtered": bool(filters),
        "can_register": bool(selectors.clerk_agencies(user)),
        "export_registers": form.fields["register"].choices[1:],  # type: ignore[attr-defined]
    }
    return _render(request, "documents/incoming_list.html", "documents/_incoming_results.html", context)


def _register_form(request: HttpRequest, user: Any) -> IncomingRegisterForm:
    registers = selectors.registers_for_role(user, Register.Direction.INCOMING, Role.CLERK)
    if not registers.exists():
        raise PermissionDenied(_("Chỉ văn thư của cơ quan được vào sổ văn bản đến."))
    return IncomingRegisterForm(
        request.POST or None,
        request.FILES or None,
        registers=registers,
        types=selectors.document_types(),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def incoming_register(request: HttpRequest) -> HttpResponse:
    """Vào sổ văn bản đến. A document already received (same issuing agency, number and notation, year) is
    registered only after the clerk confirms it is not a duplicate."""
    user = _user(request)
    form = _register_form(request, user)
    duplicates: list[services.DuplicateWarning] = []
    if request.method == "POST" and form.is_valid():
        fields = form.service_fields()
        duplicates = services.find_duplicates(
            agency=fields["agency"],
            issuing_agency_name=fields["issuing_agency_name"],
            code_number=fields["code_number"],
            code_notation=fields["code_notation"],
            issued_date=fields["issued_date"],
        )
        if duplicates and not form.cleaned_data["confirm_duplicate"]:
            form.add_error(
                "confirm_duplicate",
                _("Văn bản này có thể đã được vào sổ. Hãy kiểm tra, đánh dấu xác nhận rồi lưu lại."),
            )
        else:
            try:
                doc = services.register_incoming(actor=user, **fields)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Đã vào sổ văn bản đến, số đến %(n)s.") % {"n": doc.arrival_number},
                )
                return redirect("incoming-detail", pk=doc.pk)
    context = {
        "section": "incoming",
        "form": form,
        "duplicates": duplicates,
        "files_lost": bool(form.errors and request.FILES),
    }
    return render(request, "documents/incoming_form.html", context, status=400 if form.errors else 200)


@staff_required
@require_GET
def incoming_duplicates(request: HttpRequest) -> HttpResponse:
    """Fragment: the live duplicate warning of the register form (htmx, when the identity fields change)."""
    user = _user(request)
    registers = selectors.registers_for_role(user, Register.Direction.INCOMING, Role.CLERK)
    form = DuplicateCheckForm(request.GET, registers=registers)
    duplicates: list[services.DuplicateWarning] = []
    if form.is_valid() and form.cleaned_data["register"] is not None:
        data = form.cleaned_data
        if data["code_number"].strip().isdigit() and data["issuing_agency_name"].strip():
            duplicates = services.find_duplicates(
                agency=data["register"].agency,
                issuing_agency_name=data["issuing_agency_name"].strip(),
                code_number=data["code_number"].strip(),
                code_notation=data["code_notation"].strip(),
                issued_date=data["issued_date"],
            )
    confirm = IncomingRegisterForm(registers=registers, types=selectors.document_types())["confirm_duplicate"]
    response = render(
        request, "documents/_duplicates.html", {"duplicates": duplicates, "confirm_field": confirm}
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- Incoming document page and its actions ---------------------------------------------------------------


def _incoming_or_404(user: Any, pk: int) -> IncomingDocument:
    doc = selectors.incoming_detail(user, pk)
    if doc is None:  # not found and not visible look the same
        raise Http404(_("Không tìm thấy văn bản."))
    return doc


def _incoming_abilities(user: Any, doc: IncomingDocument) -> dict[str, bool]:
    is_clerk = directory.user_has_role(user, doc.agency, Role.CLERK)
    is_leader = directory.user_has_role(user, doc.agency, *LEADER_ROLES)
    my_units = {p.agency_id for p in directory.active_positions(user)}
    open_ones = [a for a in doc.assignments.all() if a.completed_at is None]
    is_lead = any(
        a.kind == Assignment.Kind.LEAD
        and (a.user_id == user.pk or (a.user_id is None and a.unit_id in my_units))
        for a in open_ones
    )
    is_cohandler = any(a.kind == Assignment.Kind.COOPERATE and a.user_id == user.pk for a in open_ones)
    handling = doc.status in (IS.ASSIGNED, IS.IN_PROGRESS)
    return {
        "accept": is_clerk and doc.status == IS.RECEIVED,
        "refuse": is_clerk and doc.status == IS.RECEIVED,
        "present": is_clerk and doc.status == IS.REGISTERED,
        "assign": is_leader and doc.status in (IS.REGISTERED, IS.PRESENTED, IS.ASSIGNED),
        "opinion": (is_lead or is_cohandler) and handling,
        "forward": is_lead and handling,
        "complete": is_lead and handling,
        "revocation": is_clerk and doc.revocation_requested_at is not None and doc.status != IS.REVOKED,
    }


def _colleagues(user: Any, doc: IncomingDocument) -> QuerySet[User]:
    my_units = {p.agency_id for p in directory.active_positions(user)}
    positions = _org_positions(user, doc.agency).filter(agency_id__in=my_units).exclude(user=user)
    return _users(positions.values("user_id"))


INCOMING_FORMS: dict[str, Callable[..., Any]] = {
    "accept": lambda request, user, doc, data: AcceptForm(
        data,
        registers=selectors.registers_for_role(user, Register.Direction.INCOMING, Role.CLERK).filter(
            agency=doc.agency
        ),
        initial={"register": doc.register_id},
    ),
    "refuse": lambda request, user, doc, data: RefuseForm(data),
    "present": lambda request, user, doc, data: PresentForm(data, leaders=_leaders_of(user, doc.agency)),
    "opinion": lambda request, user, doc, data: OpinionForm(data),
    "forward": lambda request, user, doc, data: ForwardForm(data, colleagues=_colleagues(user, doc)),
    "complete": lambda request, user, doc, data: CompleteForm(data),
    "revocation": lambda request, user, doc, data: RevocationDecisionForm(data),
}


def _incoming_context(
    request: HttpRequest, doc: IncomingDocument, bound: str = "", bound_form: Any = None
) -> dict[str, Any]:
    user = _user(request)
    can = _incoming_abilities(user, doc)
    action_forms = {
        name: (bound_form if name == bound else factory(request, user, doc, None))
        for name, factory in INCOMING_FORMS.items()
        if can[name] or name == bound
    }
    attachments = list(doc.attachments.all())
    events = list(doc.events.all())
    return {
        "section": "incoming",
        "doc": doc,
        "flag": selectors.deadline_flagger()(doc),
        "can": can,
        "forms": action_forms,
        "bound_form": bound_form,
        "attachments": attachments,
        "viewer": _viewer(request, attachments, None),
        "assignments": list(doc.assignments.all()),
        "timeline": _timeline(events),
    }


@staff_required
@require_GET
def incoming_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _incoming_or_404(_user(request), pk)
    return render(request, "documents/incoming_detail.html", _incoming_context(request, doc))


def _incoming_action(
    request: HttpRequest, pk: int, name: str, call: Callable[[Any, IncomingDocument, Any], Any], done: str
) -> HttpResponse:
    """POST of one action form of the incoming page: call the service; on bad input show the page again with
    the form's errors (status 400)."""
    user = _user(request)
    doc = _incoming_or_404(user, pk)
    form = INCOMING_FORMS[name](request, user, doc, request.POST)
    if form.is_valid():
        try:
            call(user, doc, form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("incoming-detail", pk=doc.pk)
    doc = _incoming_or_404(user, pk)
    context = _incoming_context(request, doc, bound=name, bound_form=form)
    return render(request, "documents/incoming_detail.html", context, status=400)


@dataclass(frozen=True)
class IncomingStep:
    """One action form of the incoming page: the service call (user, document, the form's cleaned data) and
    the message shown when it succeeds."""

    call: Callable[[Any, IncomingDocument, dict[str, Any]], Any]
    done: Any  # a lazy translation
    doc: str = ""


def _decide_revocation(user: Any, doc: IncomingDocument, d: dict[str, Any]) -> Any:
    if d["decision"] == "accept":
        return services.accept_revocation(actor=user, document=doc)
    return services.refuse_revocation(actor=user, document=doc, reason=d["reason"])


#: The POST actions of the incoming page (``/documents/incoming/<pk>/<name>/``); their forms are
#: ``INCOMING_FORMS[name]``. ``assign`` has its own view (GET shows the dialog).
INCOMING_STEPS: dict[str, IncomingStep] = {
    "accept": IncomingStep(
        lambda user, doc, d: services.accept_received(actor=user, document=doc, register=d["register"]),
        gettext_lazy("Đã tiếp nhận và vào sổ văn bản đến."),
    ),
    "refuse": IncomingStep(
        lambda user, doc, d: services.refuse(actor=user, document=doc, reason=d["reason"]),
        gettext_lazy("Đã từ chối tiếp nhận; lý do được gửi lại cơ quan gửi."),
    ),
    "revocation": IncomingStep(
        _decide_revocation,
        gettext_lazy("Đã trả lời đề nghị thu hồi của cơ quan gửi."),
        "The clerk agrees (15) or refuses (16, with the reason) to the sender's revocation request.",
    ),
    "present": IncomingStep(
        lambda user, doc, d: services.present(actor=user, document=doc, leader=d["leader"], note=d["note"]),
        gettext_lazy("Đã trình lãnh đạo."),
    ),
    "opinion": IncomingStep(
        lambda user, doc, d: services.add_opinion(actor=user, document=doc, text=d["text"]),
        gettext_lazy("Đã ghi ý kiến xử lý."),
    ),
    "forward": IncomingStep(
        lambda user, doc, d: services.forward(actor=user, document=doc, to=d["to"], note=d["note"]),
        gettext_lazy("Đã chuyển xử lý."),
    ),
    "complete": IncomingStep(
        lambda user, doc, d: services.complete(actor=user, document=doc, summary=d["summary"]),
        gettext_lazy("Đã hoàn thành xử lý văn bản."),
    ),
}


def _post_view(name: str, handle: Callable[[HttpRequest, int], HttpResponse], doc: str) -> Any:
    """A staff-only POST view ``name`` (as ``urls.py`` knows it) running ``handle(request, pk)``."""

    @staff_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return handle(request, pk)

    view.__name__ = view.__qualname__ = name
    view.__doc__ = doc
    return view


def _incoming_step_view(name: str) -> Callable[..., HttpResponseBase]:
    step = INCOMING_STEPS[name]
    return _post_view(
        f"incoming_{name}",
        lambda request, pk: _incoming_action(request, pk, name, step.call, str(step.done)),
        step.doc or f"POST of the incoming page's ``{name}`` form.",
    )


incoming_accept = _incoming_step_view("accept")
incoming_refuse = _incoming_step_view("refuse")
incoming_revocation = _incoming_step_view("revocation")
incoming_present = _incoming_step_view("present")
incoming_opinion = _incoming_step_view("opinion")
incoming_forward = _incoming_step_view("forward")
incoming_complete = _incoming_step_view("complete")


def _assign_form(request: HttpRequest, user: Any, doc: IncomingDocument) -> AssignForm:
    positions = _org_positions(user, doc.agency).select_related("user", "agency")
    return AssignForm(
        request.POST if request.method == "POST" else None,
        positions=positions,
        units=selectors.organisation_units(doc.agency),
    )


def _resolve_targets(form: AssignForm, user: Any, doc: IncomingDocument) -> dict[str, Any]:
    """``u12`` / ``a3`` → ``AssignmentSpec`` (people and units from the document's organisation)."""
    people = {f"u{p.user_id}": p.user for p in _org_positions(user, doc.agency).select_related("user")}
    units = {f"a{u.pk}": u for u in selectors.organisation_units(doc.agency)}

    def spec(kind: str, key: str) -> AssignmentSpec:
        if key in people:
            return AssignmentSpec(kind, user=people[key])
        if key in units:
            return AssignmentSpec(kind, unit=units[key])
        raise ValidationError({"lead": _("Người hoặc đơn vị được chọn không còn thuộc cơ quan.")})

    data = form.cleaned_data
    return {
        "lead": spec(Assignment.Kind.LEAD, data["lead"]),
        "cooperate": [spec(Assignment.Kind.COOPERATE, k) for k in data["cooperate"]],
        "inform": [spec(Assignment.Kind.INFORM, k) for k in data["inform"]],
    }


@staff_required
@require_http_methods(["GET", "POST"])
def incoming_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Phân công xử lý. The form opens inside the document page (htmx) or as a page of its own."""
    user = _user(request)
    doc = _incoming_or_404(user, pk)
    if not (directory.is_system_admin(user) or directory.user_has_role(user, doc.agency, *LEADER_ROLES)):
        raise PermissionDenied(_("Chỉ lãnh đạo cơ quan được phân công xử lý văn bản."))
    form = _assign_form(request, user, doc)
    if request.method == "POST" and form.is_valid():
        try:
            services.assign(
                actor=user,
                document=doc,
                direction=form.cleaned_data["direction"],
                deadline_working_days=form.cleaned_data["deadline_working_days"],
                **_resolve_targets(form, user, doc),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã phân công xử lý văn bản."))
            return redirect("incoming-detail", pk=doc.pk)
    context = {"section": "incoming", "doc": doc, "form": form}
    status = 400 if form.errors else 200
    return _render(
        request, "documents/incoming_assign.html", "documents/_assign_form.html", context, status=status
    )


# --- Outgoing ---------------------------------------------------------------------------------------------


def _outgoing_filter_form(request: HttpRequest, user: Any) -> ListFilterForm:
    registers = selectors.registers_visible_to(user).filter(
        direction=Register.Direction.OUTGOING, active=True
    )
    return ListFilterForm(
        request.GET or None,
        registers=registers.order_by("agency__path", "-is_default", "name", "id"),
        statuses=OUTGOING_STATUSES,
        types=selectors.document_types(),
    )


@staff_required
@require_GET
def outgoing_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = _outgoing_filter_form(request, user)
    filters = form.filters()
    filters.pop("q", None)
    filters.pop("agency_text", None)
    page = _page(request, selectors.outgoing_register_list(user, **filters))
    context = {
        "section": "outgoing",
        "form": form,
        "page": page,
        "filtered": bool(filters),
        "can_draft": bool(directory.member_agency_ids(user)),
        "export_registers": form.fields["register"].choices[1:],  # type: ignore[attr-defined]
    }
    return _render(request, "documents/outgoing_list.html", "documents/_outgoing_results.html", context)


def _draft_form(request: HttpRequest, user: Any) -> OutgoingDraftForm:
    agencies = selectors.organisations_of(user)
    if not agencies:
        raise PermissionDenied(_("Bạn chưa công tác tại cơ quan nào nên chưa soạn được văn bản."))
    chosen = agencies[0]
    if len(agencies) > 1:
        asked = request.POST.get("agency") if request.method == "POST" else request.GET.get("agency")
        chosen = next((a for a in agencies if str(a.pk) == str(asked)), agencies[0])
    my_units = [p.agency for p in directory.active_positions(user) if p.agency.kind == Agency.Kind.UNIT]
    initial_unit = next((u for u in my_units if u.organisation().pk == chosen.pk), None)
    return OutgoingDraftForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        agencies=agencies,
        units=selectors.organisation_units(chosen),
        signers=_leaders_of(user, chosen),
        types=selectors.document_types(),
        initial={"agency": chosen.pk, "drafting_unit": initial_unit.pk if initial_unit else None},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def outgoing_draft(request: HttpRequest) -> HttpResponse:
    """Soạn dự thảo văn bản đi: type, subject, drafting unit, signer, recipients from the directory, files."""
    user = _user(request)
    form = _draft_form(request, user)
    if request.method == "POST" and form.is_valid():
        try:
            doc = outgoing.create_draft(actor=user, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu dự thảo. Kiểm tra lại rồi bấm “Trình duyệt”."))
            return redirect("outgoing-detail", pk=doc.pk)
    context = {
        "section": "outgoing",
        "form": form,
        "recipients": form.chosen_recipients(),
        "authorities": SIGNING_AUTHORITIES,
        "files_lost": bool(form.errors and request.FILES),
    }
    return render(request, "documents/outgoing_form.html", context, status=400 if form.errors else 200)


@staff_required
@require_GET
def recipient_search(request: HttpRequest) -> HttpResponse:
    """Fragment: agencies of the directory matching the text (accent-insensitive), to add as recipients."""
    text = request.GET.get("recipient_q", "").strip()[:200]
    chosen = {v for v in request.GET.getlist("recipients") if v.isdigit()}
    agencies = list(directory.agency_search(search=text)[:RECIPIENT_RESULTS]) if text else []
    context = {"query": text, "agencies": agencies, "chosen": chosen}
    response = render(request, "documents/_recipient_results.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@staff_required
@require_GET
def recipient_pick(request: HttpRequest) -> HttpResponse:
    """Fragment: one chosen recipient (a checked checkbox of the draft form); nothing when already chosen."""
    pk = request.GET.get("id", "")
    chosen = set(request.GET.getlist("recipients"))
    if not pk.isdigit() or pk in chosen:
        return HttpResponse("")
    agency = Agency.objects.current().filter(pk=int(pk)).first()
    if agency is None:
        return HttpResponse("")
    return render(request, "documents/_recipient_chosen.html", {"agency": agency})


def _outgoing_or_404(user: Any, pk: int) -> OutgoingDocument:
    doc = selectors.outgoing_detail(user, pk)
    if doc is None:
        raise Http404(_("Không tìm thấy văn bản."))
    return doc


def _outgoing_abilities(user: Any, doc: OutgoingDocument) -> dict[str, bool]:
    reviewer = directory.user_has_role(user, doc.drafting_unit or doc.agency, *LEADER_ROLES)
    approver = directory.user_has_role(user, doc.agency, *LEADER_ROLES)
    return {
        "submit": doc.created_by_id == user.pk and doc.status == OS.DRAFT,
        "review": reviewer and doc.status == OS.IN_REVIEW,
        "approve": approver and doc.status == OS.PENDING_APPROVAL,
        "sign": doc.signer_id == user.pk and doc.status == OS.APPROVED,
        "issue": directory.user_has_role(user, doc.agency, Role.CLERK) and doc.status == OS.SIGNED,
        "revoke": doc.status == OS.ISSUED
        and directory.user_has_role(user, doc.agency, Role.CLERK, *LEADER_ROLES),
    }


def _issue_form(user: Any, doc: OutgoingDocument, data: Any = None) -> IssueForm:
    registers = selectors.registers_for_role(user, Register.Direction.OUTGOING, Role.CLERK).filter(
        agency=doc.agency, is_secret=doc.confidentiality > 0
    )
    default = next((r for r in registers if r.is_default), None) or registers.first()
    if doc.register_id is not None:  # numbered at signature (older flow): issue keeps that register
        return IssueForm(data, registers=registers, initial={"register": doc.register_id})
    return IssueForm(data, registers=registers, initial={"register": default.pk if default else None})


def _outgoing_context(
    request: HttpRequest, doc: OutgoingDocument, bound: str = "", bound_form: Any = None
) -> dict[str, Any]:
    from egov.signing import selectors as signing_selectors

    user = _user(request)
    can = _outgoing_abilities(user, doc)
    attachments = list(doc.attachments.all())
    signed = next((a for a in attachments if a.role == Attachment.Role.SIGNED), None)
    forms: dict[str, Any] = {}
    if can["review"] or bound == "review":
        forms["review"] = bound_form if bound == "review" else DecisionForm()
    if can["approve"] or bound == "approve":
        forms["approve"] = bound_form if bound == "approve" else DecisionForm()
    if can["issue"] or bound == "issue":
        forms["issue"] = bound_form if bound == "issue" else _issue_form(user, doc)
    if can["revoke"] or bound == "revoke":
        forms["revoke"] = bound_form if bound == "revoke" else RevokeForm()
    certificate = signing_selectors.signing_certificate_for(user) if can["sign"] else None
    recipients = [
        (r, RECIPIENT_STATUS.get(r.status_code, r.status_description)) for r in doc.recipients.all()
    ]
    return {
        "section": "outgoing",
        "doc": doc,
        "can": can,
        "forms": forms,
        "bound_form": bound_form,
        "certificate": certificate,
        "attachments": attachments,
        "signed": signed,
        "viewer": _viewer(request, attachments, signed),
        "recipients": recipients,
        "timeline": _timeline(list(doc.events.all())),
        "internal": OutgoingRecipient.Channel.INTERNAL,
    }


@staff_required
@require_GET
def outgoing_detail(request: HttpRequest, pk: int) -> HttpResponse:
    doc = _outgoing_or_404(_user(request), pk)
    return render(request, "documents/outgoing_detail.html", _outgoing_context(request, doc))


def _outgoing_step(
    request: HttpRequest,
    pk: int,
    name: str,
    form: Any,
    call: Callable[[Any, OutgoingDocument, dict[str, Any]], Any],
    done: Callable[[OutgoingDocument], str],
) -> HttpResponse:
    user = _user(request)
    doc = _outgoing_or_404(user, pk)
    form = form(user, doc) if callable(form) else form
    if form is None or form.is_valid():
        try:
            result = call(user, doc, form.cleaned_data if form is not None else {})
        except ValidationError as exc:
            if form is None:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect("outgoing-detail", pk=doc.pk)
            add_service_errors(form, exc)
        else:
            messages.success(request, done(result))
            return redirect("outgoing-detail", pk=doc.pk)
    doc = _outgoing_or_404(user, pk)
    context = _outgoing_context(request, doc, bound=name, bound_form=form)
    return render(request, "documents/outgoing_detail.html", context, status=400)


@dataclass(frozen=True)
class OutgoingStep:
    """One action of the outgoing page: its form (built from the request, the user and the document; none for
    a bare button), the service call (user, document, the form's cleaned data) and the success message (from
    the document the service returned)."""

    form: Callable[[HttpRequest, Any, OutgoingDocument], Any] | None
    call: Callable[[Any, OutgoingDocument, dict[str, Any]], Any]
    done: Callable[[OutgoingDocument], str]


def _decision(request: HttpRequest, user: Any, doc: OutgoingDocument) -> DecisionForm:
    return DecisionForm(request.POST)


#: The POST actions of the outgoing page (``/documents/outgoing/<pk>/<name>/``).
OUTGOING_STEPS: dict[str, OutgoingStep] = {
    "submit": OutgoingStep(
        None,
        lambda user, doc, d: outgoing.submit(actor=user, document=doc),
        lambda doc: _("Đã trình dự thảo."),
    ),
    "review": OutgoingStep(
        _decision,
        lambda user, doc, d: outgoing.review(
            actor=user, document=doc, approve=d["decision"] == "approve", note=d["note"]
        ),
        lambda doc: (
            _("Đã trình lãnh đạo cơ quan.") if doc.status == OS.PENDING_APPROVAL else _("Đã trả lại dự thảo.")
        ),
    ),
    "approve": OutgoingStep(
        _decision,
        lambda user, doc, d: outgoing.approve(
            actor=user, document=doc, approve=d["decision"] == "approve", note=d["note"]
        ),
        lambda doc: (
            _("Đã duyệt văn bản, chờ ký số.") if doc.status == OS.APPROVED else _("Đã trả lại dự thảo.")
        ),
    ),
    "sign": OutgoingStep(
        None,
        lambda user, doc, d: outgoing.sign(actor=user, document=doc),
        lambda doc: _("Đã ký số văn bản."),
    ),
    "issue": OutgoingStep(
        lambda request, user, doc: _issue_form(user, doc, request.POST),
        lambda user, doc, d: outgoing.issue(actor=user, document=doc, register=d["register"]),
        lambda doc: _("Đã cấp số %(n)s và phát hành văn bản.") % {"n": doc.number_notation},
    ),
    "revoke": OutgoingStep(
        lambda request, user, doc: RevokeForm(request.POST),
        lambda user, doc, d: outgoing.revoke(actor=user, document=doc, reason=d["reason"]),
        lambda doc: _("Đã thu hồi văn bản; các nơi nhận được đề nghị thu hồi."),
    ),
}


def _outgoing_step_view(name: str) -> Callable[..., HttpResponseBase]:
    step = OUTGOING_STEPS[name]

    def handle(request: HttpRequest, pk: int) -> HttpResponse:
        make = step.form
        form = (lambda user, doc: make(request, user, doc)) if make is not None else None
        return _outgoing_step(request, pk, name, form, step.call, step.done)

    return _post_view(f"outgoing_{name}", handle, f"POST of the outgoing page's ``{name}`` action.")


outgoing_submit = _outgoing_step_view("submit")
outgoing_review = _outgoing_step_view("review")
outgoing_approve = _outgoing_step_view("approve")
outgoing_sign = _outgoing_step_view("sign")
outgoing_issue = _outgoing_step_view("issue")
outgoing_revoke = _outgoing_step_view("revoke")


# --- Files ------------------------------------------------------------------------------------------------


@staff_required
@require_GET
def document_file(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A document's file: a download, or with ``?inline=1`` a PDF/image shown in the page's viewer."""
    att = selectors.attachment_get(_user(request), pk)
    if att is None:
        raise Http404(_("Không tìm thấy tệp."))
    return files.file_response(att.file, inline=request.GET.get("inline") == "1")


# --- Search -----------------------------------------------------------------------------------------------


@staff_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """Tìm kiếm văn bản: full text (accent-insensitive) plus filters, in incoming or outgoing documents."""
    user = _user(request)
    direction = "outgoing" if request.GET.get("direction") == "outgoing" else "incoming"
    registers = selectors.registers_visible_to(user).filter(direction=direction, active=True)
    form = ListFilterForm(
        request.GET or None,
        registers=registers.order_by("agency__path", "-is_default", "name", "id"),
        statuses=OUTGOING_STATUSES if direction == "outgoing" else INCOMING_STATUSES,
        types=selectors.document_types(),
    )
    filters = form.filters()
    query = filters.pop("q", "")
    searching = bool(query or filters)
    results = selectors.search_documents(user, direction, query=query, **filters) if searching else None
    page = _page(request, results) if results is not None else None
    rows: list[Any] = []
    if page is not None:
        rows = _flagged(list(page.object_list)) if direction == "incoming" else [(d, "") for d in page]
    counts = {}
    if searching and query:
        # How many matches the other direction holds (the tabs show both), with the same text only.
        other = "incoming" if direction == "outgoing" else "outgoing"
        counts[other] = selectors.search_documents(user, other, query=query).count()
    context = {
        "section": "search",
        "form": form,
        "direction": direction,
        "query": query,
        "searching": searching,
        "page": page,
        "rows": rows,
        "other_count": counts.get("incoming" if direction == "outgoing" else "outgoing"),
    }
    return _render(request, "documents/search.html", "documents/_search_results.html", context)


# --- Register exports -------------------------------------------------------------------------------------


def _export(request: HttpRequest, direction: str, back: str) -> HttpResponse:
    from egov.documents import exports

    user = _user(request)
    registers = selectors.registers_visible_to(user).filter(direction=direction)
    form = ExportForm(request.GET, registers=registers)
    if not form.is_valid():
        for field_errors in form.errors.values():
            for message in field_errors:
                messages.error(request, str(message))
        return redirect(back)
    data = form.cleaned_data
    try:
        content = exports.export(user, data["register"], data["date_from"], data["date_to"], data["format"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(back)
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[data["format"]])
    name = exports.filename(data["register"], data["date_from"], data["date_to"], data["format"])
    response["Content-Disposition"] = content_disposition_header(True, name)
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
@require_GET
def incoming_export(request: HttpRequest) -> HttpResponse:
    """Sổ đăng ký văn bản đến as Excel or PDF (``documents.exports``), for the chosen register and dates."""
    return _export(request, Register.Direction.INCOMING, "incoming-list")


@staff_required
@require_GET
def outgoing_export(request: HttpRequest) -> HttpResponse:
    """Sổ đăng ký văn bản đi as Excel or PDF."""
    return _export(request, Register.Direction.OUTGOING, "outgoing-list")
