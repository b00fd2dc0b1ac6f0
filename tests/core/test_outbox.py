"""The outbox: follow-up work recorded with the write, visible while pending, never done twice."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from apps.audit.actors import Actor
from apps.core.checks import outbox_handlers_check
from apps.core.dynamo_models import OutboxItem
from apps.core.outbox import outbox_for_group, outbox_get, outbox_process
from apps.customers.services import customer_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


def a_customer() -> str:
    return customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "individual", "legal_name": "Ada Lovelace", "date_of_birth": "1984-03-17",
        "nationalities": ["GB"], "country_of_residence": "GB"}).customer_id


def test_pending_work_is_listed_and_run_by_the_operators_command() -> None:
    customer_id = a_customer()
    listed = StringIO()
    call_command("outbox_drain", "--list", stdout=listed)
    assert "screening.subject" in listed.getvalue() and "reviews.onboarding_case" in listed.getvalue()
    ran = StringIO()
    call_command("outbox_drain", "--customer", customer_id, stdout=ran)
    assert "done 3, failed 0" in ran.getvalue()  # screening and the case, then the risk assessment screening asked for
    assert outbox_for_group(group_key=customer_id) == []


def test_a_failing_handler_keeps_the_item_pending_with_its_error(settings: Any) -> None:
    customer_id = a_customer()
    settings.CDD_OUTBOX_HANDLERS = {**settings.CDD_OUTBOX_HANDLERS,
                                    "screening.subject": "tests.core.test_outbox.broken_handler"}
    item = next(i for i in outbox_for_group(group_key=customer_id) if i.topic == "screening.subject")
    with pytest.raises(RuntimeError):
        outbox_process(outbox_id=item.outbox_id)
    failed = outbox_get(outbox_id=item.outbox_id)
    assert (failed.status, int(failed.attempts), failed.last_error) == ("pending", 1, "RuntimeError: lists unreachable")


def broken_handler(*, item: Any) -> None:
    raise RuntimeError("lists unreachable")


def test_the_platform_refuses_to_start_with_a_topic_nothing_handles(settings: Any) -> None:
    settings.CDD_OUTBOX_HANDLERS = {"screening.subject": "apps.screening.services.subjects.no_such_function"}
    errors = outbox_handlers_check()
    assert [e.id for e in errors] == ["cdd.E001"]
    assert "screening.subject" in errors[0].msg


def test_the_sweep_backs_off_an_item_it_keeps_resending_so_a_backlog_is_not_flooded_with_copies(settings: Any) -> None:
    from datetime import timedelta

    from apps.core.dynamo import utcnow
    from apps.core.outbox import outbox_drain, outbox_pending, outbox_sweep

    settings.CDD_OUTBOX_REQUEUE_SECONDS = 60
    customer_id = a_customer()
    pending = {i.outbox_id for i in outbox_for_group(group_key=customer_id)}
    for item in outbox_for_group(group_key=customer_id):  # as if written two minutes ago and never consumed
        item.update(actions=[OutboxItem.pending_key.set(f"{(utcnow() - timedelta(minutes=2)).isoformat()}#x")])
    assert outbox_sweep() == len(pending)  # the first re-send: after one delay
    assert outbox_sweep() == 0  # not again at the next sweep
    for item in outbox_for_group(group_key=customer_id):
        item.update(actions=[OutboxItem.pending_key.set(f"{(utcnow() - timedelta(seconds=61)).isoformat()}#x")])
    assert outbox_sweep() == len(pending)  # the second: one delay after the first
    again = {i.outbox_id: i for i in outbox_for_group(group_key=customer_id)}
    assert {int(i.resends) for i in again.values()} == {2}
    # ...and the third waits two delays more: its place in the index is a minute ahead, not now.
    assert all(i.pending_key > (utcnow() + timedelta(seconds=50)).isoformat() for i in again.values())
    assert outbox_sweep() == 0
    # Backed off is still pending: the operators' drain and listing see it.
    assert pending <= {i.outbox_id for i in outbox_pending(older_than_seconds=0)}
    assert outbox_drain(group_key=customer_id)["failed"] == 0
