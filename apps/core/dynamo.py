"""The PynamoDB base every domain model extends.

Table names are ``<CDD_TABLE_PREFIX>-<name>``, region and endpoint come from settings,
all read when the table is used (not at import), so each environment and each test
run lives side by side. Models register themselves so ``manage.py dynamo_tables`` can
create and check every table.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from django.conf import settings
from pynamodb.models import Model

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
