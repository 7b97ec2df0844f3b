"""The table-driven transition actions (``dossiers/api/actions.py``, ``egov.core.api.object_actions``): every
row becomes a POST route with its name, URL and OpenAPI description."""

from __future__ import annotations

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework import viewsets

from egov.core.api import ObjectAction, object_actions
from egov.documents.api.actions import INCOMING_ACTIONS, OUTGOING_ACTIONS
from egov.documents.api.views import IncomingViewSet, OutgoingViewSet
from egov.dossiers import services
from egov.dossiers.api.actions import MY_ACTIONS, STAFF_ACTIONS
from egov.dossiers.api.views import DossierViewSet, MyDossierViewSet

TABLES = [
    (DossierViewSet, STAFF_ACTIONS, "dossiers-api:dossier", "/api/v1/dossiers/7/"),
    (MyDossierViewSet, MY_ACTIONS, "dossiers-api:my-dossier", "/api/v1/my/dossiers/7/"),
    (IncomingViewSet, INCOMING_ACTIONS, "documents-api:incoming", "/api/v1/incoming/7/"),
    (OutgoingViewSet, OUTGOING_ACTIONS, "documents-api:outgoing", "/api/v1/outgoing/7/"),
]


@pytest.mark.parametrize(("viewset", "table", "prefix", "base"), TABLES)
def test_every_row_is_a_post_route(viewset, table, prefix, base):
    extra = {a.__name__: a for a in viewset.get_extra_actions()}
    for row in table:
        generated = extra[row.name]
        assert generated.detail and dict(generated.mapping) == {"post": row.name}
        url_name = row.url_name or row.name.replace("_", "-")
        path = row.url_path or row.name
        assert reverse(f"{prefix}-{url_name}", kwargs={"pk": 7}) == f"{base}{path}/"


def test_the_schema_keeps_each_rows_description():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for _viewset, table, _prefix, base in TABLES:
        for row in table:
            path = base.replace("/7/", "/{id}/") + (row.url_path or row.name) + "/"
            operation = paths[path]["post"]
            assert operation["summary"] == row.summary and operation["description"] == row.description
            if row.operation_id:
                assert operation["operationId"] == row.operation_id
            assert set(operation["responses"]) >= {"200", "400", "403", "404"}
            body = operation.get("requestBody", {}).get("content", {})
            if row.serializer is None:
                assert not body
            elif row.multipart:
                assert list(body) == ["multipart/form-data"]
    accept = paths["/api/v1/dossiers/{id}/accept/"]["post"]
    assert accept["operationId"] == "dossiers_accept"


def test_a_row_never_replaces_a_hand_written_method():
    class Existing(viewsets.GenericViewSet):
        def accept(self):  # pragma: no cover - never called
            raise AssertionError

    row = ObjectAction("accept", services.accept, "Accept", "Tiếp nhận.")
    with pytest.raises(TypeError, match="already defined"):
        object_actions([row], responses={}, target="dossier", load="_dossier", respond="_detail")(Existing)
