"""The citizen's printed letters (mẫu 01–05): only those whose event happened, the officers' rule
(:func:`egov.dossiers.printouts.available_forms`)."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from egov.core.calendar import add_working_days
from egov.dossiers import printouts, services
from egov.dossiers.tests.conftest import submit

CITIZEN = ("01", "02", "03", "04", "05")


def downloads(client, dossier) -> set[str]:
    found = set()
    for code in CITIZEN:
        response = client.get(reverse("portal:printout", args=[dossier.pk, code]))
        assert response.status_code in (200, 404), (code, response.status_code)
        if response.status_code == 200:
            assert response.content.startswith(b"%PDF") and response["Cache-Control"] == "private, no-store"
            found.add(code)
    return found


def offered(client, dossier) -> set[str]:
    text = client.get(reverse("portal:dossier", args=[dossier.pk])).text
    return {code for code in CITIZEN if reverse("portal:printout", args=[dossier.pk, code]) in text}


def test_new_dossier_has_no_letter(client, world):
    dossier = submit(world)
    assert printouts.available_forms(dossier) == []
    client.force_login(world.citizen)
    assert downloads(client, dossier) == set() and offered(client, dossier) == set()


def test_refused_dossier_has_the_refusal_only(client, world):
    dossier = services.refuse(actor=world.officer, dossier=submit(world), reason="Không thuộc thẩm quyền")
    assert printouts.available_forms(dossier) == ["03"]
    client.force_login(world.citizen)
    assert downloads(client, dossier) == {"03"} and offered(client, dossier) == {"03"}


def test_letters_follow_the_dossiers_events(client, world):
    dossier = services.accept(actor=world.officer, dossier=submit(world))
    client.force_login(world.citizen)
    assert printouts.available_forms(dossier) == ["01", "06"]
    assert downloads(client, dossier) == {"01"} and offered(client, dossier) == {"01"}
    missing = client.get(reverse("portal:printout", args=[dossier.pk, "03"]))
    assert missing.status_code == 404  # never refused: no refusal letter
    assert client.get(reverse("portal:printout", args=[dossier.pk, "06"])).status_code == 404  # agency's own

    dossier = services.request_supplement(actor=world.officer, dossier=dossier, reason="Thiếu bản sao")
    assert downloads(client, dossier) == {"01", "02"} and offered(client, dossier) == {"01", "02"}

    dossier.refresh_from_db()
    due = timezone.localtime(dossier.due_at).date() if dossier.due_at else timezone.localdate()
    services.issue_apology(
        actor=world.leader,
        dossier=dossier,
        reason="Chờ kết quả xác minh",
        new_due_at=add_working_days(due + dt.timedelta(days=1), 3),
    )
    dossier.refresh_from_db()
    assert downloads(client, dossier) == {"01", "02", "04"}

    dossier = services.stop(actor=world.leader, dossier=dossier, reason="Công dân đề nghị dừng")
    assert printouts.available_forms(dossier) == ["01", "02", "04", "05", "06"]
    assert downloads(client, dossier) == {"01", "02", "04", "05"}
    assert offered(client, dossier) == {"01", "02", "04", "05"}

    client.force_login(world.other_citizen)
    assert downloads(client, dossier) == set()  # another citizen's dossier: 404 for all
