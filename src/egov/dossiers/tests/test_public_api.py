"""``GET /api/v1/public/dossiers/{code}/`` (tra cứu hồ sơ): the trimmed path answers exactly what the
serializer would, with one query, anonymously, never personal data; its rate limiter counts per client IP."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from egov.dossiers import selectors, services
from egov.dossiers.api import serializers as s
from egov.dossiers.api.public import public_status_json

from .conftest import desk, submit

API = "/api/v1/public/dossiers/{}/"


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # the look-up's rate limit counts in the default cache


def serializer_json(code: str) -> bytes:
    found = selectors.public_status(code)
    assert found is not None
    return bytes(JSONRenderer().render(s.PublicStatusSerializer(found).data))


@override_settings(EGOV_PUBLIC_STATUS_RATE="")
def test_answer_is_byte_for_byte_the_serializers(world):
    received = desk(world, applicant=services.Applicant(name="Trần Thị Bé", identity_number="001090000055"))
    online = submit(world)  # not received yet: null dates
    for dossier in (received, online):
        body = APIClient().get(API.format(dossier.code))
        assert body.status_code == 200 and body["Content-Type"] == "application/json"
        assert body.content == serializer_json(dossier.code)
        assert body["Cache-Control"] == "no-store"
        text = body.content.decode()
        for secret in ("Trần Thị Bé", "001090000055", "applicant", "Nguyễn Văn An"):
            assert secret not in text
    assert APIClient().get(API.format(online.code)).json()["received_at"] is None
    # UTC renders as "Z", like DRF's DateTimeField.
    found = selectors.public_status(received.code)
    with timezone.override("UTC"):
        assert public_status_json(found) == bytes(JSONRenderer().render(s.PublicStatusSerializer(found).data))
        assert b'Z"' in public_status_json(found)


@override_settings(EGOV_PUBLIC_STATUS_RATE="")
def test_one_query_no_session_no_cookie(world, django_assert_num_queries):
    dossier = desk(world)
    with django_assert_num_queries(1):
        response = APIClient().get(API.format(dossier.code))
    assert response.status_code == 200 and not response.cookies
    signed_in = APIClient()
    signed_in.force_login(world.officer)  # the answer is the same for a signed-in caller
    assert signed_in.get(API.format(dossier.code)).content == response.content
    with django_assert_num_queries(1):
        missing = APIClient().get(API.format("000.00.00.H99-991231-9999"))
    assert missing.status_code == 404 and set(missing.json()) == {"detail"}
    # Surrounding spaces are ignored by the selector; the route accepts only code characters.
    assert selectors.public_status(f" {dossier.code} ").code == dossier.code
    assert APIClient().get("/api/v1/public/dossiers/%3Cscript%3E/").status_code == 404
    # Any Accept header: JSON (no HTML form, no 406).
    assert APIClient().get(API.format(dossier.code), HTTP_ACCEPT="text/html").status_code == 200


def test_compiled_query_gives_the_querysets_values(world):
    from egov.dossiers.models import Dossier

    for dossier in (desk(world), submit(world)):
        found = selectors.public_status(dossier.code)
        row = Dossier.objects.filter(code=dossier.code).values(*selectors.PUBLIC_FIELDS).get()
        assert found is not None
        assert (found.code, found.status, found.procedure_code, found.procedure_name, found.agency_name) == (
            row["code"],
            row["status"],
            row["procedure__code"],
            row["procedure__name"],
            row["receiving_agency__name"],
        )
        for name in ("submitted_at", "received_at", "due_at", "finished_at", "returned_at"):
            assert getattr(found, name) == row[name]
        assert found.submitted_at.tzinfo is not None


def test_throttled_per_client_ip_not_per_header(world):
    dossier = desk(world)
    api = APIClient()
    with override_settings(EGOV_PUBLIC_STATUS_RATE="2/minute"):
        assert api.get(API.format(dossier.code)).status_code == 200
        assert api.get(API.format("KHONG-CO-0000")).status_code == 404
        refused = api.get(API.format(dossier.code))
        assert refused.status_code == 429 and 1 <= int(refused["Retry-After"]) <= 60
        detail = refused.json()["detail"]
        assert "Quá nhiều lượt tra cứu" in detail and f"thử lại sau {refused['Retry-After']} giây" in detail
        assert api.get(API.format(dossier.code), HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 429
        assert api.get(API.format(dossier.code), REMOTE_ADDR="192.0.2.44").status_code == 200


def test_selector_on_a_fresh_connection_per_thread(world):
    """The compiled query is kept per database connection: a thread with its own connection compiles its own
    (and answers the same)."""
    import threading

    from django.db import connection

    dossier = desk(world)
    here = selectors.public_status(dossier.code)
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("an in-memory SQLite test database is not shared with other threads")
    answers = []

    def other() -> None:
        from django.db import connections

        try:
            answers.append(selectors.public_status(dossier.code))
        finally:
            connections.close_all()

    t = threading.Thread(target=other)
    t.start()
    t.join()
    assert answers == [here] or answers == [None]  # None: the test transaction is not visible there
