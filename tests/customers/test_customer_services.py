"""Customer services: create and update with their audit events, and every access pattern."""

from __future__ import annotations

import threading
from datetime import date, timedelta
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import ValidationFailed
from apps.core.outbox import outbox_drain, outbox_for_group, outbox_sweep
from apps.customers import selectors, services
from apps.customers.errors import CustomerNotFound, ExternalReferenceTaken, IdempotencyKeyClaimed, StaleVersion
from apps.customers.idempotency import idempotency_claim_build
from apps.customers.models import Customer, CustomerExternalRef
from apps.customers.selectors import CustomerFilters, customer_list
from apps.reviews.models import Case
from tests.customers.conftest import entity_data, individual_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws", "no_scans")]


def timeline(customer_id: str) -> list[AuditEvent]:
    return list(AuditEvent.query(f"customer#{customer_id}", AuditEvent.sk.startswith("E#")))


def create(staff: Actor, **overrides: Any) -> Customer:
    data = individual_data(**overrides) if overrides.get("customer_type", "individual") == "individual" else (
        entity_data(**overrides))
    return services.customer_create(actor=staff, data=data, integration="portal")


def test_creating_a_customer_writes_it_and_its_audit_event(staff: Actor) -> None:
    customer = create(staff)
    stored = Customer.get(customer.customer_id)
    assert stored.legal_name == "Maria Garcia Lopez"
    assert stored.status == "prospect"
    assert stored.version == customer.version == 1
    [event] = timeline(customer.customer_id)
    assert event.action == "customer.created"
    assert event.actor["name"] == "ana.analyst"
    assert event.changes["legal_name"] == {"before": None, "after": "Maria Garcia Lopez"}
    # identity document numbers never appear in clear in the trail
    assert "PAB1234567" not in str(event.changes)


def test_an_invalid_customer_is_refused_field_by_field_and_nothing_is_written(staff: Actor) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.customer_create(
            actor=staff, integration="portal",
            data=individual_data(date_of_birth="2099-01-01", nationalities=["XX"], registration_number="123"),
        )
    assert set(caught.value.errors) == {"date_of_birth", "nationalities.0", "registration_number"}
    assert list(Customer.by_status.query("prospect")) == []


def test_an_external_reference_belongs_to_one_customer_per_integration(staff: Actor) -> None:
    first = create(staff, external_reference="CRM-1")
    with pytest.raises(ExternalReferenceTaken) as caught:
        create(staff, external_reference="CRM-1", legal_name="Someone Else")
    assert first.customer_id in caught.value.message
    assert [c.customer_id for c in Customer.by_status.query("prospect")] == [first.customer_id]
    # another integration may use the same reference
    other = services.customer_create(actor=staff, data=individual_data(external_reference="CRM-1"),
                                     integration="core-banking")
    assert other.customer_id != first.customer_id


def test_a_customer_is_found_by_id_and_by_its_external_reference(staff: Actor) -> None:
    customer = create(staff, external_reference="CRM-7")
    assert selectors.customer_get(customer_id=customer.customer_id).legal_name == "Maria Garcia Lopez"
    with pytest.raises(CustomerNotFound):
        selectors.customer_get(customer_id="cus_missing")
    found = selectors.customer_get_by_external_reference(integration="portal", external_reference="CRM-7")
    assert found is not None and found.customer_id == customer.customer_id
    assert selectors.customer_get_by_external_reference(integration="other", external_reference="CRM-7") is None
    page = customer_list(filters=CustomerFilters(external_reference="CRM-7", integration="portal"))
    assert (page.served_by, [c.customer_id for c in page.results]) == ("customer_external_refs",
                                                                       [customer.customer_id])
    assert CustomerExternalRef.get("portal#CRM-7").customer_id == customer.customer_id


def test_customers_in_a_status_are_listed_most_recently_updated_first(staff: Actor) -> None:
    older = create(staff, legal_name="Older Person")
    newer = create(staff, legal_name="Newer Person")
    onboarding = create(staff, legal_name="Onboarding Person", status="onboarding")
    services.customer_update(customer_id=older.customer_id, expected_version=1, changes={"occupation": "Pilot"},
                             actor=staff)
    page = customer_list(filters=CustomerFilters(status="prospect"))
    assert page.served_by == "by-status"
    assert [c.legal_name for c in page.results] == ["Older Person", "Newer Person"]
    assert [c.customer_id for c in customer_list(filters=CustomerFilters(status="onboarding")).results] == [
        onboarding.customer_id]
    assert newer.customer_id not in [c.customer_id for c in customer_list(
        filters=CustomerFilters(status="onboarding")).results]


def test_customers_are_listed_by_risk_rating_once_rated(staff: Actor) -> None:
    high = create(staff, legal_name="High Risk")
    low = create(staff, legal_name="Low Risk")
    create(staff, legal_name="Not Rated Yet")
    services.customer_risk_set(customer_id=high.customer_id, risk_rating="high", cdd_level="enhanced",
                               next_review_date=None, actor=Actor.system("risk"), reason="PEP")
    services.customer_risk_set(customer_id=low.customer_id, risk_rating="low", cdd_level="simplified",
                               next_review_date=None, actor=Actor.system("risk"), reason="salary account")
    page = customer_list(filters=CustomerFilters(risk_rating="high"))
    assert page.served_by == "by-risk-rating"
    assert [c.legal_name for c in page.results] == ["High Risk"]
    assert [c.cdd_level for c in page.results] == ["enhanced"]
    assert timeline(high.customer_id)[-1].action == "customer.risk_rated"


def test_customers_due_for_review_before_a_date_are_listed_earliest_first(staff: Actor) -> None:
    today = date.today()  # noqa: DTZ011
    soon, later, far = (today + timedelta(days=d) for d in (10, 40, 400))
    for name, when in (("Far Review", far), ("Soon Review", soon), ("Later Review", later)):
        create(staff, legal_name=name, next_review_date=when)
    create(staff, legal_name="No Review Date")
    page = customer_list(filters=CustomerFilters(next_review_before=today + timedelta(days=100)))
    assert page.served_by == "by-next-review"
    assert [c.legal_name for c in page.results] == ["Soon Review", "Later Review"]


def test_customers_are_found_by_the_start_of_their_normalised_name(staff: Actor) -> None:
    create(staff, legal_name="Müller Anna")
    create(staff, legal_name="Mueller Bernd")
    create(staff, customer_type="legal_entity", legal_name="MÜLLER-Bau GmbH")
    create(staff, legal_name="Martin Claude")
    page = customer_list(filters=CustomerFilters(name_prefix="mull"))
    assert page.served_by == "by-name-prefix"
    assert [c.legal_name for c in page.results] == ["Müller Anna", "MÜLLER-Bau GmbH"]
    assert {c.legal_name for c in customer_list(filters=CustomerFilters(name_prefix="Mu")).results} == {
        "Müller Anna", "Mueller Bernd", "MÜLLER-Bau GmbH"}
    # a second filter narrows the index's results
    entities = customer_list(filters=CustomerFilters(name_prefix="mu", status="prospect"))
    assert len(entities.results) == 3
    with pytest.raises(ValidationFailed) as caught:
        customer_list(filters=CustomerFilters(name_prefix="m"))
    assert "name_prefix" in caught.value.errors


def test_pages_follow_an_opaque_cursor_until_the_end(staff: Actor) -> None:
    created = [create(staff, legal_name=f"Paged Person {i}").customer_id for i in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = customer_list(filters=CustomerFilters(status="prospect"), limit=2, cursor=cursor)
        seen += [c.customer_id for c in page.results]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sorted(seen) == sorted(created)
    assert len(seen) == len(set(seen))
    assert pages == 3


def test_a_tampered_or_foreign_cursor_is_refused(staff: Actor) -> None:
    for i in range(3):
        create(staff, legal_name=f"Cursor Person {i}")
    cursor = customer_list(filters=CustomerFilters(status="prospect"), limit=1).next_cursor
    assert cursor
    with pytest.raises(ValidationFailed) as caught:
        customer_list(filters=CustomerFilters(status="prospect"), cursor=cursor[:-2] + "xx")
    assert "cursor" in caught.value.errors
    with pytest.raises(ValidationFailed) as caught:
        customer_list(filters=CustomerFilters(name_prefix="cursor"), cursor=cursor)
    assert "other filters" in caught.value.errors["cursor"][0]


def test_listing_without_a_filter_is_refused_rather_than_scanning() -> None:
    with pytest.raises(ValidationFailed) as caught:
        customer_list(filters=CustomerFilters())
    assert "status" in caught.value.errors["__all__"][0]


def test_an_update_records_before_and_after_of_the_changed_fields_only(staff: Actor) -> None:
    customer = create(staff)
    updated = services.customer_update(customer_id=customer.customer_id, expected_version=1,
                                       changes={"occupation": "Engineer", "legal_name": "Maria Garcia Lopez",
                                                "status": "onboarding"}, actor=staff)
    assert updated.version == 2
    event = timeline(customer.customer_id)[-1]
    assert event.action == "customer.updated"
    assert event.changes == {"occupation": {"before": "Architect", "after": "Engineer"},
                             "status": {"before": "prospect", "after": "onboarding"}}


def test_an_update_that_changes_nothing_writes_nothing(staff: Actor) -> None:
    customer = create(staff)
    same = services.customer_update(customer_id=customer.customer_id, expected_version=1,
                                    changes={"occupation": "Architect"}, actor=staff)
    assert same.version == 1
    assert len(timeline(customer.customer_id)) == 1


def test_an_update_from_a_stale_version_is_refused(staff: Actor) -> None:
    customer = create(staff)
    services.customer_update(customer_id=customer.customer_id, expected_version=1, changes={"occupation": "A"},
                             actor=staff)
    with pytest.raises(StaleVersion) as caught:
        services.customer_update(customer_id=customer.customer_id, expected_version=1, changes={"occupation": "B"},
                                 actor=staff)
    assert "your version 1, current 2" in caught.value.message
    assert Customer.get(customer.customer_id).occupation == "A"


@pytest.mark.usefixtures("atomic_moto_transactions")
def test_two_concurrent_updates_one_wins_and_the_other_gets_a_precondition_failure(
    staff: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    customer = create(staff)
    # Both writers read version 1 and pass the If-Match check; the barrier makes them write together.
    barrier = threading.Barrier(2, timeout=10)
    real_record = services.audit_event_record

    def record_together(**kwargs: Any) -> Any:
        barrier.wait()
        return real_record(**kwargs)

    monkeypatch.setattr(services, "audit_event_record", record_together)
    outcomes: dict[str, Any] = {}

    def update(occupation: str) -> None:
        try:
            services.customer_update(customer_id=customer.customer_id, expected_version=1,
                                     changes={"occupation": occupation}, actor=staff)
            outcomes[occupation] = "updated"
        except StaleVersion as exc:
            outcomes[occupation] = exc.status
        except Exception as exc:  # noqa: BLE001 - shown in the assertion below
            outcomes[occupation] = repr(exc)

    threads = [threading.Thread(target=update, args=(name,)) for name in ("Baker", "Potter")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes.values(), key=str) == [412, "updated"], outcomes
    winner = next(name for name, outcome in outcomes.items() if outcome == "updated")
    stored = Customer.get(customer.customer_id, consistent_read=True)
    assert (stored.occupation, stored.version) == (winner, 2)
    assert [e.action for e in timeline(customer.customer_id)] == ["customer.created", "customer.updated"]


def test_status_changes_follow_the_lifecycle(staff: Actor) -> None:
    customer = create(staff)
    with pytest.raises(ValidationFailed) as caught:
        services.customer_update(customer_id=customer.customer_id, expected_version=1, changes={"status": "suspended"},
                                 actor=staff)
    assert "cannot move from 'prospect' to 'suspended'" in caught.value.errors["status"][0]


def test_a_new_customer_records_its_screening_and_its_onboarding_case_with_it(staff: Actor) -> None:
    customer = create(staff)
    items = outbox_for_group(group_key=customer.customer_id)
    assert sorted((i.topic, i.status) for i in items) == [("reviews.onboarding_case", "pending"),
                                                          ("screening.subject", "pending")]
    screening = next(i for i in items if i.topic == "screening.subject")
    assert screening.payload == {"customer_id": customer.customer_id, "subject_id": "customer", "trigger": "created"}
    created = next(e for e in AuditEvent.query(f"customer#{customer.customer_id}") if e.action == "customer.created")
    assert sorted(created.data["followups"]) == sorted(i.outbox_id for i in items)


def test_a_broker_that_is_down_loses_nothing_the_sweep_and_a_worker_finish_it(
    staff: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apps.core import tasks

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionError("SQS is down")

    monkeypatch.setattr(tasks.outbox_process_task, "apply_async", down)
    customer = create(staff)
    assert Customer.get(customer.customer_id).legal_name == "Maria Garcia Lopez"
    assert outbox_sweep(older_than_seconds=0) >= 2  # still pending: found and sent again (and failing again)
    assert outbox_drain(group_key=customer.customer_id) == {"done": 2, "failed": 0}
    # What the screening asked for in its own transaction (the risk assessment) is pending, not lost; it fails to
    # send as well, and a worker does it.
    assert [i.topic for i in outbox_for_group(group_key=customer.customer_id)] == ["reviews.risk_assess"]
    assert outbox_drain(group_key=customer.customer_id) == {"done": 1, "failed": 0}
    assert outbox_for_group(group_key=customer.customer_id) == []
    assert Case.get(f"onboarding-{customer.customer_id}").status == "open"


def test_a_change_of_a_screened_field_records_a_screening_request_and_another_change_does_not(staff: Actor) -> None:
    customer = create(staff)
    outbox_drain(group_key=customer.customer_id)
    outbox_drain(group_key=customer.customer_id)  # the risk assessment that screening asked for
    version = Customer.get(customer.customer_id).version
    services.customer_update(customer_id=customer.customer_id, expected_version=version,
                             changes={"occupation": "Judge"}, actor=staff)
    # The occupation is not screened, but the risk model reads it.
    assert [(i.topic, i.payload["trigger"]) for i in outbox_for_group(group_key=customer.customer_id)] == [
        ("reviews.risk_assess", "customer_changed")]
    outbox_drain(group_key=customer.customer_id)
    services.customer_update(customer_id=customer.customer_id, expected_version=Customer.get(customer.customer_id)
                             .version, changes={"date_of_birth": "1984-03-18"}, actor=staff)
    [item] = outbox_for_group(group_key=customer.customer_id)
    assert (item.topic, item.payload["trigger"]) == ("screening.subject", "changed")


def test_nobody_sets_a_customer_active_or_rejected_by_a_change(staff: Actor) -> None:
    customer = create(staff, status="onboarding")
    for status in ("active", "rejected"):
        with pytest.raises(ValidationFailed) as caught:
            services.customer_update(customer_id=customer.customer_id, expected_version=1,
                                     changes={"status": status}, actor=staff)
        assert "set by a reviewer's decision on the onboarding case" in caught.value.errors["status"][0]


def test_an_idempotency_key_claimed_by_a_concurrent_create_stops_the_second_create(staff: Actor) -> None:
    data = individual_data()
    claim = idempotency_claim_build(actor=staff, key="k-1", method="POST", path="/api/v1/customers", body=data)
    first = services.customer_create(actor=staff, data=data, integration="staff", idempotency=claim)
    with pytest.raises(IdempotencyKeyClaimed):
        services.customer_create(actor=staff, data=data, integration="staff", idempotency=claim)
    assert [c.customer_id for c in Customer.by_status.query("prospect")] == [first.customer_id]
