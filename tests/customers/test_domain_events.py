"""Domain events (apps/core/events.py): committed with the change that causes them, carrying no personal data."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry
from apps.core.events import CATALOGUE, PUBLIC_TYPES, events_for_entries, events_group
from apps.core.outbox import outbox_for_group
from apps.customers import services
from apps.customers.errors import StaleVersion
from tests.customers.conftest import individual_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws", "no_scans")]
ROOT = Path(__file__).resolve().parents[2]


def published(customer_id: str) -> list[dict[str, Any]]:
    items = outbox_for_group(group_key=events_group(customer_id), pending_only=False)
    assert all(i.topic == "events.publish" for i in items)
    return [event for item in items for event in item.payload["events"]]


def test_a_new_customer_publishes_customer_created_with_ids_and_no_personal_data(staff: Actor) -> None:
    customer = services.customer_create(actor=staff, data=individual_data(), integration="portal")
    [event] = published(customer.customer_id)
    assert event["type"] == "customer.created" and event["version"] == 1
    assert event["id"].startswith("evt_") and event["customer_id"] == customer.customer_id
    assert event["object"] == {"type": "customer", "id": customer.customer_id}
    assert event["values"]["customer_type"] == "individual" and event["values"]["status"] == "prospect"
    text = json.dumps(event)
    for personal in ("Maria", "Garcia", "1984-03-17", "PAB1234567", "Hill Street", "Architect"):
        assert personal not in text


def test_a_change_publishes_what_changed_by_name_and_a_rolled_back_change_publishes_nothing(staff: Actor) -> None:
    customer = services.customer_create(actor=staff, data=individual_data(), integration="portal")
    services.customer_update(customer_id=customer.customer_id, expected_version=1, changes={"occupation": "Judge"},
                             actor=staff)
    with pytest.raises(StaleVersion):
        services.customer_update(customer_id=customer.customer_id, expected_version=1,
                                 changes={"occupation": "Baker"}, actor=staff)
    events = published(customer.customer_id)
    assert [e["type"] for e in events] == ["customer.created", "customer.changed"]
    changed = events[1]
    assert "occupation" in changed["changed"] and "Judge" not in json.dumps(changed)


def _entry(action: str, object_type: str, before: dict[str, Any] | None, after: dict[str, Any] | None,
           **data: Any) -> AuditEntry:
    return AuditEntry(actor=Actor.system("tests"), action=action, object_type=object_type, object_id="x1",
                      before=before, after=after, data=data)


def test_a_rating_change_carries_from_and_to_and_a_new_review_date_alone_is_no_rating_event() -> None:
    now = datetime.now(tz=UTC)
    rated = _entry("customer.risk_rated", "customer", {"risk_rating": "low", "cdd_level": "standard"},
                   {"risk_rating": "high", "cdd_level": "enhanced"})
    [event] = events_for_entries([rated], now=now)
    assert event["type"] == "risk.rating_changed"
    assert event["values"] == {"risk_rating": {"from": "low", "to": "high"},
                               "cdd_level": {"from": "standard", "to": "enhanced"}}
    review_only = _entry("customer.risk_rated", "customer", {"next_review_date": "2027-01-01"},
                         {"next_review_date": "2028-01-01"})
    assert events_for_entries([review_only], now=now) == []


def test_an_alert_decision_is_one_event_on_the_alert_naming_its_customer() -> None:
    now = datetime.now(tz=UTC)
    on_alert = _entry("alert.disposition_confirmed", "alert", {"status": "fp_proposed"}, {"status": "false_positive"},
                      alert_id="al1", list="un_sc")
    on_customer = AuditEntry(actor=Actor.system("tests"), action="alert.disposition_confirmed",
                             object_type="customer", object_id="cus9", data={"alert_id": "al1"})
    [event] = events_for_entries([on_alert, on_customer], now=now)
    assert (event["type"], event["customer_id"], event["object"]["id"]) == ("screening.alert.disposed", "cus9", "x1")
    assert event["values"]["status"] == {"from": "fp_proposed", "to": "false_positive"}
    assert event["ids"] == {"alert_id": "al1"} and event["facts"] == {"list": "un_sc"}


def test_every_catalogued_source_is_an_action_some_service_records() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "apps").rglob("*.py") if p.name != "events.py")
    for kind in CATALOGUE:
        for action, _object_type in kind.sources:
            assert re.search(rf'"{re.escape(action)}"', source), f"{kind.name}: nothing records {action!r}"
    assert "screening.completed" not in PUBLIC_TYPES and "customer.created" in PUBLIC_TYPES
