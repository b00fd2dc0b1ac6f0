"""One HTTP attempt of a delivery: POST the signed body to the address that was checked, nothing else.

urllib3 connects to the checked IP address itself and sends the host name as ``Host`` and as the
TLS server name (certificate checked against the host name), so the connection cannot be sent
elsewhere by a second DNS answer. No retries inside an attempt (the delivery schedules them), no
redirects (a 3xx is a failed attempt recording its ``Location``), no proxies from the environment
(urllib3 reads none), timeouts from settings, and at most a few kilobytes of the answer are read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import certifi
import urllib3
from django.conf import settings
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import NewConnectionError

from apps.core.webhooks.targets import Target

EXCERPT_CHARS = 500
READ_BYTES = 4096
USER_AGENT = "cdd-webhooks/1 (Standard Webhooks)"


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    latency_ms: int
    response_excerpt: str
    error: str | None
    address: str | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _host_header(target: Target) -> str:
    host = f"[{target.host}]" if ":" in target.host else target.host
    default = 443 if target.scheme == "https" else 80
    return host if target.port == default else f"{host}:{target.port}"


def _pool(target: Target, address: str) -> urllib3.HTTPConnectionPool:
    timeout = urllib3.Timeout(connect=float(settings.CDD_WEBHOOKS_CONNECT_TIMEOUT_SECONDS),
                              read=float(settings.CDD_WEBHOOKS_READ_TIMEOUT_SECONDS))
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(address, target.port, timeout=timeout, retries=False, maxsize=1,
                                           cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
                                           server_hostname=target.host, assert_hostname=target.host)
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, retries=False, maxsize=1)


def _error_text(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    text = f"{type(exc).__name__}: {reason or exc}"
    return text[:EXCERPT_CHARS]


def post(*, target: Target, body: bytes, headers: dict[str, str]) -> AttemptResult:
    """POST ``body`` to ``target`` at its checked addresses (the next one only if a connection cannot be made)."""
    sent_headers = {**headers, "Host": _host_header(target), "User-Agent": USER_AGENT,
                    "Content-Type": "application/json", "Accept": "*/*"}
    started = time.monotonic()
    error: str | None = None
    address: str | None = None
    for address in target.addresses:
        pool = _pool(target, address)
        try:
            response = pool.urlopen("POST", target.path, body=body, headers=sent_headers, redirect=False,
                                    retries=False, preload_content=False, assert_same_host=False)
        except NewConnectionError as exc:  # nothing was sent: the next address may answer
            error = _error_text(exc)
            pool.close()
            continue
        except (Urllib3Error, OSError) as exc:
            pool.close()
            return AttemptResult(None, _ms(started), "", _error_text(exc), address)
        try:
            raw = response.read(READ_BYTES, decode_content=True) or b""
        except (Urllib3Error, OSError) as exc:
            raw, error = b"", f"reading the answer failed: {_error_text(exc)}"
        finally:
            response.release_conn()
            pool.close()
        excerpt = raw.decode("utf-8", errors="replace")[:EXCERPT_CHARS]
        status = int(response.status)
        if 300 <= status < 400:
            location = response.headers.get("Location", "")
            error = f"redirect to {location or '(no Location)'} not followed: webhook URLs must answer directly"
        elif not 200 <= status < 300:
            error = error or f"HTTP {status}"
        else:
            error = None
        return AttemptResult(status, _ms(started), excerpt, error[:EXCERPT_CHARS] if error else None, address)
    return AttemptResult(None, _ms(started), "", error or "no address to connect to", address)


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
