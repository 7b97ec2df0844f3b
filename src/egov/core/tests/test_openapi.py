"""The OpenAPI description of the whole API: generated without errors or warnings, valid, complete, served."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """``manage.py spectacular --validate --fail-on-warn``: any warning or error raises ``CommandError``."""
    out = Path(tmp_path_factory.mktemp("openapi")) / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    data = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _api_patterns(patterns: list[Any], prefix: str = "") -> list[str]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            found += _api_patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            found.append(prefix + str(p.pattern))
    return [f for f in found if f.startswith("api/v1/")]


def _as_openapi_path(pattern: str) -> str:
    """``api/v1/^agencies/(?P<pk>[0-9]+)/members/$`` → ``/api/v1/agencies/{id}/members/``."""
    path = pattern.replace("^", "").replace("$", "")
    while (start := path.find("(?P<")) >= 0:  # a named group, possibly with nested groups inside
        name = path[start + 4 : path.index(">", start)]
        depth, end = 0, start
        for end in range(start, len(path)):
            depth += {"(": 1, ")": -1}.get(path[end], 0) if path[end - 1] != "\\" else 0
            if depth == 0:
                break
        path = path[:start] + ("{id}" if name == "pk" else f"{{{name}}}") + path[end + 1 :]
    path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", path)
    return "/" + path


def test_schema_generates_without_warnings(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "egov API"


def test_every_api_route_is_described(schema: dict[str, Any]) -> None:
    described = set(schema["paths"])
    routes = {_as_openapi_path(p) for p in _api_patterns(get_resolver().url_patterns)}
    assert routes, "no route under /api/v1/"
    assert routes <= described, sorted(routes - described)


def test_every_operation_is_documented(schema: dict[str, Any]) -> None:
    missing = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            if not (operation.get("summary") or operation.get("description")):
                missing.append(f"{method.upper()} {path}: no summary or description")
            if not operation.get("tags"):
                missing.append(f"{method.upper()} {path}: no tag")
            if not any(code.startswith("2") for code in operation["responses"]):
                missing.append(f"{method.upper()} {path}: no success response")
    assert not missing, "\n".join(missing)


def test_token_authentication_is_described(schema: dict[str, Any]) -> None:
    schemes = schema["components"]["securitySchemes"]
    assert schemes["tokenAuth"]["type"] == "apiKey"
    assert schemes["tokenAuth"]["name"] == "Authorization"


def test_agencies_cannot_be_deleted(schema: dict[str, Any]) -> None:
    assert "delete" not in schema["paths"]["/api/v1/agencies/{id}/"]
    assert "put" not in schema["paths"]["/api/v1/agencies/{id}/"]


@pytest.mark.django_db
def test_schema_endpoint() -> None:
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert "/api/v1/agencies/" in response.json()["paths"]


@pytest.mark.django_db
def test_swagger_ui() -> None:
    client = APIClient()
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html  # served from the sidecar, not a CDN
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "/api/schema/" in script.content.decode()
