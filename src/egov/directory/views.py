"""Pages of the staff interface for the directory. Views are thin: they read through ``selectors``, change
through ``services``, and render. htmx requests get a fragment instead of the whole page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from egov.directory import selectors, services
from egov.directory.auth_views import staff_required
from egov.directory.forms import AgencyForm, AgencySearchForm, PeopleSearchForm, add_service_errors
from egov.directory.models import Agency, Role

AGENCIES_PER_PAGE = 25
PEOPLE_PER_PAGE = 25
MEMBERS_PER_PAGE = 50
ROLE_LABELS = dict(Role.choices)


def _partial(request: HttpRequest) -> bool:
    """An htmx request that wants a fragment (a history restore wants the whole page)."""
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


def _agency_or_404(pk: int) -> Agency:
    try:
        return selectors.agency_get(pk)
    except Agency.DoesNotExist:
        raise Http404(_("Không tìm thấy cơ quan.")) from None


def _page(request: HttpRequest, items: Any, per_page: int, param: str = "page") -> Page:
    return Paginator(items, per_page).get_page(request.GET.get(param))


def _with_child_counts(agencies: list[Agency]) -> list[tuple[Agency, int]]:
    counts = selectors.child_counts(agencies)
    return [(agency, counts.get(agency.pk, 0)) for agency in agencies]


# --- Home and profile -----------------------------------------------------------------------------------


@staff_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    context = {
        "section": "home",
        "positions": selectors.active_positions(user).order_by("agency__path", "role"),
        "acting_roles": [
            (agency, ROLE_LABELS.get(role, role)) for agency, role in selectors.acting_roles(user)
        ],
        "is_sysadmin": selectors.is_system_admin(user),
    }
    return render(request, "directory/home.html", context)


@staff_required
@require_GET
def profile(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    given, received = selectors.user_delegations(user)
    context = {
        "section": "profile",
        "positions": selectors.user_positions(user),
        "delegations_given": given,
        "delegations_received": received,
        "otp_enabled": selectors.otp_enabled(user),
    }
    return render(request, "directory/profile.html", context)


# --- Directory of agencies --------------------------------------------------------------------------------


@staff_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    """The tree of agencies (roots, expanded on demand) or, with a search text or kind, a flat result list."""
    form = AgencySearchForm(request.GET or None)
    text, kind = form.values()
    searching = bool(text or kind)
    agencies = selectors.agency_search(search=text, kind=kind) if searching else selectors.agency_level(None)
    page = _page(request, agencies, AGENCIES_PER_PAGE)
    context = {
        "section": "directory",
        "form": form,
        "searching": searching,
        "query": text,
        "page": page,
        "rows": _with_child_counts(list(page.object_list)),
    }
    return _render(request, "directory/directory.html", "directory/_directory_results.html", context)


@staff_required
@require_GET
def agency_children(request: HttpRequest, pk: int) -> HttpResponse:
    """Fragment: the children of one node of the tree (loaded by htmx when the node is opened)."""
    agency = _agency_or_404(pk)
    if not _partial(request):
        return redirect("agency-detail", pk=agency.pk)
    children = list(selectors.agency_level(agency))
    context = {"parent": agency, "rows": _with_child_counts(children)}
    return _render(request, "directory/_tree_nodes.html", None, context)


@staff_required
@require_GET
def agency_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    agency = _agency_or_404(pk)
    predecessors, successors = selectors.agency_lineage(agency)
    can_view_people = selectors.can_view_agency_members(user, agency)
    members = (
        _page(request, selectors.agency_members(user, agency), MEMBERS_PER_PAGE) if can_view_people else None
    )
    context = {
        "section": "directory",
        "agency": agency,
        "breadcrumb": selectors.agency_breadcrumb(agency)[:-1],
        "children": _with_child_counts(list(selectors.agency_level(agency))),
        "predecessors": predecessors,
        "successors": successors,
        "can_view_people": can_view_people,
        "members": members,
        "can_edit": selectors.can_manage_agency(user, agency),
        "can_add_child": selectors.is_system_admin(user),
    }
    return render(request, "directory/agency_detail.html", context)


@staff_required
@require_http_methods(["GET", "POST"])
def agency_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    agency = _agency_or_404(pk)
    if not selectors.can_manage_agency(user, agency):
        raise PermissionDenied(_("Bạn không có quyền quản trị cơ quan này."))
    # The form works on its own copy: validation must not alter the agency shown in the page title.
    form = AgencyForm(request.POST or None, instance=selectors.agency_get(pk))
    if request.method == "POST" and form.is_valid():
        try:
            services.update_agency(actor=user, agency=agency, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã lưu thông tin cơ quan."))
            return redirect("agency-detail", pk=agency.pk)
    status = 400 if form.errors else 200
    context = {
        "section": "directory",
        "agency": agency,
        "breadcrumb": selectors.agency_breadcrumb(agency),
        "form": form,
        "mode": "edit",
    }
    return render(request, "directory/agency_form.html", context, status=status)


@staff_required
@require_http_methods(["GET", "POST"])
def agency_add_child(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    parent = _agency_or_404(pk)
    if not selectors.is_system_admin(user):
        raise PermissionDenied(_("Chỉ quản trị hệ thống được thêm cơ quan, đơn vị."))
    form = AgencyForm(request.POST or None, initial={"kind": Agency.Kind.UNIT})
    if request.method == "POST" and form.is_valid():
        try:
            child = services.create_agency(actor=user, parent=parent, **form.service_fields())
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Đã thêm đơn vị “%(name)s”.") % {"name": child.name})
            return redirect("agency-detail", pk=child.pk)
    status = 400 if form.errors else 200
    context = {
        "section": "directory",
        "agency": parent,
        "breadcrumb": selectors.agency_breadcrumb(parent),
        "form": form,
        "mode": "add",
    }
    return render(request, "directory/agency_form.html", context, status=status)


# --- People -----------------------------------------------------------------------------------------------


@staff_required
@require_GET
def people(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PeopleSearchForm(request.GET or None)
    text = form.value()
    page = _page(request, selectors.people_search(user, text), PEOPLE_PER_PAGE)
    context = {
        "section": "people",
        "form": form,
        "query": text,
        "page": page,
        "is_sysadmin": selectors.is_system_admin(user),
        "has_organisation": bool(selectors.member_agency_ids(user)),
    }
    return _render(request, "directory/people.html", "directory/_people_results.html", context)


@staff_required
@require_GET
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user: Any = request.user
    person = selectors.person_get(user, pk)
    if person is None:  # not found and not visible look the same
        raise Http404(_("Không tìm thấy cán bộ."))
    context = {
        "section": "people",
        "person": person,
        "positions": selectors.person_positions(user, person),
    }
    return render(request, "directory/person_detail.html", context)
