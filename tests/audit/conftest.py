"""Fixtures of the audit tests: a few recorded chains, and raw access to the table for tampering."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.services import AuditEntry, audit_event_record
from apps.core import aws as core_aws

ANALYST = Actor(kind="user", id="7", name="ana.analyst", roles=("analyst",), user_id=7)


def record(object_id: str, n: int, *, object_type: str = "customer", actor: Actor = ANALYST,
           action: str = "customer.updated") -> list[AuditEvent]:
    """``n`` events on one object's chain, each changing a field."""
    events = []
    for i in range(n):
        events.append(audit_event_record(entry=AuditEntry(
            actor=actor, action=action if i else "customer.created", object_type=object_type, object_id=object_id,
            before={"name": f"Name {i}"} if i else None, after={"name": f"Name {i + 1}", "risk": "low"},
            reason=f"step {i + 1}",
        )))
    return events


class RawTable:
    """The audit table through boto3, bypassing every service: what an attacker with table access can do."""

    @property
    def name(self) -> str:
        return AuditEvent.Meta.table_name

    @property
    def client(self) -> Any:
        return core_aws.client("dynamodb")

    def key(self, chain: str, seq: int | str) -> dict[str, Any]:
        sk = seq if isinstance(seq, str) else f"E#{seq:012d}"
        return {"pk": {"S": chain}, "sk": {"S": sk}}

    def get(self, chain: str, seq: int | str) -> dict[str, Any]:
        return self.client.get_item(TableName=self.name, Key=self.key(chain, seq))["Item"]

    def put(self, item: dict[str, Any]) -> None:
        self.client.put_item(TableName=self.name, Item=item)

    def set(self, chain: str, seq: int | str, **values: str) -> None:
        names = {f"#a{i}": name for i, name in enumerate(values)}
        vals = {f":v{i}": {"S": value} for i, value in enumerate(values.values())}
        self.client.update_item(TableName=self.name, Key=self.key(chain, seq),
                                UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(values))),
                                ExpressionAttributeNames=names, ExpressionAttributeValues=vals)

    def delete(self, chain: str, seq: int | str) -> None:
        self.client.delete_item(TableName=self.name, Key=self.key(chain, seq))


@pytest.fixture(autouse=True)
def _short_bootstrap(settings: Any) -> None:
    """A test's trail starts today: the first checkpoint need not read ten years of empty days."""
    settings.CDD_AUDIT_ANCHOR_BOOTSTRAP_DAYS = 2


@pytest.fixture
def raw(aws: None) -> RawTable:
    return RawTable()


@pytest.fixture
def recorded(aws: None) -> Callable[..., list[AuditEvent]]:
    return record


@pytest.fixture
def tomorrow() -> datetime:
    """'Now' for writing today's digest as if the day were over: 01:00 tomorrow, well past the grace
    period whatever the time of day the test runs at."""
    return datetime.combine(datetime.now(tz=UTC).date() + timedelta(days=1), time(1), tzinfo=UTC)
