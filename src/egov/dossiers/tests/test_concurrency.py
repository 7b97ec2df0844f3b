"""Dossier codes under concurrency: threads submitting at the same moment never share or skip a number, and
the same idempotency key sent twice at once creates one dossier. Meaningful on PostgreSQL (row locks);
on SQLite egov's BEGIN IMMEDIATE serialises the writers."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from egov.dossiers import services
from egov.dossiers.models import Dossier

from .conftest import full_papers, make_citizen


def _run(threads: list[threading.Thread]) -> None:
    for t in threads:
        t.start()
    for t in threads:
        t.join()


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_never_share_or_skip_a_code(world):
    citizens = [make_citizen(f"Công dân {i}", f"0010900001{i:02d}", f"09123400{i:02d}") for i in range(4)]
    errors: list[BaseException] = []

    def work(citizen):
        try:
            for _ in range(5):
                services.submit_online(
                    actor=citizen,
                    procedure=world.procedure,
                    agency=world.tree.department,
                    papers=full_papers(world.procedure),
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    _run([threading.Thread(target=work, args=(c,)) for c in citizens])
    assert not errors
    numbers = sorted(int(code.rsplit("-", 1)[1]) for code in Dossier.objects.values_list("code", flat=True))
    assert numbers == list(range(1, 21))


@pytest.mark.django_db(transaction=True)
def test_the_same_key_at_the_same_moment_creates_one_dossier(world):
    results: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def work():
        try:
            barrier.wait()
            d = services.submit_online(
                actor=world.citizen,
                procedure=world.procedure,
                agency=world.tree.department,
                papers=full_papers(world.procedure),
                idempotency_key="same-form",
            )
            results.append(d.pk)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connection.close()

    _run([threading.Thread(target=work) for _ in range(3)])
    assert not errors
    assert len(set(results)) == 1 and Dossier.objects.count() == 1
    assert Dossier.objects.get().code.endswith("-0001")
