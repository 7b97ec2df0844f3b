from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from egov.audit.models import AuditEntry, AuditImmutableError
from egov.audit.services import record, verify
from egov.core import context
from egov.directory import services
from egov.directory.models import Agency


@pytest.fixture
def chain(db):
    for i in range(5):
        services.create_agency(actor=None, kind=Agency.Kind.OTHER, name=f"Cơ quan {i}")
    assert AuditEntry.objects.count() == 5


def test_service_writes_audit_row_with_context(db, tree, agency_admin):
    with context.bind(request_id="req12345678", ip="10.1.2.3", source="web"):
        services.update_agency(actor=agency_admin, agency=tree.department, phone="0292 3820 000")
    entry = AuditEntry.objects.order_by("-seq").first()
    assert entry.action == "directory.agency.update"
    assert entry.actor == agency_admin
    assert entry.agency_id == tree.department.pk
    assert entry.object_type == "directory.agency" and entry.object_id == str(tree.department.pk)
    assert entry.before == {"phone": ""} and entry.after == {"phone": "0292 3820 000"}
    assert (entry.request_id, entry.ip, entry.source) == ("req12345678", "10.1.2.3", "web")


def test_record_outside_transaction_refused(transactional_db):
    with pytest.raises(RuntimeError):
        record("x", object_type="t", object_id=1)


def test_failed_service_leaves_no_audit_row(db, tree):
    before = AuditEntry.objects.count()
    with pytest.raises(Exception):  # noqa: B017, PT011 - the duplicate code violates the unique constraint
        services.create_agency(
            actor=None, kind=Agency.Kind.OTHER, name="Trùng mã", code_qcvn102="000.00.00.H99"
        )
    assert AuditEntry.objects.count() == before


def test_verify_ok_and_command(chain, capsys):
    assert verify().ok
    call_command("audit", "verify")
    assert "5 rows verified" in capsys.readouterr().out


def test_rows_cannot_be_changed_through_the_app(chain):
    entry = AuditEntry.objects.first()
    entry.action = "tampered"
    with pytest.raises(AuditImmutableError):
        entry.save()
    with pytest.raises(AuditImmutableError):
        entry.delete()
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(AuditImmutableError):
        AuditEntry.objects.all().delete()


def _sql(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_edited_row_is_named(chain):
    _sql("UPDATE audit_auditentry SET action = 'forged' WHERE seq = 3")
    result = verify()
    assert not result.ok and result.seq == 3 and "edited" in result.problem
    with pytest.raises(CommandError, match="row 3 was edited"):
        call_command("audit", "verify")


def test_deleted_row_is_named(chain):
    _sql("DELETE FROM audit_auditentry WHERE seq = 2")
    result = verify()
    assert not result.ok and result.seq == 2 and "deleted" in result.problem


def test_inserted_row_is_named(chain):
    # Make room after row 3 and insert a forged row 4 with a self-consistent hash: the link from row 5 breaks.
    last = AuditEntry.objects.get(seq=5)
    _sql("UPDATE audit_auditentry SET seq = seq + 1 WHERE seq >= 4 AND seq = 5")
    _sql("UPDATE audit_auditentry SET seq = 5 WHERE seq = 4")
    forged = AuditEntry.objects.get(seq=3)
    from egov.audit.services import compute_hash

    fake = AuditEntry(
        seq=4,
        created_at=forged.created_at,
        action="forged",
        object_type="t",
        object_id="1",
        prev_hash=forged.hash,
    )
    fake.hash = compute_hash(fake)
    fake.save(force_insert=True)
    result = verify()
    assert not result.ok
    assert result.seq == 5 and "does not link" in result.problem
    assert AuditEntry.objects.filter(hash=last.hash).exists()


def test_truncated_tail_is_not_silently_accepted_when_head_known(chain):
    # Deleting the first row is detected too (chain must start at seq 1 from the genesis hash).
    _sql("DELETE FROM audit_auditentry WHERE seq = 1")
    result = verify()
    assert not result.ok and result.seq == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_unbroken_chain():
    import threading

    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(10):
                services.create_agency(actor=None, kind=Agency.Kind.OTHER, name=f"Đơn vị {n}-{i}")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert AuditEntry.objects.count() == 40
    result = verify()
    assert result.ok and result.checked == 40
