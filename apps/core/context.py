"""Per-request context (request ids, source IP) that services and log lines read."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_source_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("source_ip", default=None)
_client_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_request_id", default=None)

Tokens = tuple[contextvars.Token, ...]


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None  # the server's own id of the request (X-Request-Id of the response)
    source_ip: str | None  # the client's address as the trusted proxies saw it (apps.core.middleware.client_ip)
    client_request_id: str | None = None  # whatever id the client sent (X-Request-Id): its word, not ours


def context_set(*, request_id: str | None, source_ip: str | None, client_request_id: str | None = None) -> Tokens:
    return _request_id.set(request_id), _source_ip.set(source_ip), _client_request_id.set(client_request_id)


def context_reset(tokens: Tokens) -> None:
    _request_id.reset(tokens[0])
    _source_ip.reset(tokens[1])
    _client_request_id.reset(tokens[2])


def context_get() -> RequestContext:
    return RequestContext(request_id=_request_id.get(), source_ip=_source_ip.get(),
                          client_request_id=_client_request_id.get())
