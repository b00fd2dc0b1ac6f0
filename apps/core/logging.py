"""Structured JSON log lines for CloudWatch, each carrying the request id (and the client's, when it sent one)."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

from apps.core.context import context_get

_STANDARD = set(vars(logging.makeLogRecord({})).keys()) | {"message", "asctime", "request_id"}


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        ctx = context_get()
        if not getattr(record, "request_id", None):
            record.request_id = ctx.request_id
        if ctx.client_request_id and not getattr(record, "client_request_id", None):
            record.client_request_id = ctx.client_request_id
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)
