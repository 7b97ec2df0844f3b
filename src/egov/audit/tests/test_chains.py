"""Several independent hash chains (PostgreSQL spreads concurrent transactions over them): tampering is found
in every chain, with the chain and seq named; a transaction keeps to one chain."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction

from egov.audit.models import AuditChain, AuditEntry
from egov.audit.services import GENESIS, compute_hash, normalise, record, verify
from egov.directory import services
from egov.directory.models import Agency

pg_only = pytest.mark.postgresql  # several chains exist only on PostgreSQL


def _sql(statement, params=()):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _append(chain: int, count: int) -> list[AuditEntry]:
    """Rows written to ``chain`` as record() would (same hashing), for a chain other than 0 on any vendor."""
    head = AuditChain.objects.get(chain=chain)
    rows = []
    prev, seq = head.hash, head.seq
    for i in range(count):
        seq += 1
        entry = AuditEntry(
            chain=chain,
            seq=seq,
            created_at=AuditEntry.objects.first().created_at,
            action=f"test.chain{chain}.{i}",
            object_type="t",
            object_id=str(i),
            after={"i": i},
            prev_hash=prev,
        )
        entry.hash = compute_hash(entry)
        entry.save(force_insert=True)
        prev = entry.hash
        rows.append(entry)
    _sql("UPDATE audit_auditchain SET seq = %s, hash = %s WHERE chain = %s", [seq, prev, chain])
    return rows


@pytest.fixture
def chains(db):
    for i in range(4):
        services.create_agency(actor=None, kind=Agency.Kind.OTHER, name=f"Cơ quan {i}")
    _append(3, 4)
    assert verify().ok


def test_heads_follow_the_rows(chains):
    head = AuditChain.objects.get(chain=0)
    last = AuditEntry.objects.filter(chain=0).order_by("-seq").first()
    assert (head.seq, head.hash) == (last.seq, last.hash)
    result = verify()
    assert result.ok and result.checked == AuditEntry.objects.count() and result.chains == 8


def test_chain_zero_hash_is_the_pre_chain_formula(chains):
    # Rows written before the chains existed stay valid: chain 0's payload has no "chain" key, other chains'
    # payload does (so a row moved between chains no longer matches its hash).
    row = AuditEntry.objects.filter(chain=3).first()
    assert compute_hash(row) == row.hash
    row.chain = 0
    assert compute_hash(row) != row.hash


def test_edit_in_another_chain_is_named(chains, capsys):
    _sql("UPDATE audit_auditentry SET action = 'forged' WHERE chain = 3 AND seq = 2")
    result = verify()
    assert not result.ok and (result.chain, result.seq) == (3, 2) and "edited" in result.problem
    with pytest.raises(CommandError, match="chain 3: row 2 was edited"):
        call_command("audit", "verify")


def test_row_moved_to_another_chain_is_found(chains):
    _sql("UPDATE audit_auditentry SET chain = 5, seq = 1 WHERE chain = 3 AND seq = 4")
    result = verify()
    assert not result.ok and result.chain == 3 and result.seq == 4


def test_deleted_tail_is_found_through_the_head(chains):
    _sql("DELETE FROM audit_auditentry WHERE chain = 3 AND seq >= 3")
    result = verify()
    assert not result.ok and (result.chain, result.seq) == (3, 3)
    assert "rows 3-4 deleted at the end" in result.problem


def test_deleted_middle_row_is_found(chains):
    _sql("DELETE FROM audit_auditentry WHERE chain = 3 AND seq = 2")
    result = verify()
    assert not result.ok and (result.chain, result.seq) == (3, 2) and "deleted" in result.problem


def test_appended_row_without_head_is_found(chains):
    last = AuditEntry.objects.filter(chain=3).order_by("-seq").first()
    forged = AuditEntry(
        chain=3, seq=5, created_at=last.created_at, action="forged", object_type="t", object_id="x"
    )
    forged.prev_hash = last.hash
    forged.hash = compute_hash(forged)
    forged.save(force_insert=True)
    result = verify()
    assert not result.ok and (result.chain, result.seq) == (3, 5) and "appended" in result.problem


def test_replaced_last_row_is_found(chains):
    # A forger rewrites the last row of chain 3 with a self-consistent hash: the head still names the old one.
    last = AuditEntry.objects.filter(chain=3).order_by("-seq").first()
    new_hash = compute_hash(
        AuditEntry(
            **{
                **{f.attname: getattr(last, f.attname) for f in last._meta.concrete_fields},
                "action": "forged",
            }
        )
    )
    _sql("UPDATE audit_auditentry SET action = 'forged', hash = %s WHERE id = %s", [new_hash, last.pk])
    result = verify()
    assert not result.ok and (result.chain, result.seq) == (3, 4) and "replaced" in result.problem


def test_missing_head_is_found(chains):
    _sql("DELETE FROM audit_auditchain WHERE chain = 3")
    result = verify()
    assert not result.ok and result.chain == 3 and "head is missing" in result.problem


def test_heads_are_recreated_in_an_empty_database(transactional_db):
    # A flushed (test) database has no heads: the first record() creates them from the rows.
    AuditChain.objects.all().delete()
    services.create_agency(actor=None, kind=Agency.Kind.OTHER, name="Cơ quan mới")
    assert AuditChain.objects.count() == 8
    assert verify().ok


def test_normalise_matches_a_json_round_trip():
    import datetime as dt
    import decimal
    import json
    import uuid

    from egov.audit.services import _default

    value = {
        "a": [1, 2.5, "x", None, True, (1, 2)],
        "d": dt.date(2026, 11, 22),
        "t": dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC),
        "n": decimal.Decimal("1.50"),
        "u": uuid.UUID(int=5),
        "s": {"b", "a"},
        "status": Agency.Kind.OTHER,
        "nested": {"k": [{"x": 1}]},
        1: "int key",
    }
    assert normalise(value) == json.loads(json.dumps(value, default=_default, ensure_ascii=False))
    del value[1]
    assert normalise(value) == json.loads(json.dumps(value, default=_default, ensure_ascii=False))
    assert type(normalise({"s": Agency.Kind.OTHER})["s"]) is str


@pg_only
@pytest.mark.django_db(transaction=True)
def test_a_transaction_keeps_one_chain_while_another_holds_chain_zero():
    services.create_agency(actor=None, kind=Agency.Kind.OTHER, name="Khởi tạo")
    holding, release = threading.Event(), threading.Event()

    def holder() -> None:
        try:
            with transaction.atomic():
                record("test.hold", object_type="t", object_id=1)
                holding.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        assert holding.wait(10)
        with transaction.atomic():
            first = record("test.first", object_type="t", object_id=2)
            with transaction.atomic():  # a savepoint: same transaction, same chain
                second = record("test.second", object_type="t", object_id=3)
            third = record("test.third", object_type="t", object_id=4)
        assert first.chain == second.chain == third.chain != 0
        assert [second.seq, third.seq] == [first.seq + 1, first.seq + 2]
    finally:
        release.set()
        thread.join()
    with transaction.atomic():  # a new transaction starts afresh: chain 0 is free again
        assert record("test.after", object_type="t", object_id=5).chain == 0
    assert verify().ok


@pg_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_spread_over_chains_and_every_chain_verifies():
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def writer(n: int) -> None:
        try:
            start.wait(10)
            for i in range(15):
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
    assert AuditEntry.objects.count() == 60
    result = verify()
    assert result.ok and result.checked == 60
    for head in AuditChain.objects.all():
        rows = AuditEntry.objects.filter(chain=head.chain).count()
        assert head.seq == rows and (rows or head.hash == GENESIS)


@pytest.mark.django_db(transaction=True)
def test_migration_keeps_rows_of_the_single_chain_valid():
    """Rows written before the chains (migration 0002's table: no ``chain``, hash without it) verify after
    0003 as chain 0, whose head is their last row; the next record() continues that chain."""
    import datetime as dt
    import hashlib
    import json

    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes("audit")
    executor.migrate([("audit", "0002_initial")])
    try:
        executor.loader.build_graph()
        old = executor.loader.project_state([("audit", "0002_initial")]).apps.get_model("audit", "AuditEntry")
        prev = GENESIS
        moment = dt.datetime(2026, 11, 1, 8, 0, tzinfo=dt.UTC)
        for seq in range(1, 4):
            payload = {
                "seq": seq,
                "created_at": moment.isoformat(),
                "actor": None,
                "actor_label": "cli",
                "agency": None,
                "action": "old.row",
                "object_type": "t",
                "object_id": str(seq),
                "before": None,
                "after": {"n": seq},
                "request_id": "",
                "ip": None,
                "source": "cli",
                "prev_hash": prev,
            }
            raw = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            digest = hashlib.sha256(raw.encode("utf-8")).hexdigest()
            old.objects.create(
                seq=seq,
                created_at=moment,
                actor_label="cli",
                action="old.row",
                object_type="t",
                object_id=str(seq),
                after={"n": seq},
                source="cli",
                prev_hash=prev,
                hash=digest,
            )
            prev = digest
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)
    head = AuditChain.objects.get(chain=0)
    assert (head.seq, head.hash) == (3, prev) and AuditChain.objects.count() == 8
    result = verify()
    assert result.ok and result.checked == 3
    with transaction.atomic():
        entry = record("new.row", object_type="t", object_id=4)
    assert (entry.chain, entry.seq, entry.prev_hash) == (0, 4, prev)
    assert verify().ok
