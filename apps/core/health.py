"""/healthz says the process is alive; /readyz says its dependencies answer."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse

from apps.core import aws
from apps.core.dynamo import registered_models

logger = logging.getLogger(__name__)
_CACHE_SECONDS = 5.0
_cache: dict[str, Any] = {"at": 0.0, "result": None}


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok", "service": settings.CDD_SERVICE})


def _check(name: str, func: Any, results: dict[str, Any]) -> None:
    started = time.perf_counter()
    try:
        func()
        results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:  # noqa: BLE001 - any failure means not ready; it is reported, not raised
        logger.warning("readiness check %s failed: %s", name, exc)
        results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def _tables() -> None:
    dynamodb = aws.client("dynamodb")
    missing = []
    for model in registered_models():
        try:
            dynamodb.describe_table(TableName=model.Meta.table_name)
        except dynamodb.exceptions.ResourceNotFoundException:
            missing.append(model.Meta.table_name)
    if missing:
        raise RuntimeError(f"tables missing: {', '.join(missing)}; run manage.py dynamo_tables")


def _s3() -> None:
    aws.client("s3").head_bucket(Bucket=settings.CDD_DOCUMENTS_BUCKET)


def _broker() -> None:
    sqs = aws.client("sqs")
    for name in aws.queue_names():
        sqs.get_queue_url(QueueName=name)


def _database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def readiness() -> dict[str, Any]:
    now = time.monotonic()
    if _cache["result"] is not None and now - _cache["at"] < _CACHE_SECONDS:
        return _cache["result"]  # type: ignore[no-any-return]
    results: dict[str, Any] = {}
    _check("dynamodb", _tables, results)
    _check("s3", _s3, results)
    _check("broker", _broker, results)
    _check("database", _database, results)
    _cache.update(at=now, result=results)
    return results


def readyz(request: HttpRequest) -> JsonResponse:
    results = readiness()
    ready = all(check["ok"] for check in results.values())
    return JsonResponse(
        {"status": "ready" if ready else "not_ready", "service": settings.CDD_SERVICE, "checks": results},
        status=200 if ready else 503,
    )
