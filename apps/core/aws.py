"""boto3 clients built from settings: the moto endpoint locally, the task role in AWS."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config
from django.conf import settings

_local = threading.local()


def client(service: str) -> Any:
    """A boto3 client for ``service`` (cached per thread: clients are not shared across threads)."""
    cache: dict[tuple[str, str | None, str], Any] = getattr(_local, "clients", None) or {}
    _local.clients = cache
    key = (service, settings.AWS_ENDPOINT_URL, settings.AWS_REGION)
    if key not in cache:
        cache[key] = boto3.session.Session().client(
            service,
            region_name=settings.AWS_REGION,
            endpoint_url=settings.AWS_ENDPOINT_URL or None,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=5, read_timeout=20,
                          signature_version="s3v4" if service == "s3" else None),
        )
    return cache[key]


def clients_reset() -> None:
    """Forget cached clients (tests switch endpoints and mocks)."""
    _local.clients = {}


def queue_names() -> list[str]:
    return [f"{settings.CDD_QUEUE_PREFIX}{name}" for name in settings.CDD_QUEUES]


def bucket_names() -> list[str]:
    return [
        settings.CDD_DOCUMENTS_BUCKET,
        settings.CDD_LISTS_BUCKET,
        settings.CDD_AUDIT_BUCKET,
        settings.CDD_EXPORTS_BUCKET,
    ]
