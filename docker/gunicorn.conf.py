"""Gunicorn settings for the HTTP services (api, web, admin), read from the environment.

Loaded by ``docker/entrypoint.sh`` with ``gunicorn --config``. Everything a platform team
tunes per service comes from environment variables set in the ECS task definition:

    GUNICORN_WORKERS              worker processes (default 2)
    GUNICORN_THREADS              threads per worker (gthread; default 4)
    GUNICORN_TIMEOUT              seconds before a silent worker is killed (default 30)
    GUNICORN_GRACEFUL_TIMEOUT     seconds to finish requests on SIGTERM (default 25, < ECS stopTimeout 30)
    GUNICORN_KEEPALIVE            idle keep-alive seconds (default 75, longer than the ALB's 60s idle
                                  timeout so the ALB, not gunicorn, closes idle connections: no 502s)
    GUNICORN_FORWARDED_ALLOW_IPS  comma-separated IPs/CIDRs trusted for X-Forwarded-* (the VPC CIDR
                                  behind the ALB; default 127.0.0.1)
    PORT                          listening port (default 8000)

Access logs are one JSON object per line on stdout, error logs go to stderr. Their ``request_id`` is the
server's (the response's ``X-Request-Id``); an id the client sent is ``client_request_id``.

Answers carry no ``Server`` header: the name and version of the server tell a scanner which advisories to try.

Request limits (docs/api.md, "Limits"): a request line (method, path and query) of at most
8,190 bytes (414 otherwise), at most 100 header fields of at most 8,190 bytes each (431). gunicorn
answers these before Django sees the request; its answers are JSON here, like every API error.
"""

from __future__ import annotations

import datetime as _dt
import json
import os

import gunicorn.http.wsgi
import gunicorn.util
from gunicorn.glogging import Logger


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} is not an integer; set a whole number.") from exc
    if value < 1:
        raise SystemExit(f"gunicorn.conf.py: {name}={raw!r} must be at least 1.")
    return value


class JsonAccessLogger(Logger):
    """Writes each access-log record as one JSON object (safe for CloudWatch Logs Insights)."""

    def access(self, resp, req, environ, request_time):
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        headers = {name.lower(): value for name, value in req.headers}
        sent = {str(name).lower(): value for name, value in (getattr(resp, "headers", None) or [])}
        record = {
            "time": _dt.datetime.now(_dt.UTC).isoformat(timespec="milliseconds"),
            "type": "access",
            "service": os.environ.get("CDD_SERVICE", ""),
            "method": req.method,
            "path": req.path,
            "query": req.query,
            "status": int(status),
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 3),
            "remote_addr": environ.get("REMOTE_ADDR"),
            "forwarded_for": headers.get("x-forwarded-for"),
            "user_agent": headers.get("user-agent"),
            "request_id": sent.get("x-request-id"),
            "client_request_id": headers.get("x-request-id"),
            "trace_id": headers.get("x-amzn-trace-id"),
        }
        try:
            self.access_log.info(json.dumps(record, separators=(",", ":")))
        except Exception:  # noqa: BLE001 - mirrors gunicorn's own guard; never fail a request over its log line
            self.exception("could not write the access log record")


_ERROR_CODES = {400: "bad_request", 403: "forbidden", 414: "request_line_too_long",
                431: "request_headers_too_large", 417: "expectation_failed", 501: "not_implemented",
                500: "server_error"}
_ERROR_MESSAGES = {
    414: "The request line (method, path and query) is longer than 8,190 bytes; send fewer or shorter parameters.",
    431: "The request's headers are too large (at most 100 fields of at most 8,190 bytes each).",
}


def json_write_error(sock, status_int, reason, mesg):
    """gunicorn's own error answer (before the application runs) in the API's JSON error format."""
    body = json.dumps({
        "code": _ERROR_CODES.get(status_int, "bad_request"),
        "message": _ERROR_MESSAGES.get(status_int) or f"{reason}: {mesg}".rstrip(": "),
        "request_id": None,
    }).encode()
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin1")
    gunicorn.util.write_nonblock(sock, head + body)


# The workers call gunicorn.util.write_error for requests gunicorn itself refuses (HTML by default).
gunicorn.util.write_error = json_write_error

_default_headers = gunicorn.http.wsgi.Response.default_headers


def default_headers_without_server(self):
    """gunicorn's status line, Date and Connection, without its ``Server: gunicorn`` line."""
    return [line for line in _default_headers(self) if not line.lower().startswith("server:")]


gunicorn.http.wsgi.Response.default_headers = default_headers_without_server

bind = f"0.0.0.0:{_int('PORT', 8000)}"
worker_class = "gthread"
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 25)
keepalive = _int("GUNICORN_KEEPALIVE", 75)
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
# The root filesystem is read-only in ECS; /tmp is a task volume.
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR", "/tmp")  # noqa: S108  # nosec B108
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
logger_class = JsonAccessLogger
control_socket_disable = True
proc_name = f"cdd-{os.environ.get('CDD_SERVICE', 'http')}"
