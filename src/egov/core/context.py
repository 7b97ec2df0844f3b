"""Per-request (or per-task) context read by the audit trail: request id, client IP, actor, acting agency.

Set by ``RequestContextMiddleware`` for web requests and by ``bind()`` in tasks and commands.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any


@dataclass(frozen=True)
class RequestContext:
    request_id: str = ""
    ip: str | None = None
    user_id: int | None = None
    agency_id: int | None = None
    source: str = "system"  # web, api, task, cli, system


_current: ContextVar[RequestContext] = ContextVar("egov_request_context", default=RequestContext())  # noqa: B039


def current() -> RequestContext:
    return _current.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def bind(**changes: Any) -> Iterator[RequestContext]:
    ctx = replace(_current.get(), **changes)
    if not ctx.request_id:
        ctx = replace(ctx, request_id=new_request_id())
    token = _current.set(ctx)
    try:
        yield ctx
    finally:
        _current.reset(token)


def update(**changes: Any) -> None:
    _current.set(replace(_current.get(), **changes))
