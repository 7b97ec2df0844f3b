"""Permission sweep over EVERY route under /api/v1/, found from the URL resolver.

Agency B is ``tree.department`` (with its internal unit); the intruder is ``foreign_staff``, an agency
administrator of another province. Each route under /api/v1/ must appear in ``ROUTES`` (with an
expectation for every HTTP method it allows) or in ``PUBLIC`` (with the reason it holds nothing of another
agency); otherwise the sweep fails, so a new endpoint cannot be added without deciding who may call it.

For every route and every method it allows, the foreign staff member gets:

* on anything belonging to B (members, people, positions, delegations, incoming and outgoing documents and
  their files): 403 or 404;
* on the agency directory itself (names and codes, public to all staff by design): reads succeed, and every
  write (update, create a child, close) is refused with 403 or 404;
* on lists: 200, and none of B's people, positions, delegations, registers or documents in the results,
  whatever the filters;

and after each call nothing in the database has changed (audit row count, documents and files included).
Methods a route does not allow answer 405, also without changes. Anonymous callers get 401 and citizens 403
everywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from egov.audit.models import AuditEntry
from egov.directory import selectors, services
from egov.directory.models import Agency, Delegation, Position, Role, User
from egov.directory.tests.fixtures import PASSWORD, Tree, make_staff
from egov.documents import outgoing as outgoing_services
from egov.documents import services as document_services
from egov.documents.doctypes import ensure_document_types
from egov.documents.models import (
    Assignment,
    Attachment,
    DocumentEvent,
    DocumentType,
    IncomingDocument,
    OutgoingDocument,
    OutgoingRecipient,
    Register,
    RegisterCounter,
    StoredFile,
)
from egov.documents.tests.conftest import NamedBytes, pdf_bytes
from egov.dossiers import services as dossier_services
from egov.dossiers.models import CitizenDocument, Dossier, DossierEvent, DossierGroup, DossierPaper, Payment
from egov.dossiers.tests.conftest import make_procedure
from egov.exchange.models import OutboundPacket
from egov.procedures import services as procedure_services
from egov.procedures.models import Channel, Procedure, ProcedureAgency, ProcedureGroup, ProcedureGroupItem
from egov.reporting.tests import sweep as reporting_sweep

API_PREFIX = "api/v1/"
ALL_METHODS = ("get", "head", "post", "put", "patch", "delete", "options")
DENIED = (403, 404)


# --- What belongs to agency B ---------------------------------------------------------------------------


@dataclass
class World:
    tree: Tree
    foreign: User
    b_people: set[int]
    b_positions: set[int]
    b_delegations: set[int]
    b_agencies: set[int]  # B and its internal units
    person: User  # a member of B
    position: Position  # a position in B
    delegation: Delegation  # a delegation in B
    leader: User  # B's leader (delegator of ``delegation``)
    docs: Documents  # B's registers, documents and files
    procedure: Procedure  # a catalogue procedure received and decided by B (public, changed only by admins)
    dossiers: Dossiers  # a dossier received by B, of a citizen who is not the sweep's citizen


@dataclass
class Documents:
    """What agency B owns in the documents app."""

    registers: set[int]
    incoming: IncomingDocument  # registered, with a PDF
    outgoing: OutgoingDocument  # a draft, with a PDF
    incoming_file: Attachment
    outgoing_file: Attachment
    document_type: DocumentType
    outbound: OutboundPacket  # a status packet for the axis that failed (retry allowed to B's clerk)

    @property
    def incoming_register(self) -> int:
        return self.incoming.register_id


def b_documents(tree: Tree, clerk: User, specialist: User) -> Documents:
    ensure_document_types()
    for agency in (tree.department, tree.other_province):
        document_services.ensure_default_registers(actor=None, agency=agency)
    qd = DocumentType.objects.get(code="quyet-dinh")
    incoming = document_services.register_incoming(
        actor=clerk, agency=tree.department, document_type=qd, subject="Quyết định thành lập tổ công tác",
        issuing_agency_name="Ủy ban nhân dân tỉnh Demo", code_number="15", code_notation="QĐ-UBND",
        files=[NamedBytes(pdf_bytes("To cong tac chuyen doi so"), "qd.pdf")],
    )  # fmt: skip
    draft = outgoing_services.create_draft(
        actor=specialist, agency=tree.department, document_type=qd, subject="Quyết định ban hành quy chế",
        recipients=[tree.office], files=[NamedBytes(pdf_bytes("Du thao quy che"), "du-thao.pdf")],
    )  # fmt: skip
    outbound = OutboundPacket.objects.create(
        kind=OutboundPacket.Kind.STATUS, incoming=incoming, status_code="03", organ_id="000.00.00.G22",
        document_id="000.00.00.G22,2026/11/20,15/QĐ-UBND", message_type="status", sha256="0" * 64,
        file=ContentFile(b"<edXMLEnvelope/>", name="status.edxml"), state=OutboundPacket.State.FAILED,
    )  # fmt: skip
    return Documents(
        registers=set(Register.objects.filter(agency=tree.department).values_list("pk", flat=True)),
        incoming=incoming,
        outgoing=draft,
        incoming_file=incoming.attachments.get(),
        outgoing_file=draft.attachments.get(),
        document_type=qd,
        outbound=outbound,
    )


@pytest.fixture
def world(
    tree: Tree, clerk: User, leader: User, specialist: User, agency_admin: User, foreign_staff: User
) -> World:
    now = timezone.now()
    delegation = services.create_delegation(
        actor=None, delegator=leader, delegate=clerk, agency=tree.department, role=Role.LEADER,
        starts_at=now - dt.timedelta(hours=1), ends_at=now + dt.timedelta(days=3), reason="Đi công tác",
    )  # fmt: skip
    past = services.create_delegation(
        actor=None, delegator=leader, delegate=specialist, agency=tree.department, role=Role.LEADER,
        starts_at=now, ends_at=now + dt.timedelta(days=1), reason="Nghỉ phép",
    )  # fmt: skip
    services.revoke_delegation(actor=None, delegation=past)
    ended = services.assign_position(
        actor=None, user=specialist, agency=tree.department, role=Role.CLERK, valid_from=dt.date(2025, 1, 1)
    )
    services.end_position(actor=None, position=ended, last_day=dt.date(2025, 12, 31))
    b_agencies = selectors.unit_closure(tree.department)
    b_positions = set(Position.objects.filter(agency_id__in=b_agencies).values_list("pk", flat=True))
    return World(
        tree=tree,
        foreign=foreign_staff,
        b_people={clerk.pk, leader.pk, specialist.pk, agency_admin.pk},
        b_positions=b_positions,
        b_delegations={delegation.pk, past.pk},
        b_agencies=b_agencies,
        person=clerk,
        position=Position.objects.get(user=clerk, agency=tree.department),
        delegation=delegation,
        leader=leader,
        docs=b_documents(tree, clerk, specialist),
        procedure=b_procedure(tree),
        dossiers=b_dossiers(tree),
    )


@dataclass
class Dossiers:
    """What agency B holds in the one-stop shop: a dossier submitted online by a citizen (``owner``) and
    accepted by B's one-stop officer, its paper, and a document of the owner's store."""

    dossier: Dossier
    paper: DossierPaper
    owner: User
    officer: User
    document: CitizenDocument
    group: DossierGroup  # an inter-linked submission of the same citizen, one part received by B

    def personal_data(self) -> list[str]:
        d = self.dossier
        values = (d.applicant_name, d.applicant_identity, d.applicant_phone, d.applicant_email)
        return [v for v in values if v]


def b_dossiers(tree: Tree) -> Dossiers:
    from django.core.cache import cache

    cache.clear()  # the public look-up's rate limit counts in the default cache
    officer = make_staff("motcua_b", tree.department, Role.ONE_STOP_OFFICER, title="Cán bộ một cửa")
    owner = services.register_citizen(
        full_name="Hoàng Thị Chủ", identity_number="001099000321", password=PASSWORD, phone="0977000321"
    )
    procedure = make_procedure("1.000999", receiving=tree.department)
    papers = [
        dossier_services.PaperInput(required_paper=p, upload=NamedBytes(pdf_bytes(p.code), f"{p.code}.pdf"))
        for p in procedure.papers.all()
    ]
    dossier = dossier_services.submit_online(
        actor=owner, procedure=procedure, agency=tree.department, papers=papers, idempotency_key="b-1"
    )
    dossier = dossier_services.accept(actor=officer, dossier=dossier)
    paper = dossier.papers.exclude(file=None).first()
    assert paper is not None and paper.file is not None
    document = CitizenDocument.objects.create(
        owner=owner, name=paper.name, file=paper.file, source_dossier=dossier
    )
    linked = make_procedure("1.000998", receiving=tree.department)
    procedure_group = ProcedureGroup.objects.create(code="LT-B", name="Nhóm liên thông của B")
    ProcedureGroupItem.objects.create(group=procedure_group, procedure=linked, order=1)
    group = dossier_services.submit_group(
        actor=owner,
        procedure_group=procedure_group,
        papers={
            linked.pk: [
                dossier_services.PaperInput(required_paper=p, upload=NamedBytes(pdf_bytes(p.code), "g.pdf"))
                for p in linked.papers.all()
            ]
        },
        idempotency_key="b-group",
    )
    return Dossiers(
        dossier=dossier, paper=paper, owner=owner, officer=officer, document=document, group=group
    )


def b_procedure(tree: Tree) -> Procedure:
    field = procedure_services.ensure_field(actor=None, name="Hộ tịch", code="HT")
    part = ProcedureAgency.Part
    return procedure_services.create_procedure(
        actor=None, code="1.001193", name="Thủ tục đăng ký khai sinh", field=field, levels=["commune"],
        methods=[{"channel": Channel.DIRECT, "processing_days": 1}],
        agencies=[(tree.department, part.RECEIVING), (tree.department, part.EXECUTING)],
    )  # fmt: skip


# --- Expectations ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deny:
    """Refused (403/404), nothing changed. ``body`` is a request that would be valid if it were allowed."""

    body: Callable[[World], dict[str, Any]] | None = None


@dataclass(frozen=True)
class Read:
    """Allowed: the agency directory is public to all staff. ``must_include`` is in the response."""

    must_include: Callable[[World], int] | None = None


@dataclass(frozen=True)
class ListWithout:
    """200, and no row of B: ``forbidden(world)`` gives B's ids; ``queries`` are extra filters to try."""

    forbidden: Callable[[World], set[int]]
    queries: Callable[[World], list[dict[str, Any]]] = lambda w: [{}]
    row_agency: str | None = None  # a field holding an agency id that must never be one of B's


@dataclass(frozen=True)
class NotAgencyScoped:
    """A write that addresses no agency's object (reason given); covered by its own tests."""

    reason: str


@dataclass(frozen=True)
class ReadWithout:
    """200, and none of ``forbidden(world)`` (names, codes, personal data of B) anywhere in the body."""

    forbidden: Callable[[World], list[str]]
    queries: Callable[[World], list[dict[str, Any]]] = lambda w: [{}]


Expectation = Deny | Read | ListWithout | NotAgencyScoped | ReadWithout


@dataclass(frozen=True)
class RouteSpec:
    methods: dict[str, Expectation]
    kwargs: Callable[[World], dict[str, Any]] = field(default=lambda w: {})
    # Other objects of B to try the same expectations on (e.g. a file of an incoming and of an outgoing doc).
    more_kwargs: Callable[[World], list[dict[str, Any]]] = field(default=lambda w: [])


def b_agency(w: World) -> dict[str, Any]:
    return {"pk": w.tree.department.pk}


MY_DOSSIER_ROUTES = (
    "detail",
    "paper-file",
    "result-file",
    "form",
    "supplement",
    "withdraw",
    "pay",
    "rate",
    "feedback",
)


def b_dossier(w: World) -> dict[str, Any]:
    return {"pk": w.dossiers.dossier.pk}


def b_dossier_form(w: World) -> dict[str, Any]:
    return {"pk": w.dossiers.dossier.pk, "form": "01"}


def b_group(w: World) -> dict[str, Any]:
    return {"code": w.dossiers.group.code}


def b_dossier_paper(w: World) -> dict[str, Any]:
    return {"pk": w.dossiers.dossier.pk, "paper": w.dossiers.paper.pk}


def _dossier_at_b_desk(w: World) -> dict[str, Any]:
    """A valid desk reception for B (B's one-stop officer gets 201 with it)."""
    procedure = w.dossiers.dossier.procedure
    return {
        "procedure": procedure.pk,
        "agency": w.tree.department.pk,
        "applicant_name": "Người Giả Mạo",
        "applicant_identity": "001099000999",
        "papers": list(procedure.papers.values_list("pk", flat=True)),
    }


def _b_statistics(w: World) -> list[str]:
    return [w.tree.department.name, w.dossiers.dossier.procedure.code]


def _statistics_queries(w: World) -> list[dict[str, Any]]:
    dates = {"date_from": "2025-01-01", "date_to": "2030-12-31"}
    return [dates, {**dates, "agency": w.tree.department.pk}]


def _dossier_routes() -> dict[str, RouteSpec]:
    """The dossiers API. Officials' routes: B's dossier is refused (403/404) and never listed. Citizens'
    routes (``my/``) answer 403 to staff (see CITIZEN for citizens). The public look-up answers anyone,
    without personal data (see PUBLIC_ANONYMOUS)."""
    deny_read = {"get": Deny(), "head": Deny()}
    dossier_ids = lambda w: {w.dossiers.dossier.pk}  # noqa: E731
    routes: dict[str, RouteSpec] = {
        "dossiers-api:dossier-list": RouteSpec(
            {
                "get": ListWithout(
                    forbidden=dossier_ids,
                    queries=lambda w: [
                        {},
                        {"agency": w.tree.department.pk},
                        {"status": 2},
                        {"channel": 2},
                        {"search": w.dossiers.dossier.code},
                        {"procedure": w.dossiers.dossier.procedure_id},
                    ],
                ),
                "head": ListWithout(forbidden=dossier_ids),
                "post": Deny(body=_dossier_at_b_desk),
            }
        ),
        "dossiers-api:dossier-queue": RouteSpec(
            {
                "get": ListWithout(
                    forbidden=dossier_ids,
                    queries=lambda w: [
                        {},
                        {"agency": w.tree.department.pk},
                        {"kind": "all"},
                        {"kind": "steps"},
                    ],
                ),
                "head": ListWithout(forbidden=dossier_ids),
            }
        ),
        "dossiers-api:dossier-statistics": RouteSpec(
            {
                "get": ReadWithout(forbidden=_b_statistics, queries=_statistics_queries),
                "head": ReadWithout(forbidden=_b_statistics, queries=_statistics_queries),
            }
        ),
        "dossiers-api:dossier-detail": RouteSpec(deny_read, kwargs=b_dossier),
        "dossiers-api:dossier-national-sync": RouteSpec(deny_read, kwargs=b_dossier),
        "dossiers-api:dossier-notifications": RouteSpec(deny_read, kwargs=b_dossier),
        "dossiers-api:dossier-result-file": RouteSpec(deny_read, kwargs=b_dossier),
        "dossiers-api:dossier-paper-file": RouteSpec(deny_read, kwargs=b_dossier_paper),
        "dossiers-api:dossier-form": RouteSpec(deny_read, kwargs=b_dossier_form),
        "dossiers-api:dossier-book": RouteSpec(deny_read),  # also refused with B's agency: see dossiers tests
        "dossiers-api:dossier-group-list": RouteSpec(
            {
                "get": ListWithout(forbidden=lambda w: {w.dossiers.group.pk}),
                "head": ListWithout(forbidden=lambda w: {w.dossiers.group.pk}),
            }
        ),
        "dossiers-api:dossier-group-detail": RouteSpec(deny_read, kwargs=b_group),
        "dossiers-api:my-dossier-form": RouteSpec(deny_read, kwargs=b_dossier_form),
        "dossiers-api:my-dossier-group-list": RouteSpec(
            {"get": Deny(), "head": Deny(), "post": Deny(body=lambda w: {})}
        ),
        "dossiers-api:my-dossier-group-detail": RouteSpec(deny_read, kwargs=b_group),
        "dossiers-api:my-dossier-list": RouteSpec(
            {"get": Deny(), "head": Deny(), "post": Deny(body=lambda w: {})}
        ),
        "dossiers-api:my-dossier-detail": RouteSpec(deny_read, kwargs=b_dossier),
        "dossiers-api:my-dossier-paper-file": RouteSpec(deny_read, kwargs=b_dossier_paper),
        "dossiers-api:my-dossier-result-file": RouteSpec(deny_read, kwargs=b_dossier),
        "dossiers-api:my-document-list": RouteSpec(deny_read),
        "dossiers-api:my-document-file": RouteSpec(
            deny_read, kwargs=lambda w: {"pk": w.dossiers.document.pk}
        ),
        "dossiers-api:public-dossier-detail": RouteSpec(
            {
                "get": ReadWithout(forbidden=lambda w: w.dossiers.personal_data()),
                "head": ReadWithout(forbidden=lambda w: w.dossiers.personal_data()),
            },
            kwargs=lambda w: {"code": w.dossiers.dossier.code},
        ),
    }
    bodies: dict[str, Callable[[World], dict[str, Any]]] = {
        "accept": lambda w: {},
        "refuse": lambda w: {"reason": "Sai thẩm quyền"},
        "start": lambda w: {"handler": w.foreign.pk},
        "forward": lambda w: {"handler": w.foreign.pk},
        "complete-step": lambda w: {"note": "x"},
        "return-step": lambda w: {"reason": "Dự thảo chưa đạt"},
        "request-supplement": lambda w: {"reason": "Thiếu giấy tờ"},
        "provide-supplement": lambda w: {"note": "x"},
        "request-payment": lambda w: {"amount": 1000},
        "record-payment": lambda w: {"reference": "x"},
        "stop": lambda w: {"reason": "Dừng"},
        "apology": lambda w: {"reason": "Chậm", "new_due_at": "2031-01-06"},
        "result": lambda w: {"note": "x"},
        "return": lambda w: {"method": "desk"},
    }
    for name, body in bodies.items():
        routes[f"dossiers-api:dossier-{name}"] = RouteSpec({"post": Deny(body=body)}, kwargs=b_dossier)
    my_bodies: dict[str, Callable[[World], dict[str, Any]]] = {
        "supplement": lambda w: {"note": "x"},
        "withdraw": lambda w: {"reason": "x"},
        "pay": lambda w: {"method": "sandbox"},
        "rate": lambda w: {"score": 1},
        "feedback": lambda w: {"text": "x"},
    }
    for name, body in my_bodies.items():
        routes[f"dossiers-api:my-dossier-{name}"] = RouteSpec({"post": Deny(body=body)}, kwargs=b_dossier)
    return routes


def _window() -> tuple[str, str]:
    now = timezone.now()
    return (now - dt.timedelta(hours=1)).isoformat(), (now + dt.timedelta(days=1)).isoformat()


def _delegation_in_b(w: World) -> dict[str, Any]:
    starts, ends = _window()
    return {
        "delegator": w.leader.pk,
        "delegate": w.foreign.pk,
        "agency": w.tree.department.pk,
        "role": "leader",
        "starts_at": starts,
        "ends_at": ends,
        "reason": "Chiếm quyền",
    }


def _incoming_in_b(w: World) -> dict[str, Any]:
    """A valid registration of an incoming document for B (B's clerk gets 201 with it)."""
    return {
        "agency": w.tree.department.pk,
        "document_type": w.docs.document_type.pk,
        "subject": "Văn bản giả mạo",
        "issuing_agency_name": "Ủy ban nhân dân tỉnh Khác",
        "code_number": "99",
        "code_notation": "QĐ-UBND",
    }


def _outgoing_in_b(w: World) -> dict[str, Any]:
    """A valid draft for B (B's staff get 201 with it)."""
    return {
        "agency": w.tree.department.pk,
        "document_type": w.docs.document_type.pk,
        "subject": "Dự thảo giả mạo",
        "recipients": [w.tree.office.pk],
    }


def b_incoming(w: World) -> dict[str, Any]:
    return {"pk": w.docs.incoming.pk}


def b_outgoing(w: World) -> dict[str, Any]:
    return {"pk": w.docs.outgoing.pk}


def some_packet(w: World) -> dict[str, Any]:
    return {"packet": "7d0c6f7e-4b1a-4f0e-9a53-2f1d9b0c1e11"}


def b_outbound(w: World) -> dict[str, Any]:
    return {"pk": w.docs.outbound.pk}


def _documents_listed(forbidden: Callable[[World], set[int]], queries: Any) -> dict[str, Expectation]:
    return {
        "get": ListWithout(forbidden=forbidden, row_agency="agency", queries=queries),
        "head": ListWithout(forbidden=forbidden),
    }


ROUTES: dict[str, RouteSpec] = {
    # The directory: readable by all staff, changes refused.
    "directory-api:agency-list": RouteSpec(
        {
            "get": Read(must_include=lambda w: w.tree.department.pk),
            "head": Read(),
            "post": Deny(body=lambda w: {"parent": w.tree.department.pk, "kind": "unit", "name": "Phòng lạ"}),
        }
    ),
    "directory-api:agency-detail": RouteSpec(
        {
            "get": Read(must_include=lambda w: w.tree.department.pk),
            "head": Read(),
            "patch": Deny(body=lambda w: {"name": "Đã bị sửa", "code_qcvn102": "000.00.09.H99"}),
        },
        kwargs=b_agency,
    ),
    "directory-api:agency-children": RouteSpec(
        {
            "get": Read(must_include=lambda w: w.tree.unit.pk),
            "head": Read(),
            "post": Deny(body=lambda w: {"kind": "unit", "name": "Phòng lạ"}),
        },
        kwargs=b_agency,
    ),
    "directory-api:agency-close": RouteSpec(
        {
            "post": Deny(body=lambda w: {"last_day": timezone.localdate().isoformat()}),
        },
        kwargs=b_agency,
    ),
    # B's own objects.
    "directory-api:agency-members": RouteSpec({"get": Deny(), "head": Deny()}, kwargs=b_agency),
    "directory-api:person-list": RouteSpec(
        {
            "get": ListWithout(forbidden=lambda w: w.b_people),
            "head": ListWithout(forbidden=lambda w: w.b_people),
            "post": NotAgencyScoped(
                "creates an account with no position; any agency administrator may "
                "(test_api.py::test_agency_admin_creates_staff_account)"
            ),
        }
    ),
    "directory-api:person-detail": RouteSpec(
        {"get": Deny(), "head": Deny()}, kwargs=lambda w: {"pk": w.person.pk}
    ),
    "directory-api:position-list": RouteSpec(
        {
            "get": ListWithout(
                forbidden=lambda w: w.b_positions,
                row_agency="agency",
                queries=lambda w: [
                    {},
                    {"include_past": "true"},
                    {"agency": w.tree.department.pk, "include_past": "true"},
                    {"agency": w.tree.unit.pk},
                    {"user": w.person.pk, "include_past": "true"},
                ],
            ),
            "head": ListWithout(forbidden=lambda w: w.b_positions),
            # Making oneself administrator of B.
            "post": Deny(
                body=lambda w: {"user": w.foreign.pk, "agency": w.tree.department.pk, "role": "agency_admin"}
            ),
        }
    ),
    "directory-api:position-detail": RouteSpec(
        {"get": Deny(), "head": Deny()}, kwargs=lambda w: {"pk": w.position.pk}
    ),
    "directory-api:position-end": RouteSpec(
        {"post": Deny(body=lambda w: {})}, kwargs=lambda w: {"pk": w.position.pk}
    ),
    "directory-api:delegation-list": RouteSpec(
        {
            "get": ListWithout(
                forbidden=lambda w: w.b_delegations,
                row_agency="agency",
                queries=lambda w: [
                    {},
                    {"agency": w.tree.department.pk},
                    {"active": "true"},
                    {"active": "false"},
                ],
            ),
            "head": ListWithout(forbidden=lambda w: w.b_delegations),
            "post": Deny(body=_delegation_in_b),
        }
    ),
    "directory-api:delegation-detail": RouteSpec(
        {"get": Deny(), "head": Deny()}, kwargs=lambda w: {"pk": w.delegation.pk}
    ),
    "directory-api:delegation-revoke": RouteSpec(
        {"post": Deny(body=lambda w: {})}, kwargs=lambda w: {"pk": w.delegation.pk}
    ),
    # The documents app: B's registers, documents and files.
    "documents-api:register-list": RouteSpec(
        _documents_listed(
            lambda w: w.docs.registers,
            lambda w: [{}, {"agency": w.tree.department.pk}, {"direction": "incoming"}],
        )
    ),
    "documents-api:incoming-list": RouteSpec(
        {
            **_documents_listed(
                lambda w: {w.docs.incoming.pk},
                lambda w: [
                    {},
                    {"register": w.docs.incoming_register},
                    {"status": "registered"},
                    {"document_type": w.docs.document_type.pk, "urgency": 0},
                    {
                        "date_from": timezone.localdate().isoformat(),
                        "date_to": timezone.localdate().isoformat(),
                    },
                    {"q": "to cong tac"},
                    {"q": "15/QĐ-UBND"},
                ],
            ),
            "post": Deny(body=_incoming_in_b),
        }
    ),
    "documents-api:incoming-detail": RouteSpec({"get": Deny(), "head": Deny()}, kwargs=b_incoming),
    "documents-api:incoming-present": RouteSpec(
        {"post": Deny(body=lambda w: {"leader": w.leader.pk})}, kwargs=b_incoming
    ),
    "documents-api:incoming-assign": RouteSpec(
        {"post": Deny(body=lambda w: {"direction": "Chiếm", "lead": {"user": w.foreign.pk}})},
        kwargs=b_incoming,
    ),
    "documents-api:incoming-opinion": RouteSpec(
        {"post": Deny(body=lambda w: {"text": "x"})}, kwargs=b_incoming
    ),
    "documents-api:incoming-forward": RouteSpec(
        {"post": Deny(body=lambda w: {"to": w.foreign.pk})}, kwargs=b_incoming
    ),
    "documents-api:incoming-complete": RouteSpec({"post": Deny(body=lambda w: {})}, kwargs=b_incoming),
    "documents-api:incoming-refuse": RouteSpec(
        {"post": Deny(body=lambda w: {"reason": "Không nhận"})}, kwargs=b_incoming
    ),
    "documents-api:incoming-accept": RouteSpec({"post": Deny(body=lambda w: {})}, kwargs=b_incoming),
    "documents-api:outgoing-list": RouteSpec(
        {
            **_documents_listed(
                lambda w: {w.docs.outgoing.pk},
                lambda w: [
                    {},
                    {"status": "draft"},
                    {"document_type": w.docs.document_type.pk},
                    {"q": "quy che"},
                ],
            ),
            "post": Deny(body=_outgoing_in_b),
        }
    ),
    "documents-api:outgoing-detail": RouteSpec({"get": Deny(), "head": Deny()}, kwargs=b_outgoing),
    "documents-api:outgoing-submit": RouteSpec({"post": Deny()}, kwargs=b_outgoing),
    "documents-api:outgoing-review": RouteSpec(
        {"post": Deny(body=lambda w: {"approve": True})}, kwargs=b_outgoing
    ),
    "documents-api:outgoing-approve": RouteSpec(
        {"post": Deny(body=lambda w: {"approve": True})}, kwargs=b_outgoing
    ),
    "documents-api:outgoing-sign": RouteSpec({"post": Deny()}, kwargs=b_outgoing),
    "documents-api:outgoing-issue": RouteSpec({"post": Deny(body=lambda w: {})}, kwargs=b_outgoing),
    "documents-api:file-detail": RouteSpec(
        {"get": Deny(), "head": Deny()},
        kwargs=lambda w: {"pk": w.docs.incoming_file.pk},
        more_kwargs=lambda w: [{"pk": w.docs.outgoing_file.pk}],
    ),
    # The exchange API: the system endpoints answer connected systems only (X-SystemId/X-SecretKey), never
    # a person; the outbox shows and retries packets of the caller's agencies only.
    "exchange-api:packet-send": RouteSpec({"post": Deny(body=lambda w: {})}),
    "exchange-api:organ-list": RouteSpec({"get": Deny(), "head": Deny()}),
    "exchange-api:inbox-list": RouteSpec({"get": Deny(), "head": Deny()}),
    "exchange-api:inbox-detail": RouteSpec({"get": Deny(), "head": Deny()}, kwargs=some_packet),
    "exchange-api:inbox-content": RouteSpec({"get": Deny(), "head": Deny()}, kwargs=some_packet),
    "exchange-api:inbox-ack": RouteSpec(
        {"post": Deny(body=lambda w: {"status": "done"})}, kwargs=some_packet
    ),
    "exchange-api:outbox-list": RouteSpec(
        {
            "get": ListWithout(
                forbidden=lambda w: {w.docs.outbound.pk},
                row_agency="agency",
                queries=lambda w: [{}, {"state": "failed"}, {"kind": "status"}],
            ),
            "head": ListWithout(forbidden=lambda w: {w.docs.outbound.pk}),
        }
    ),
    "exchange-api:outbox-detail": RouteSpec({"get": Deny(), "head": Deny()}, kwargs=b_outbound),
    "exchange-api:outbox-retry": RouteSpec({"post": Deny(body=lambda w: {})}, kwargs=b_outbound),
    "exchange-api:system-list": RouteSpec({"get": Deny(), "head": Deny()}),
    **_dossier_routes(),
    # The procedure catalogue: public reads (also to anonymous callers and citizens, see OPEN_READS);
    # changes only by system administrators (procedures.services), even for procedures B decides.
    "procedures-api:procedure-list": RouteSpec(
        {
            "get": Read(must_include=lambda w: w.procedure.pk),
            "head": Read(),
            "post": Deny(body=lambda w: {"code": "1.000894", "name": "Đăng ký kết hôn", "field": "HT"}),
        }
    ),
    "procedures-api:procedure-detail": RouteSpec(
        {
            "get": Read(must_include=lambda w: w.procedure.pk),
            "head": Read(),
            "patch": Deny(body=lambda w: {"name": "Đã bị sửa", "methods": []}),
        },
        kwargs=lambda w: {"code": w.procedure.code},
    ),
    # The reporting app: regimes readable by all staff; B's reports refused (reporting/tests/sweep.py).
    **reporting_sweep.routes(RouteSpec, Read, Deny, ListWithout),
    # The platform's computed figures: the caller's own subtree only (B's agency asked for explicitly is
    # refused: reporting/tests/test_platform_api.py); nothing of B in the caller's own figures.
    "reporting-api:platform-indicators": RouteSpec(
        {
            "get": ReadWithout(
                forbidden=lambda w: [w.tree.department.name], queries=lambda w: [{}, {"p": "2026"}]
            ),
            "head": ReadWithout(forbidden=lambda w: [w.tree.department.name]),
        }
    ),
}

# Routes a citizen account may call (its own dossiers and document store). The outsiders' sweep checks them
# with a citizen who owns nothing of B's: B's objects answer 404 (status code here), lists hold none of them.
CITIZEN: dict[str, int | ListWithout] = {
    "dossiers-api:my-dossier-list": ListWithout(forbidden=lambda w: {w.dossiers.dossier.pk}),
    "dossiers-api:my-document-list": ListWithout(forbidden=lambda w: {w.dossiers.document.pk}),
    **{f"dossiers-api:my-dossier-{name}": 404 for name in MY_DOSSIER_ROUTES},
    "dossiers-api:my-document-file": 404,
    "dossiers-api:my-dossier-group-list": ListWithout(forbidden=lambda w: {w.dossiers.group.pk}),
    "dossiers-api:my-dossier-group-detail": 404,
}

# Routes open to anonymous callers (and to everyone): checked to answer 200 without B's personal data.
PUBLIC_ANONYMOUS: dict[str, str] = {
    "dossiers-api:public-dossier-detail": "tra cứu hồ sơ by code: status, dates, procedure, agency only",
}


# Routes holding nothing of any agency but the caller's own: still checked for 401/403 to outsiders.
PUBLIC: dict[str, str] = {
    "directory-api:me": "the caller's own account, positions and delegations",
    "documents-api:document-type-list": "the document types of Nghị định 30/2020, the same for every agency",
    "procedures-api:procedure-field-list": "the fields of the public procedure catalogue",
    "procedures-api:procedure-group-list": "the inter-linked procedure groups of Nghị định 63/2024 (public)",
    "reporting-api:indicator-list": "the indicators of the reporting regimes (Nghị định 09/2019)",
}


# Routes whose reads are open to everyone, anonymous callers and citizens included (the public procedure
# catalogue the citizen portal shows); their writes are still refused to outsiders.
OPEN_READS = {
    "procedures-api:procedure-list",
    "procedures-api:procedure-detail",
    "procedures-api:procedure-field-list",
    "procedures-api:procedure-group-list",
}


# --- The routes, from the resolver ----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    methods: frozenset[str]
    kwargs: tuple[str, ...]


def _walk(
    patterns: list[Any], prefix: str = "", namespace: str = ""
) -> Iterator[tuple[str, URLPattern, str]]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace or ""]))
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        else:
            yield prefix + str(p.pattern), p, namespace


def allowed_methods(callback: Any) -> frozenset[str]:
    """The HTTP methods the view answers with anything but 405 (DRF views only)."""
    view_class = getattr(callback, "cls", None)
    assert view_class is not None, f"{callback} is not a DRF view: add it to the sweep by hand"
    actions = getattr(callback, "actions", None)
    if actions is not None:  # a ViewSet route: the router's method → action map
        methods = set(actions)
    else:
        methods = {m for m in view_class.http_method_names if hasattr(view_class, m) and m != "options"}
    methods &= set(view_class.http_method_names)
    if "get" in methods:
        methods.add("head")
    if view_class.metadata_class is not None and "options" in view_class.http_method_names:
        methods.add("options")
    return frozenset(methods)


def api_routes() -> list[Route]:
    routes = []
    for pattern, url, namespace in _walk(get_resolver().url_patterns):
        if not pattern.startswith(API_PREFIX):
            continue
        assert url.name, f"route {pattern} has no name: the sweep cannot address it"
        name = f"{namespace}:{url.name}" if namespace else url.name
        routes.append(
            Route(name, pattern, allowed_methods(url.callback), tuple(url.pattern.regex.groupindex))
        )
    return routes


# --- Helpers --------------------------------------------------------------------------------------------


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _created = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


AGENCY_STATE = ("pk", "parent_id", "kind", "name", "short_name", "code_qcvn102", "code_qd20", "valid_from",
                "valid_to", "path", "updated_at")  # fmt: skip
POSITION_STATE = ("pk", "user_id", "agency_id", "role", "title", "valid_from", "valid_to")
DELEGATION_STATE = (
    "pk",
    "delegator_id",
    "delegate_id",
    "agency_id",
    "role",
    "starts_at",
    "ends_at",
    "revoked_at",
)
USER_STATE = ("pk", "username", "full_name", "is_active", "is_staff", "is_superuser", "password")


DOCUMENT_STATE = ("pk", "agency_id", "status", "register_id", "subject", "code_number", "code_notation",
                  "due_date", "updated_at")  # fmt: skip


def database_state() -> tuple[Any, ...]:
    """Everything a directory or documents write could change (the audit row count first)."""
    return (
        AuditEntry.objects.count(),
        list(Agency.objects.order_by("pk").values_list(*AGENCY_STATE)),
        list(Position.objects.order_by("pk").values_list(*POSITION_STATE)),
        list(Delegation.objects.order_by("pk").values_list(*DELEGATION_STATE)),
        list(User.objects.order_by("pk").values_list(*USER_STATE)),
        list(IncomingDocument.objects.order_by("pk").values_list(*DOCUMENT_STATE, "arrival_number")),
        list(OutgoingDocument.objects.order_by("pk").values_list(*DOCUMENT_STATE, "number", "signer_id")),
        [model.objects.count() for model in DOCUMENT_ROWS],
        list(RegisterCounter.objects.order_by("pk").values_list("pk", "last_number")),
        list(Procedure.objects.order_by("pk").values_list("pk", "code", "name", "is_active", "updated_at")),
        list(OutboundPacket.objects.order_by("pk").values_list("pk", "state", "attempts", "next_attempt_at")),
        list(Dossier.objects.order_by("pk").values_list("pk", "status", "due_at", "updated_at")),
        [
            model.objects.count()
            for model in (DossierEvent, DossierPaper, Payment, CitizenDocument, DossierGroup)
        ],
    )


DOCUMENT_ROWS: tuple[Any, ...] = (
    Attachment,
    StoredFile,
    Assignment,
    DocumentEvent,
    OutgoingRecipient,
    Register,
)


def call(client: APIClient, method: str, url: str, body: dict[str, Any] | None = None,
         query: dict[str, Any] | None = None) -> Any:  # fmt: skip
    if method in ("get", "head"):
        return getattr(client, method)(url, query or {})
    return getattr(client, method)(url, body if body is not None else {}, format="json")


def _ids_in(data: Any) -> set[int]:
    if "results" in data:
        return {row["id"] for row in data["results"]}
    return {data["id"]}


def resolve_urls(route: Route, world: World) -> list[str]:
    """The URLs of ``route`` for each of B's objects the sweep tries on it."""
    spec = ROUTES.get(route.name)
    variants = [spec.kwargs(world), *spec.more_kwargs(world)] if spec else [{}]
    urls = []
    for kwargs in variants:
        missing = set(route.kwargs) - set(kwargs)
        assert not missing, f"{route.name}: the sweep does not know how to fill {sorted(missing)}"
        urls.append(reverse(route.name, kwargs=kwargs))
    return urls


def routes_and_urls(world: World) -> Iterator[tuple[Route, str]]:
    for route in api_routes():
        for url in resolve_urls(route, world):
            yield route, url


# --- The sweep ------------------------------------------------------------------------------------------


def test_every_api_route_is_classified() -> None:
    routes = api_routes()
    assert len(routes) >= len(ROUTES) + len(PUBLIC) > 10  # the resolver walk found the API
    problems = []
    for route in routes:
        if route.name in PUBLIC:
            continue
        spec = ROUTES.get(route.name)
        if spec is None:
            problems.append(f"{route.pattern} ({route.name}) is in neither ROUTES nor PUBLIC")
            continue
        unlisted = route.methods - set(spec.methods)
        if unlisted:
            problems.append(f"{route.name}: no expectation for {sorted(unlisted)}")
        stale = set(spec.methods) - route.methods
        if stale:
            problems.append(f"{route.name}: expectations for methods it does not allow: {sorted(stale)}")
    known = {r.name for r in routes}
    listed = set(ROUTES) | set(PUBLIC) | set(CITIZEN) | set(PUBLIC_ANONYMOUS)
    problems += [f"{name} is listed but is no route" for name in listed - known]
    assert not problems, "\n".join(problems)


def test_foreign_staff_sweep(world: World) -> None:
    client = client_for(world.foreign)
    failures: list[str] = []
    checked = 0
    for route, url in routes_and_urls(world):
        spec = ROUTES.get(route.name)
        for method in ALL_METHODS:
            expectation: Expectation | None = spec.methods.get(method) if spec else None
            if method not in route.methods:
                expectation = None
            elif route.name in PUBLIC:
                expectation = Read()
            before = database_state()

            if isinstance(expectation, NotAgencyScoped):
                continue
            if expectation is None:  # a method the route does not allow
                response = call(client, method, url)
                if response.status_code != 405:
                    failures.append(f"{method.upper()} {url}: {response.status_code}, expected 405")
            elif isinstance(expectation, Deny):
                body = expectation.body(world) if expectation.body else None
                response = call(client, method, url, body)
                if response.status_code not in DENIED:
                    failures.append(f"{method.upper()} {url}: {response.status_code}, expected 403/404")
            elif isinstance(expectation, Read):
                response = call(client, method, url)
                if response.status_code != 200:
                    failures.append(f"{method.upper()} {url}: {response.status_code}, expected 200")
                elif method == "get" and expectation.must_include is not None:
                    found = _ids_in(response.json())
                    if expectation.must_include(world) not in found:
                        failures.append(f"GET {url}: the public directory entry is missing")
            elif isinstance(expectation, ListWithout):
                for query in expectation.queries(world):
                    response = call(client, method, url, query=query)
                    if response.status_code != 200:
                        failures.append(
                            f"{method.upper()} {url} {query}: {response.status_code}, expected 200"
                        )
                        continue
                    if method == "head":
                        continue
                    page = response.json()
                    assert page["next"] is None, "the sweep expects one page"
                    leaked = {row["id"] for row in page["results"]} & expectation.forbidden(world)
                    if expectation.row_agency:
                        leaked |= {
                            row["id"]
                            for row in page["results"]
                            if row[expectation.row_agency] in world.b_agencies
                        }
                    if leaked:
                        failures.append(f"GET {url} {query}: shows B's objects {sorted(leaked)}")
            if isinstance(expectation, ReadWithout):
                failures += _read_without(client, method, url, expectation, world)
            checked += 1
            if database_state() != before:
                failures.append(f"{method.upper()} {url}: the database changed")
    assert checked > 30
    assert not failures, "\n".join(failures)


def _read_without(
    client: APIClient, method: str, url: str, expectation: ReadWithout, world: World
) -> list[str]:
    failures = []
    for query in expectation.queries(world):
        response = call(client, method, url, query=query)
        if response.status_code != 200:
            failures.append(f"{method.upper()} {url} {query}: {response.status_code}, expected 200")
            continue
        text = response.content.decode()
        leaked = [secret for secret in expectation.forbidden(world) if secret and secret in text]
        if leaked:
            failures.append(f"{method.upper()} {url} {query}: shows {leaked}")
    return failures


def _citizen_call(
    client: APIClient, method: str, url: str, expected: int | ListWithout, world: World
) -> list[str]:
    """A citizen route called by a citizen who owns nothing of B's."""
    if isinstance(expected, ListWithout) and method not in ("get", "head"):
        expected = 400  # the citizen's own submission (see dossiers/tests/test_api.py): empty writes nothing
    if isinstance(expected, int):
        response = call(client, method, url, {})
        if response.status_code != expected:
            return [f"{method.upper()} {url}: {response.status_code}, expected {expected}"]
        return []
    response = call(client, method, url)
    if response.status_code != 200:
        return [f"{method.upper()} {url}: {response.status_code}, expected 200"]
    if method == "get":
        leaked = {row["id"] for row in response.json()["results"]} & expected.forbidden(world)
        if leaked:
            return [f"GET {url}: shows B's objects {sorted(leaked)}"]
    return []


@pytest.mark.parametrize("who", ["anonymous", "citizen"])
def test_outsiders_sweep(world: World, who: str) -> None:
    if who == "citizen":
        user: User | None = services.register_citizen(
            full_name="Nguyễn Văn Dân", identity_number="001099012345", password=PASSWORD, phone="0912345678"
        )
        expected = 403
    else:
        user, expected = None, 401
    client = client_for(user)
    failures = []
    for route, url in routes_and_urls(world):
        for method in sorted(route.methods):
            spec = ROUTES.get(route.name)
            expectation = spec.methods.get(method) if spec else None
            body = expectation.body(world) if isinstance(expectation, Deny) and expectation.body else None
            before = database_state()
            if route.name in PUBLIC_ANONYMOUS:
                public = ROUTES[route.name].methods[method]
                assert isinstance(public, ReadWithout), f"{route.name}: {method} must be a ReadWithout"
                failures += _read_without(client, method, url, public, world)
                continue
            if who == "citizen" and route.name in CITIZEN:
                failures += _citizen_call(client, method, url, CITIZEN[route.name], world)
                if database_state() != before:
                    failures.append(f"{method.upper()} {url}: the database changed")
                continue
            response = call(client, method, url, body)
            wanted = 200 if route.name in OPEN_READS and method in ("get", "head") else expected
            if response.status_code != wanted:
                failures.append(f"{method.upper()} {url}: {response.status_code}, expected {wanted}")
            if database_state() != before:
                failures.append(f"{method.upper()} {url}: the database changed")
    assert not failures, "\n".join(failures)


def test_b_staff_do_see_b(world: World) -> None:
    """The sweep's objects are real: B's own staff can read what the foreign user could not."""
    client = client_for(world.person)
    pk = world.tree.department.pk
    assert client.get(f"/api/v1/agencies/{pk}/members/").status_code == 200
    assert client.get(f"/api/v1/people/{world.person.pk}/").status_code == 200
    assert client.get(f"/api/v1/positions/{world.position.pk}/").status_code == 200
    assert client.get(f"/api/v1/delegations/{world.delegation.pk}/").status_code == 200
    people = {row["id"] for row in client.get("/api/v1/people/").json()["results"]}
    assert world.b_people <= people
    docs = world.docs
    assert client.get(f"/api/v1/incoming/{docs.incoming.pk}/").status_code == 200
    assert client.get(f"/api/v1/outgoing/{docs.outgoing.pk}/").status_code == 200
    for attachment in (docs.incoming_file, docs.outgoing_file):
        assert client.get(f"/api/v1/files/{attachment.pk}/").status_code == 200
    assert docs.incoming.pk in {row["id"] for row in client.get("/api/v1/incoming/").json()["results"]}
    assert docs.outgoing.pk in {row["id"] for row in client.get("/api/v1/outgoing/").json()["results"]}
    assert docs.registers == {row["id"] for row in client.get("/api/v1/registers/").json()["results"]}


def test_b_staff_can_create_what_the_foreign_user_could_not(world: World) -> None:
    """The refused document bodies are valid for B's own clerk (the sweep person) and drafter."""
    incoming = ROUTES["documents-api:incoming-list"].methods["post"]
    draft = ROUTES["documents-api:outgoing-list"].methods["post"]
    assert isinstance(incoming, Deny) and incoming.body and isinstance(draft, Deny) and draft.body
    client = client_for(world.person)
    assert client.post("/api/v1/incoming/", incoming.body(world), format="json").status_code == 201
    assert client.post("/api/v1/outgoing/", draft.body(world), format="json").status_code == 201
    present = ROUTES["documents-api:incoming-present"].methods["post"]
    assert isinstance(present, Deny) and present.body
    url = f"/api/v1/incoming/{world.docs.incoming.pk}/present/"
    assert client.post(url, present.body(world), format="json").status_code == 200


def test_b_admin_can_do_what_the_foreign_user_could_not(world: World, agency_admin: User) -> None:
    """The refused writes were refused for the caller, not because the requests were malformed."""
    client = client_for(agency_admin)
    pk = world.tree.department.pk
    create = ROUTES["directory-api:agency-list"].methods["post"]
    patch = ROUTES["directory-api:agency-detail"].methods["patch"]
    assert isinstance(create, Deny) and create.body and isinstance(patch, Deny) and patch.body
    assert client.post("/api/v1/agencies/", create.body(world), format="json").status_code == 201
    assert client.patch(f"/api/v1/agencies/{pk}/", patch.body(world), format="json").status_code == 200
    response = client.post(
        f"/api/v1/agencies/{pk}/children/", {"kind": "unit", "name": "Phòng lạ 2"}, format="json"
    )
    assert response.status_code == 201
    body = _delegation_in_b(world)
    assert client.post("/api/v1/delegations/", body, format="json").status_code == 201
    assert client.post(f"/api/v1/delegations/{world.delegation.pk}/revoke/").status_code == 200
    assert client.post(f"/api/v1/positions/{world.position.pk}/end/", {}, format="json").status_code == 200
    assert client.post(f"/api/v1/agencies/{pk}/close/", {}, format="json").status_code == 200
    grant = {"user": world.foreign.pk, "agency": pk, "role": "agency_admin"}
    assert client.post("/api/v1/positions/", grant, format="json").status_code == 201
