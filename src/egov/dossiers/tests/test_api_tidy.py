"""Review findings pinned down: one definition of the download actions for officials and citizens, the
inter-linked groups' visibility as a selector, and one meaning of ``deadline_flag`` (the rule now) in the API,
the officer pages and the queue filter."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator

from egov.dossiers import selectors, services
from egov.dossiers.api import views as api_views
from egov.dossiers.models import DeadlineFlag, Dossier, DossierGroup
from egov.procedures.models import Procedure

from .conftest import desk, make_procedure, pdf_io, submit
from .test_api import client_for, ok
from .test_api_groups_forms import _group_body


@pytest.fixture(autouse=True)
def _fresh_cache() -> Any:
    cache.clear()
    yield
    cache.clear()


# --- 1. download actions: one factory, two schema texts ------------------------------------------------


def test_download_actions_are_described_for_officials_and_citizens():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    described = {
        "/api/v1/dossiers/{id}/papers/{paper}/file/": ("dossiers_paper_file", "Download a paper"),
        "/api/v1/dossiers/{id}/result-file/": ("dossiers_result_file", "Download the result"),
        "/api/v1/my/dossiers/{id}/papers/{paper}/file/": (
            "my_dossiers_paper_file",
            "Download one of my papers",
        ),
        "/api/v1/my/dossiers/{id}/result-file/": ("my_dossiers_result_file", "Download my result"),
    }
    for path, (operation_id, summary) in described.items():
        operation = paths[path]["get"]
        assert (operation["operationId"], operation["summary"]) == (operation_id, summary), path
        assert operation["description"] and {"200", "404"} <= set(operation["responses"]), path
        assert "application/octet-stream" in operation["responses"]["200"]["content"], path
    # The two viewsets share the generated actions' code, not copies of it.
    staff, mine = api_views.DossierViewSet, api_views.MyDossierViewSet
    for name in ("paper_file", "result_file"):
        assert getattr(staff, name).__code__ is getattr(mine, name).__code__
        assert getattr(staff, name).kwargs["schema"] is not getattr(mine, name).kwargs["schema"]


def test_download_actions_serve_files_to_who_may_see_them(world, tree):
    full = make_procedure("1.000004", receiving=tree.department, online_level=Procedure.OnlineLevel.FULL)
    d = submit(world, procedure=full)
    services.accept(actor=world.officer, dossier=d)
    services.start_processing(actor=world.officer, dossier=d)
    services.complete_step(actor=world.specialist, dossier=d)
    d = services.complete_step(actor=world.leader, dossier=d)
    d = services.attach_result(actor=world.officer, dossier=d, upload=pdf_io())
    d = services.return_result(actor=world.officer, dossier=d, method=Dossier.ReturnMethod.ONLINE)
    paper = d.papers.filter(file__isnull=False).first()
    assert paper is not None
    citizen, officer, stranger = (
        client_for(world.citizen),
        client_for(world.officer),
        client_for(world.other_citizen),
    )
    for client, prefix in ((officer, "/api/v1/dossiers"), (citizen, "/api/v1/my/dossiers")):
        for url in (f"{prefix}/{d.pk}/papers/{paper.pk}/file/", f"{prefix}/{d.pk}/result-file/"):
            response = client.get(url)
            assert response.status_code == 200, url
            assert response["Content-Disposition"].startswith("attachment")
            assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert citizen.get(f"/api/v1/my/dossiers/{d.pk}/papers/{paper.pk + 10_000}/file/").status_code == 404
    assert stranger.get(f"/api/v1/my/dossiers/{d.pk}/result-file/").status_code == 404
    assert stranger.get(f"/api/v1/my/dossiers/{d.pk}/papers/{paper.pk}/file/").status_code == 404
    assert citizen.get(f"/api/v1/dossiers/{d.pk}/result-file/").status_code == 403  # officials' API


# --- 2. inter-linked groups: a selector ----------------------------------------------------------------


def test_groups_visible_to_is_the_selector_of_the_api(group_world, foreign_staff, system_admin):
    world, group, procedures, _agencies = group_world
    citizen = client_for(world.citizen)

    body = _group_body(procedures, procedure_group=group.pk, description="Khai sinh cho con")
    created = ok(citizen.post("/api/v1/my/dossier-groups/", body, format="multipart"), 201)
    mine = DossierGroup.objects.get(code=created["code"])
    assert list(selectors.groups_visible_to(world.citizen)) == [mine]
    assert not selectors.groups_visible_to(world.other_citizen).exists()
    assert not selectors.groups_visible_to(foreign_staff).exists()
    assert not selectors.groups_visible_to(None).exists()
    assert list(selectors.groups_visible_to(system_admin)) == [mine]
    assert list(selectors.groups_visible_to(world.officer)) == [mine]  # a part received by the department
    assert not hasattr(api_views, "_groups_visible_to")
    codes = [g["code"] for g in ok(client_for(world.officer).get("/api/v1/dossier-groups/"))["results"]]
    assert codes == [mine.code]
    assert ok(client_for(foreign_staff).get("/api/v1/dossier-groups/"))["results"] == []
    assert client_for(foreign_staff).get(f"/api/v1/dossier-groups/{mine.code}/").status_code == 404


# --- 4. one meaning of deadline_flag ----------------------------------------------------------------------


def test_api_flag_is_the_rule_now_like_the_officer_pages(client, world):
    late, fine, stale = desk(world), desk(world), desk(world)
    services.flag_deadlines()  # all in time: nothing stored
    Dossier.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    Dossier.objects.filter(pk=stale.pk).update(deadline_flag=DeadlineFlag.OVERDUE)  # left by an old scan
    assert Dossier.objects.get(pk=late.pk).deadline_flag == DeadlineFlag.NONE  # the scan has not run since

    officer = client_for(world.officer)
    rows = {r["id"]: r["deadline_flag"] for r in ok(officer.get("/api/v1/dossiers/"))["results"]}
    assert rows == {late.pk: DeadlineFlag.OVERDUE, fine.pk: DeadlineFlag.NONE, stale.pk: DeadlineFlag.NONE}
    assert ok(officer.get(f"/api/v1/dossiers/{late.pk}/"))["deadline_flag"] == DeadlineFlag.OVERDUE
    queue = {r["id"]: r["deadline_flag"] for r in ok(officer.get("/api/v1/dossiers/queue/"))["results"]}
    assert queue == rows

    for url in ("/api/v1/dossiers/", "/api/v1/dossiers/queue/"):
        overdue = ok(officer.get(url, {"deadline_flag": DeadlineFlag.OVERDUE}))["results"]
        assert [r["id"] for r in overdue] == [late.pk], url
        calm = ok(officer.get(url, {"deadline_flag": DeadlineFlag.NONE}))["results"]
        assert {r["id"] for r in calm} == {fine.pk, stale.pk}, url

    # The officer page says the same.
    client.force_login(world.officer)
    page = client.get(reverse("dossiers:queue"), {"flag": str(DeadlineFlag.OVERDUE)})
    assert [d.pk for d, flag in page.context["rows"]] == [late.pk]

    # The periodic scan still stores the rule's flag (flag indexes, reporting dashboards).
    services.flag_deadlines()
    stored = dict(Dossier.objects.values_list("pk", "deadline_flag"))
    assert stored == {late.pk: DeadlineFlag.OVERDUE, fine.pk: DeadlineFlag.NONE, stale.pk: DeadlineFlag.NONE}
