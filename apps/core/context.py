"""Per-request context (request id, source IP) that services and log lines read."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_source_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("source_ip", default=None)


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None
    source_ip: str | None


def context_set(*, request_id: str | None, source_ip: str | None) -> tuple[contextvars.Token, contextvars.Token]:
    return _request_id.set(request_id), _source_ip.set(source_ip)


def context_reset(tokens: tuple[contextvars.Token, contextvars.Token]) -> None:
    _request_id.reset(tokens[0])
    _source_ip.reset(tokens[1])


def context_get() -> RequestContext:
    return RequestContext(request_id=_request_id.get(), source_ip=_source_ip.get())
