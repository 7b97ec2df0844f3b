from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from egov.directory.models import Role
from egov.directory.tests.fixtures import Tree, make_staff
from egov.signing import crypto, services
from egov.signing.models import Certificate

REAL_NEW_RSA_KEY = crypto.new_rsa_key
_POOL_SIZE = 6
_pools: dict[int, list[rsa.RSAPrivateKey]] = {}
_cycles: dict[int, Iterator[int]] = {}


def _pooled_rsa_key(bits: int) -> rsa.RSAPrivateKey:
    """RSA keys from a small pool built once per test run: generating 3072-bit keys for every test would
    take most of the run. Each pool holds distinct keys, handed out in turn."""
    pool = _pools.setdefault(bits, [])
    if len(pool) < _POOL_SIZE:
        pool.append(REAL_NEW_RSA_KEY(bits))
        return pool[-1]
    return pool[next(_cycles.setdefault(bits, itertools.cycle(range(_POOL_SIZE))))]


@pytest.fixture(autouse=True)
def _fast_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(crypto, "new_rsa_key", _pooled_rsa_key)


@pytest.fixture
def ca(db: Any) -> Certificate:
    return services.ensure_builtin_ca(actor=None)


@pytest.fixture
def deputy(tree: Tree) -> Any:
    return make_staff(
        "phogiamdoc", tree.department, Role.DEPUTY_LEADER, title="Phó Giám đốc", full_name="Trần Thị Mai"
    )


@pytest.fixture
def personal_cert(ca: Certificate, tree: Tree, deputy: Any) -> Certificate:
    return services.issue_personal_certificate(actor=None, user=deputy, agency=tree.department)


@pytest.fixture
def agency_cert(ca: Certificate, tree: Tree) -> Certificate:
    return services.issue_agency_certificate(actor=None, agency=tree.department)
