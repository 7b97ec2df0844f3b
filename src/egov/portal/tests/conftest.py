"""Fixtures of the portal tests: the dossier tests' small catalogue, staff and citizens."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import cache

from egov.directory.tests.fixtures import PASSWORD
from egov.dossiers.tests.conftest import (  # noqa: F401  (fixtures)
    NamedBytes,
    World,
    group_world,
    make_procedure,
    pdf_bytes,
    world,
)

__all__ = ["PASSWORD", "NamedBytes", "World", "make_procedure", "pdf_bytes"]


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    cache.clear()  # the lookup rate limit counts in the cache


def login(client: Any, user: Any) -> None:
    client.force_login(user)
