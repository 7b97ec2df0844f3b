"""Tra cứu hồ sơ: one rate limiter (``EGOV_PUBLIC_STATUS_RATE``) for the portal page and the public API,
per client IP, and the same answer for the page and the API."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from egov.dossiers import selectors, services
from egov.dossiers.tests.conftest import full_papers, submit

API = "/api/v1/public/dossiers/{}/"


@pytest.fixture
def dossier(world):
    return services.accept(actor=world.officer, dossier=submit(world))


def test_page_is_limited_per_client_ip(client, world, dossier, settings):
    settings.EGOV_PUBLIC_STATUS_RATE = "3/minute"
    url = reverse("portal:status", args=[dossier.code])
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    limited = client.get(url)
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60 and limited["Cache-Control"] == "no-store"
    assert "Quá nhiều lượt tra cứu" in limited.text and "Vui lòng thử lại sau" in limited.text
    assert f"{limited['Retry-After']} giây" in limited.text
    assert "Được tiếp nhận" not in limited.text and world.procedure.name not in limited.text
    # Unknown codes count the same (no free probing of codes).
    assert client.get(reverse("portal:status", args=["KHAC"])).status_code == 429
    # A header the caller writes does not make a new caller: only the address egov trusts counts.
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.7").status_code == 429
    # Another address has its own allowance.
    assert client.get(url, REMOTE_ADDR="10.0.0.9").status_code == 200


def test_page_and_api_share_one_allowance(client, world, dossier, settings):
    settings.EGOV_PUBLIC_STATUS_RATE = "3/minute"
    api = APIClient()
    page = reverse("portal:status", args=[dossier.code])
    assert client.get(page).status_code == 200
    assert api.get(API.format(dossier.code)).status_code == 200
    assert client.get(reverse("portal:status", args=["KHONG-CO"])).status_code == 404
    refused = api.get(API.format(dossier.code))
    assert refused.status_code == 429 and int(refused["Retry-After"]) >= 1
    assert "Quá nhiều lượt tra cứu" in refused.json()["detail"]
    assert client.get(page).status_code == 429
    assert api.get(API.format(dossier.code), REMOTE_ADDR="10.0.0.9").status_code == 200
    assert client.get(page, REMOTE_ADDR="10.0.0.10").status_code == 200


def test_empty_rate_is_no_limit(client, world, dossier, settings):
    settings.EGOV_PUBLIC_STATUS_RATE = ""
    url = reverse("portal:status", args=[dossier.code])
    assert {client.get(url).status_code for _ in range(40)} == {200}
    assert {APIClient().get(API.format(dossier.code)).status_code for _ in range(40)} == {200}


def test_a_bad_rate_is_a_clear_configuration_error(client, world, dossier, settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.EGOV_PUBLIC_STATUS_RATE = "nhiều"
    with pytest.raises(ImproperlyConfigured, match="EGOV_PUBLIC_STATUS_RATE"):
        client.get(reverse("portal:status", args=[dossier.code]))


def test_page_shows_the_same_facts_as_the_api(client, world, dossier, settings):
    settings.EGOV_PUBLIC_STATUS_RATE = ""
    body = APIClient().get(API.format(dossier.code)).json()
    page = client.get(reverse("portal:status", args=[dossier.code]))
    assert page.status_code == 200 and page["X-Robots-Tag"] == "noindex"
    for key in ("code", "status_label", "procedure_name", "procedure_code", "agency_name"):
        assert str(body[key]) in page.text
    found = selectors.public_status(f"  {dossier.code} ")
    assert found is not None and found.code == dossier.code


def test_group_code_on_the_page(client, group_world, settings):
    world, group, procedures, _agencies = group_world
    settings.EGOV_PUBLIC_STATUS_RATE = ""
    papers = {p.pk: full_papers(p) for p in procedures}
    submitted = services.submit_group(actor=world.citizen, procedure_group=group, papers=papers)
    page = client.get(reverse("portal:status", args=[submitted.code]))
    assert page.status_code == 200
    for part in submitted.dossiers.all():
        assert part.code in page.text
