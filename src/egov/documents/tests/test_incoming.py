from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from egov.audit.models import AuditEntry
from egov.core import calendar
from egov.documents import services
from egov.documents.models import Assignment, Confidentiality, IncomingDocument, Register, RegisterCounter
from egov.documents.services import AssignmentSpec
from egov.documents.signals import incoming_status_changed
from egov.documents.tests.conftest import NamedBytes, pdf_bytes

S = IncomingDocument.Status


def register(clerk, tree, qd, **kw):
    defaults = {
        "actor": clerk,
        "agency": tree.department,
        "document_type": qd,
        "subject": "Về việc thành lập tổ công tác",
        "issuing_agency_name": "Ủy ban nhân dân tỉnh Demo",
        "code_number": "15",
        "code_notation": "QĐ-UBND",
        "issued_date": dt.date(2026, 11, 2),
    }
    defaults.update(kw)
    return services.register_incoming(**defaults)


def test_arrival_numbers_are_continuous_per_register_and_year(registers, clerk, qd):
    tree = registers
    a = register(clerk, tree, qd)
    b = register(clerk, tree, qd, code_number="16")
    assert (a.arrival_number, b.arrival_number) == (1, 2)
    secret = register(clerk, tree, qd, code_number="17", confidentiality=Confidentiality.SECRET)
    assert secret.register.is_secret and secret.arrival_number == 1  # its own series
    next_year = register(
        clerk,
        tree,
        qd,
        code_number="1",
        arrival_date=timezone.make_aware(dt.datetime(2027, 1, 2, 8)),
        issued_date=dt.date(2026, 12, 30),
    )
    assert (next_year.arrival_year, next_year.arrival_number) == (2027, 1)  # restarts on 1 January
    assert services.format_number(5) == "05" and services.format_number(123) == "123"


def test_bad_input_saves_nothing(registers, clerk, qd):
    tree = registers
    counts = (IncomingDocument.objects.count(), AuditEntry.objects.count(), RegisterCounter.objects.count())
    with pytest.raises(ValidationError) as err:
        register(
            clerk,
            tree,
            qd,
            subject=" ",
            code_notation="CV-UBND",
            code_number="1a",
            issued_date=dt.date(2099, 1, 1),
            issuing_agency_name="",
        )
    assert {"subject", "code_notation", "code_number", "issued_date", "issuing_agency_name"} <= set(
        err.value.message_dict
    )
    with pytest.raises(ValidationError) as err:  # secret document into the ordinary register
        register(
            clerk,
            tree,
            qd,
            confidentiality=Confidentiality.SECRET,
            register=Register.objects.get(agency=tree.department, name="Sổ văn bản đến"),
        )
    assert "register" in err.value.message_dict
    assert (
        IncomingDocument.objects.count(),
        AuditEntry.objects.count(),
        RegisterCounter.objects.count(),
    ) == counts


def test_only_clerks_register(registers, specialist, foreign_staff, qd):
    with pytest.raises(PermissionDenied):
        register(specialist, registers, qd)
    with pytest.raises(PermissionDenied):
        register(foreign_staff, registers, qd)


def test_duplicate_warning(registers, clerk, qd):
    first = register(clerk, registers, qd)
    dups = services.find_duplicates(
        agency=registers.department,
        issuing_agency_name="ỦY BAN NHÂN DÂN TỈNH DEMO",
        code_number="15",
        code_notation="qđ-ubnd",
        issued_date=dt.date(2026, 5, 1),
    )
    assert [d.document for d in dups] == [first]
    assert "15/QĐ-UBND" in str(dups[0])
    assert not services.find_duplicates(
        agency=registers.department,
        issuing_agency_name="Ủy ban nhân dân tỉnh Demo",
        code_number="15",
        code_notation="QĐ-UBND",
        issued_date=dt.date(2025, 5, 1),
    )


def test_attachments_are_checked_and_text_searchable(registers, clerk, qd):
    doc = register(
        clerk, registers, qd, files=[NamedBytes(pdf_bytes("Thanh lap to cong tac chuyen doi so"), "qd.pdf")]
    )
    att = doc.attachments.get()
    assert att.file.content_type == "application/pdf" and len(att.file.sha256) == 64
    assert "chuyen doi so" in doc.search_key
    before = IncomingDocument.objects.count()
    for data, name in [
        (b"MZ\x90\x00 not a pdf", "virus.pdf"),
        (b"%PDF-1.4 garbage", "broken.pdf"),
        (b"", "empty.pdf"),
    ]:
        with pytest.raises(ValidationError) as err:
            register(clerk, registers, qd, code_number="99", files=[NamedBytes(data, name)])
        assert name in str(err.value)
    assert IncomingDocument.objects.count() == before


def test_full_handling_flow_with_statuses(
    registers, clerk, leader, specialist, qd, django_capture_on_commit_callbacks
):
    tree = registers
    seen: list[str] = []

    def listener(sender, document, status_code, description, **kw):
        seen.append(status_code)

    incoming_status_changed.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            doc = register(clerk, tree, qd)
            services.present(actor=clerk, document=doc, leader=leader)
            with pytest.raises(PermissionDenied):
                services.assign(
                    actor=clerk, document=doc, direction="x", lead=AssignmentSpec("lead", user=specialist)
                )
            doc = services.assign(
                actor=leader,
                document=doc,
                direction="Giao Phòng Tổ chức chủ trì tham mưu.",
                lead=AssignmentSpec("lead", user=specialist),
                inform=[AssignmentSpec("inform", user=clerk)],
                deadline_working_days=5,
            )
            assert doc.status == S.ASSIGNED
            assert doc.due_date == calendar.add_working_days(timezone.localdate(), 5)
            with pytest.raises(PermissionDenied):
                services.complete(actor=clerk, document=doc)
            doc = services.add_opinion(actor=specialist, document=doc, text="Đã dự thảo văn bản trả lời.")
            assert doc.status == S.IN_PROGRESS
            doc = services.complete(
                actor=specialist, document=doc, summary="Đã trả lời bằng Công văn 20/SNV-TC."
            )
            assert doc.status == S.COMPLETED and doc.completed_at
    finally:
        incoming_status_changed.disconnect(listener)
    kinds = list(doc.events.values_list("kind", flat=True))
    assert kinds == ["registered", "presented", "assigned", "opinion", "completed"]
    assert seen == ["03", "04", "05", "06"]
    assert not Assignment.objects.filter(document=doc, completed_at__isnull=True).exists()
    with pytest.raises(ValidationError):  # completed is final
        services.assign(
            actor=leader, document=doc, direction="x", lead=AssignmentSpec("lead", user=specialist)
        )


def test_assign_refuses_people_outside_the_agency(registers, clerk, leader, foreign_staff, qd):
    doc = register(clerk, registers, qd)
    with pytest.raises(ValidationError):
        services.assign(
            actor=leader, document=doc, direction="x", lead=AssignmentSpec("lead", user=foreign_staff)
        )
    with pytest.raises(ValidationError):
        services.assign(
            actor=leader, document=doc, direction="x", lead=AssignmentSpec("lead", unit=registers.office)
        )


def test_exchange_received_then_refused_or_accepted(registers, clerk, qd):
    doc = register(
        None,
        registers,
        qd,
        source=IncomingDocument.Source.EXCHANGE,
        number_now=False,
        external_id="000.00.00.H99,2026/11/02,15/QĐ-UBND",
    )
    assert doc.status == S.RECEIVED and doc.arrival_number is None
    with pytest.raises(ValidationError):
        services.refuse(actor=clerk, document=doc, reason=" ")
    refused = services.refuse(actor=clerk, document=doc, reason="Gửi nhầm cơ quan")
    assert refused.status == S.REFUSED
    other = register(
        None, registers, qd, code_number="16", source=IncomingDocument.Source.EXCHANGE, number_now=False
    )
    accepted = services.accept_received(actor=clerk, document=other)
    assert accepted.status == S.REGISTERED and accepted.arrival_number == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_clerks_never_share_or_skip_a_number(tree, qd):
    from egov.directory.models import Role
    from egov.directory.tests.fixtures import make_staff

    services.ensure_default_registers(actor=None, agency=tree.department)
    clerks = [make_staff(f"vanthu{i}", tree.department, Role.CLERK) for i in range(4)]
    errors: list[BaseException] = []

    def work(clerk):
        try:
            for i in range(10):
                register(clerk, tree, qd, code_number=str(100 + i), subject=f"Văn bản {clerk.username} {i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(c,)) for c in clerks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = sorted(IncomingDocument.objects.values_list("arrival_number", flat=True))
    assert numbers == list(range(1, 41))


def test_failed_multi_file_registration_leaves_no_file_on_disk(registers, clerk, qd, settings):
    from pathlib import Path

    def files_on_disk() -> set[Path]:
        return {p for p in Path(settings.MEDIA_ROOT).rglob("*") if p.is_file()}

    before_files, before_docs = files_on_disk(), IncomingDocument.objects.count()
    good = NamedBytes(pdf_bytes("Tep hop le duoc luu truoc"), "dung.pdf")
    with pytest.raises(ValidationError) as err:
        register(
            clerk, registers, qd, code_number="77", files=[good, NamedBytes(b"%PDF-1.4 hong", "hong.pdf")]
        )
    assert "hong.pdf" in str(err.value)
    assert IncomingDocument.objects.count() == before_docs
    assert files_on_disk() == before_files
    # the same file in a registration that succeeds stays
    doc = register(clerk, registers, qd, code_number="78", files=[NamedBytes(good.getvalue(), "dung.pdf")])
    stored = doc.attachments.get().file
    assert Path(stored.file.path).is_file() and files_on_disk() - before_files == {Path(stored.file.path)}
