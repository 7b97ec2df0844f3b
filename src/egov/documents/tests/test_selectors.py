from __future__ import annotations

import datetime as dt

from django.utils import timezone

from egov.documents import selectors, services
from egov.documents.models import Confidentiality
from egov.documents.services import AssignmentSpec
from egov.documents.tests.test_incoming import register


def test_visibility_and_secret_documents(registers, clerk, leader, specialist, foreign_staff, qd):
    plain = register(clerk, registers, qd)
    secret = register(clerk, registers, qd, code_number="20", confidentiality=Confidentiality.SECRET)
    assert set(selectors.incoming_visible_to(clerk)) == {plain, secret}
    assert set(selectors.incoming_visible_to(leader)) == {plain, secret}
    assert set(selectors.incoming_visible_to(specialist)) == {plain}  # not privileged, not assigned
    assert list(selectors.incoming_visible_to(foreign_staff)) == []
    services.assign(
        actor=leader, document=secret, direction="Xử lý", lead=AssignmentSpec("lead", user=specialist)
    )
    assert set(selectors.incoming_visible_to(specialist)) == {plain, secret}
    assert selectors.incoming_get(foreign_staff, plain.pk) is None


def test_inbox_of_each_role(registers, clerk, leader, specialist, qd):
    doc = register(clerk, registers, qd)
    assert list(selectors.my_incoming_tasks(clerk)) == [doc]
    services.present(actor=clerk, document=doc)
    assert list(selectors.my_incoming_tasks(clerk)) == []
    assert list(selectors.my_incoming_tasks(leader)) == [doc]
    services.assign(
        actor=leader,
        document=doc,
        direction="x",
        lead=AssignmentSpec("lead", user=specialist),
        deadline_working_days=1,
    )
    assert list(selectors.my_incoming_tasks(leader)) == []
    assert list(selectors.my_incoming_tasks(specialist)) == [doc]
    doc.refresh_from_db()
    assert selectors.deadline_flag(doc) == "due_soon"
    assert selectors.deadline_flag(doc, today=doc.due_date + dt.timedelta(days=1)) == "late"
    far = timezone.localdate() - dt.timedelta(days=30)
    assert selectors.deadline_flag(doc, today=far) == ""


def test_list_filters_and_stable_order(registers, clerk, qd, cv, django_assert_max_num_queries):
    docs = [register(clerk, registers, qd, code_number=str(i), subject=f"Văn bản {i}") for i in range(1, 6)]
    other = register(clerk, registers, cv, code_number="9", code_notation="UBND-VX")
    listed = list(selectors.incoming_list(clerk))
    assert listed[0] == other and listed[-1] == docs[0]
    assert list(selectors.incoming_list(clerk, document_type=cv.pk)) == [other]
    with django_assert_max_num_queries(12):  # permission lookups + one list query, not one per row
        rows = [
            (d.document_type.name, d.register.name, d.agency.name) for d in selectors.incoming_list(clerk)
        ]
    assert len(rows) == 6
