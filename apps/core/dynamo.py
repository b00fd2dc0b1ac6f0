"""The PynamoDB base every domain model extends.

Table names are ``<CDD_TABLE_PREFIX>-<name>``, region and endpoint come from settings,
all read when the table is used (not at import), so each environment and each test
run lives side by side. Models register themselves so ``manage.py dynamo_tables`` can
create and check every table.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

from django.conf import settings
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

REGISTRY: list[type[CddModel]] = []


class _SettingsMeta(type):
    """Makes Meta.table_name/region/host read settings lazily."""

    name: str

    @property
    def table_name(cls) -> str:
        return f"{settings.CDD_TABLE_PREFIX}-{cls.name}"

    @property
    def region(cls) -> str:
        return str(settings.AWS_REGION)

    @property
    def host(cls) -> str | None:
        return settings.AWS_ENDPOINT_URL or None


class TableMeta(metaclass=_SettingsMeta):
    """Base for every model's ``Meta``: set ``name`` (the table's name without prefix)."""

    name = ""
    kind = "domain"  # domain | alerts | audit: which task roles may write it (deploy/terraform)
    billing_mode = "PAY_PER_REQUEST"
    max_retry_attempts = 3
    connect_timeout_seconds = 5
    read_timeout_seconds = 10


def utcnow() -> datetime:
    return datetime.now(tz=UTC)


class CddModel(Model):
    """Abstract base: registers concrete models for table management."""

    Meta: ClassVar[type[TableMeta]]  # type: ignore[misc,assignment]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("Meta")
        if meta is not None and meta.__dict__.get("name"):
            REGISTRY[:] = [m for m in REGISTRY if m.Meta.name != meta.name or m.__module__ != cls.__module__]
            REGISTRY.append(cls)


def registered_models() -> list[type[CddModel]]:
    """Every concrete table model, after importing each app's models."""
    from importlib import import_module

    from django.apps import apps as django_apps

    for config in django_apps.get_app_configs():
        if config.name.startswith("apps."):
            for module in ("models", "dynamo_models"):
                try:
                    import_module(f"{config.name}.{module}")
                except ModuleNotFoundError as exc:
                    if exc.name != f"{config.name}.{module}":
                        raise
    return list(REGISTRY)


def cancellation_codes(exc: Exception) -> list[str | None]:
    """The per-item cancellation codes of a failed TransactWrite (None where the item was fine)."""
    reasons = getattr(exc, "cancellation_reasons", None) or []
    return [None if reason is None or reason.code in (None, "None") else reason.code for reason in reasons]


def save_write(record: Any, condition: Any = None) -> Any:
    """A ``TransactWrite`` step that saves ``record`` (for ``audit_event_record(writes=...)``)."""

    def write(tx: Any) -> None:
        tx.save(record, condition=condition)

    return write


RETRYABLE_CANCELLATIONS = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"})


def transact_write(writes: Sequence[Callable[[TransactWrite], Any]], *, attempts: int = 6,
                   base_seconds: float = 0.05, cap_seconds: float = 2.0) -> None:
    """Commit ``writes`` (``save_write``-style steps) in one TransactWrite, retrying contention.

    Small transactions on shared items (counters) conflict when they run at the same moment: a
    ``TransactionConflict`` or throttling is retried with full-jitter backoff; any other cancellation
    (a failed condition) is raised at once as the ``TransactWriteError``, for the caller to read its
    ``cancellation_codes``. Still conflicting after ``attempts``: the last error is raised (an outbox
    handler's caller retries the whole item).
    """
    connection = Connection(region=str(settings.AWS_REGION), host=settings.AWS_ENDPOINT_URL or None)
    for attempt in range(attempts):
        try:
            with TransactWrite(connection=connection) as tx:
                for write in writes:
                    write(tx)
            return
        except TransactWriteError as exc:
            if not (set(cancellation_codes(exc)) & RETRYABLE_CANCELLATIONS) or attempt + 1 >= attempts:
                raise
            time.sleep(random.uniform(0, min(cap_seconds, base_seconds * 2**attempt)))  # noqa: S311 (jitter)
