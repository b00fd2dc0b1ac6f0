"""Related-party writes race safely: the holder-sum rule holds under concurrent adds."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.core.errors import ValidationFailed
from apps.customers import services
from apps.customers.selectors import related_party_list
from tests.customers.conftest import entity_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


@pytest.mark.usefixtures("atomic_moto_transactions")
def test_two_concurrent_adds_cannot_push_the_holders_above_100_percent(
    staff: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    company = services.customer_create(actor=staff, data=entity_data(), integration="staff")
    # Both writers have read the (empty) parties and passed the sum check; they commit together.
    barrier = threading.Barrier(2, timeout=10)
    lock = threading.Lock()
    calls = {"n": 0}
    real_record = services.audit_event_record

    def record_together(**kwargs: Any) -> Any:
        with lock:
            calls["n"] += 1
            first_two = calls["n"] <= 2
        if first_two:
            barrier.wait()
        return real_record(**kwargs)

    monkeypatch.setattr(services, "audit_event_record", record_together)
    outcomes: dict[str, Any] = {}

    def add(name: str) -> None:
        try:
            services.related_party_add(customer_id=company.customer_id, actor=staff, data={
                "party_type": "individual", "name": name, "roles": ["shareholder"], "ownership_percentage": 60})
            outcomes[name] = "added"
        except ValidationFailed as exc:
            outcomes[name] = exc.errors
        except Exception as exc:  # noqa: BLE001 - shown in the assertion below
            outcomes[name] = repr(exc)

    threads = [threading.Thread(target=add, args=(name,)) for name in ("Ada", "Bea")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert list(outcomes.values()).count("added") == 1, outcomes
    refused = next(value for value in outcomes.values() if value != "added")
    assert "120% in total" in refused["ownership_percentage"][0]
    assert [p.ownership_percentage for p in related_party_list(customer_id=company.customer_id)] == [60]
