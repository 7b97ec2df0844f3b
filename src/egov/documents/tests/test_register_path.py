"""The registration path cut for speed (issue #3): what it must still do, statement by statement."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from egov.audit.models import AuditEntry
from egov.audit.services import verify
from egov.core import context
from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.documents import selectors, services
from egov.documents.models import DocumentEvent, IncomingDocument, Register, RegisterCounter
from egov.documents.signals import incoming_status_changed
from egov.documents.tests.conftest import NamedBytes, pdf_bytes

S = IncomingDocument.Status


def register(clerk, agency, doctype, **kw):
    values = {
        "actor": clerk,
        "agency": agency,
        "document_type": doctype,
        "subject": "Về việc thành lập tổ công tác",
        "issuing_agency_name": "Ủy ban nhân dân tỉnh Demo",
        "code_number": "15",
        "code_notation": "QĐ-UBND",
        "issued_date": dt.date(2026, 11, 2),
    }
    values.update(kw)
    return services.register_incoming(**values)


def test_number_row_event_audit_and_signal_in_one_go(
    registers, clerk, qd, django_capture_on_commit_callbacks
):
    seen = []

    def listener(sender, document, status_code, description, **kw):
        seen.append((document.pk, document.arrival_number, status_code))

    incoming_status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            doc = register(clerk, registers.department, qd)
    finally:
        incoming_status_changed.disconnect(listener)
    stored = IncomingDocument.objects.get(pk=doc.pk)
    assert (stored.arrival_number, stored.arrival_year, stored.status) == (1, doc.arrival_year, S.REGISTERED)
    assert stored.register.is_default and stored.identity_key and "qd" in stored.search_key
    assert seen == [(doc.pk, 1, "03")]
    event = DocumentEvent.objects.get(incoming=doc)
    assert event.kind == "registered" and event.data == {"arrival_number": 1}
    entry = AuditEntry.objects.get(action="documents.incoming.registered", object_id=str(doc.pk))
    assert entry.after["arrival_number"] == 1 and entry.after["status"] == "registered"
    assert entry.actor == clerk and entry.agency_id == registers.department.pk
    assert RegisterCounter.objects.get(register=stored.register).last_number == 1
    assert verify().ok


def test_statements_of_one_registration(registers, clerk, qd):
    register(clerk, registers.department, qd, code_number="1")  # the counter row of the year exists
    with context.bind(request_id="req-statements"), CaptureQueriesContext(connection) as queries:
        register(clerk, registers.department, qd, code_number="2")
    sql = [q["sql"] for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
    sql = [s for s in sql if not s.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "BEGIN"))]
    # this app's, the directory's and the audit's statements (other apps' receivers, e.g. reporting facts,
    # are theirs to count)
    sql = [s for s in sql if any(t in s for t in ("documents_", "directory_", "audit_"))]
    # permission, register, document, number (written into the row by the same statement), timeline event,
    # audit head, audit row; SQLite adds its FTS row (delete + insert), writes the number into the row and the
    # audit head's hash with separate statements. (The after-commit status update does
    # not run here: the test's transaction never commits.)
    expected = 7 + (4 if connection.vendor == "sqlite" else 0)
    assert len(sql) == expected, "\n".join(sql)
    document = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "documents_incomingdocument"'))
    number = next(i for i, s in enumerate(sql) if "registercounter" in s)
    audit = next(i for i, s in enumerate(sql) if "audit_auditchain" in s)
    # the number is taken after the insert, and before the audit chain (the lock order); on PostgreSQL the
    # same statement writes it into the row
    assert document < number < audit
    if connection.vendor == "postgresql":
        assert "documents_incomingdocument" in sql[number]


def test_files_are_stored_before_the_number_is_taken(registers, clerk, qd):
    first = register(clerk, registers.department, qd, code_number="3")
    with CaptureQueriesContext(connection) as queries:
        doc = register(
            clerk, registers.department, qd, code_number="4", files=[NamedBytes(pdf_bytes(), "qd.pdf")]
        )
    sql = [q["sql"] for q in queries.captured_queries]
    number = next(i for i, s in enumerate(sql) if "registercounter" in s)
    stored = next(i for i, s in enumerate(sql) if s.startswith('INSERT INTO "documents_storedfile"'))
    assert stored < number
    assert (first.arrival_number, doc.arrival_number) == (1, 2)
    assert doc.attachments.count() == 1 and "tac" in IncomingDocument.objects.get(pk=doc.pk).search_key


def test_default_register_rules(registers):
    agency = registers.department
    default = services.default_register(agency, Register.Direction.INCOMING)
    assert default.is_default and default.direction == "incoming" and not default.is_secret
    secret = services.default_register(agency, Register.Direction.INCOMING, secret=True)
    assert secret.is_secret and secret.name == "Sổ văn bản đến mật"
    Register.objects.filter(pk=default.pk).update(active=False)
    extra = Register.objects.create(agency=agency, direction="incoming", name="Sổ phụ")
    assert services.default_register(agency, Register.Direction.INCOMING) == extra
    Register.objects.filter(agency=agency, direction="incoming", is_secret=False).update(active=False)
    with pytest.raises(Exception, match="chưa có sổ"):
        services.default_register(agency, Register.Direction.INCOMING)


def test_may_act_positions_delegations_and_admins(registers, clerk, specialist, system_admin, foreign_staff):
    from django.utils import timezone

    from egov.directory.models import Delegation, Position

    agency = registers.department
    assert selectors.may_act(clerk, agency, Role.CLERK)
    assert not selectors.may_act(clerk, agency, Role.LEADER, Role.DEPUTY_LEADER)
    assert not selectors.may_act(specialist, agency, Role.CLERK)
    assert not selectors.may_act(foreign_staff, agency, Role.CLERK)
    assert selectors.may_act(system_admin, agency, Role.CLERK)
    now = timezone.now()
    Delegation.objects.create(
        delegator=clerk,
        delegate=specialist,
        agency=agency,
        role=Role.CLERK,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=1),
        reason="Nghỉ phép",
    )
    assert selectors.may_act(specialist, agency, Role.CLERK)
    Delegation.objects.filter(delegate=specialist).update(revoked_at=now)
    assert not selectors.may_act(specialist, agency, Role.CLERK)
    Position.objects.filter(user=clerk).update(valid_to=timezone.localdate() - dt.timedelta(days=1))
    assert not selectors.may_act(clerk, agency, Role.CLERK)


@pytest.mark.django_db(transaction=True)
def test_clerks_of_several_agencies_at_once(tree, qd):
    """Four clerks in two agencies register concurrently: numbers gap-free per register, every audit row in
    a chain that verifies (on PostgreSQL the transactions spread over several chains)."""
    agencies = [tree.department, tree.other_province]
    for agency in agencies:
        services.ensure_default_registers(actor=None, agency=agency)
    clerks = [(make_staff(f"vanthu{i}", agencies[i % 2], Role.CLERK), agencies[i % 2]) for i in range(4)]
    errors: list[BaseException] = []
    start = threading.Barrier(len(clerks))

    def work(clerk, agency):
        try:
            start.wait(10)
            for i in range(12):
                with context.bind(request_id=context.new_request_id()):
                    register(clerk, agency, qd, code_number=str(200 + i), subject=f"{clerk.username} {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=pair) for pair in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for agency in agencies:
        numbers = sorted(
            IncomingDocument.objects.filter(agency=agency).values_list("arrival_number", flat=True)
        )
        assert numbers == list(range(1, 25))
    assert AuditEntry.objects.filter(action="documents.incoming.registered").count() == 48
    result = verify()
    assert result.ok, result.problem
