"""``incoming_status_changed`` after commit: it carries the service's instance (no re-read of the row), and
the sender-side receiver (``receivers.update_internal_recipient``) writes only for documents an internal issue
delivered, the only ones an ``OutgoingRecipient`` row can point at."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from egov.directory.models import Role
from egov.directory.tests.fixtures import make_staff
from egov.documents import services
from egov.documents.models import IncomingDocument, OutgoingRecipient
from egov.documents.receivers import may_have_internal_sender
from egov.documents.services import AssignmentSpec
from egov.documents.signals import incoming_status_changed
from egov.documents.tests.test_incoming import register
from egov.documents.tests.test_outgoing import draft


def _on_commit_sql(capture, run) -> list[str]:
    """SQL run by the on-commit callbacks of ``run()`` (the signal's receivers), not by ``run`` itself."""
    with capture(execute=False) as callbacks:
        result = run()
    with CaptureQueriesContext(connection) as queries:
        for callback in callbacks:
            callback()
    return result, [q["sql"] for q in queries.captured_queries]


def test_paper_documents_cost_no_query_after_commit(
    registers, clerk, leader, specialist, qd, django_capture_on_commit_callbacks
):
    seen = []

    def listener(sender, document, status_code, description, **kw):
        seen.append((document, status_code))

    incoming_status_changed.connect(listener)
    try:
        doc, sql = _on_commit_sql(django_capture_on_commit_callbacks, lambda: register(clerk, registers, qd))
        assert not may_have_internal_sender(doc)
        assert sql == []  # no re-read of the document, no UPDATE of sender rows
        services.present(actor=clerk, document=doc, leader=leader)
        assigned, sql = _on_commit_sql(
            django_capture_on_commit_callbacks,
            lambda: services.assign(
                actor=leader,
                document=doc,
                direction="Giao Phòng Tổ chức chủ trì.",
                lead=AssignmentSpec("lead", user=specialist),
            ),
        )
        assert sql == []
    finally:
        incoming_status_changed.disconnect(listener)
    assert [code for _d, code in seen] == ["03", "04"]
    assert seen[1][0] is assigned  # the service's instance itself


def test_a_document_delivered_inside_egov_updates_its_senders_row(
    registers, clerk, specialist, cv, qd, django_capture_on_commit_callbacks
):
    tree = registers
    sent = draft(specialist, tree, cv, recipients=[tree.office])
    rcpt = sent.recipients.get()
    services.ensure_default_registers(actor=None, agency=tree.office)
    delivered = register(
        None,
        tree,
        qd,
        agency=tree.office,
        issuing_agency=tree.department,
        source=IncomingDocument.Source.EXCHANGE,
        external_id="000.00.01.H99,2026/11/02,15/QĐ-UBND",
        number_now=False,
    )
    OutgoingRecipient.objects.filter(pk=rcpt.pk).update(incoming=delivered)
    assert may_have_internal_sender(delivered)
    office_clerk = make_staff("vanthu_vp", tree.office, Role.CLERK)
    _doc, sql = _on_commit_sql(
        django_capture_on_commit_callbacks,
        lambda: services.accept_received(actor=office_clerk, document=delivered),
    )
    assert len(sql) == 1 and "UPDATE" in sql[0]
    rcpt.refresh_from_db()
    assert (rcpt.status_code, rcpt.status_description) == ("03", "Đã tiếp nhận")
