"""A list change screens its changed entries against the whole book; delisted entries are marked."""

from __future__ import annotations

from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.outbox import outbox_drain, outbox_for_group, outbox_pending
from apps.customers.services import customer_create
from apps.screening.dynamo_models import Alert, AlertState
from apps.screening.index_provider import screening_index_reset
from apps.screening.services.book_index import book_index_reset
from apps.screening.services.lists import list_version_load
from apps.screening.services.rescreen import rescreen_config_check, rescreen_job_get, rescreen_jobs
from apps.screening.services.subjects import screening_subject_process

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

HEADER = "id,name,entity_type,aliases,date_of_birth,nationality,country,notes\n"
ROWS = [f"W-{i:03d},PERSON NUMBER {i},person,,1970,GB,," for i in range(1, 11)]
NEW_ENTRY = "W-011,MAHMOUD ABBAS KARIMI,person,,1961-02-03,IR,,"


def watchlist(*rows: str) -> dict[str, bytes]:
    return {"watchlist.csv": (HEADER + "".join(r + "\n" for r in rows)).encode()}


@pytest.fixture
def book(settings: Any) -> Any:
    settings.CDD_LISTS_EXTRA = {"bank_watch": {"format": "internal"}}
    settings.CDD_SCREENING_LIST_SOURCE = "active"  # as in AWS and on the local stack
    screening_index_reset()
    book_index_reset()
    yield
    screening_index_reset()
    book_index_reset()


def load(*rows: str) -> Any:
    outcome = list_version_load(list_key="bank_watch", files=watchlist(*rows), actor=Actor.system("tests"))
    outbox_drain(group_key="list:bank_watch")  # the worker's delta re-screen
    return outcome


def customer(name: str, dob: str, nationality: str) -> str:
    made = customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "individual", "legal_name": name, "date_of_birth": dob, "nationalities": [nationality],
        "country_of_residence": nationality})
    outbox_drain(group_key=made.customer_id)
    return made.customer_id


def list_events() -> list[AuditEvent]:
    return [e for e in AuditEvent.query("list#bank_watch") if e.action]


def test_an_added_entry_alerts_the_existing_customer_it_names_and_only_once(book: Any) -> None:
    load(*ROWS)
    karimi = customer("Mahmoud Abbas Karimi", "1961-02-03", "IR")
    other = customer("Harriet Quennell", "1990-05-06", "GB")
    assert list(Alert.by_customer.query(karimi)) == []

    load(*ROWS, NEW_ENTRY)
    outbox_drain(group_key=karimi)
    outbox_drain(group_key=other)
    [alert] = list(Alert.by_customer.query(karimi))
    assert (alert.list_key, alert.list_entity_id) == ("bank_watch", "W-011")
    assert AlertState.get(alert.alert_id).status == "open"
    assert list(Alert.by_customer.query(other)) == []
    rescreened = [e for e in list_events() if e.action == "list_version.rescreened"][-1]
    assert (rescreened.data["entries_screened"], rescreened.data["requests"]) == (1, 1)

    again = load(*ROWS, NEW_ENTRY)  # the same publication again
    assert again.outcome == "unchanged"
    outbox_drain(group_key=karimi)
    assert len(list(Alert.by_customer.query(karimi))) == 1


def test_a_removed_entry_marks_its_open_alert_delisted(book: Any) -> None:
    load(*ROWS, NEW_ENTRY)
    karimi = customer("Mahmoud Abbas Karimi", "1961-02-03", "IR")
    [alert] = list(Alert.by_customer.query(karimi))

    load(*ROWS)
    state = AlertState.get(alert.alert_id)
    assert state.delisted and state.delisted["list_version_id"]
    assert "alert.delisted" in [e.action for e in AuditEvent.query(f"alert#{alert.alert_id}") if e.action]
    assert "alert.delisted" in [e.action for e in AuditEvent.query(f"customer#{karimi}") if e.action]
    rescreened = [e for e in list_events() if e.action == "list_version.rescreened"][-1]
    assert rescreened.data["alerts_delisted"] == 1


def test_a_full_rescreen_requests_every_subject_once_and_resumes_without_doubling(book: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from apps.screening.dynamo_models import ScreeningRun

    ids = [customer("Mahmoud Abbas Karimi", "1961-02-03", "IR"), customer("Harriet Quennell", "1990-05-06", "GB")]
    out = StringIO()
    call_command("rescreen_book", "--reason", "threshold changed", stdout=out)
    assert "2 subjects, 2 screening requests recorded, 0 already recorded" in out.getvalue()
    job = out.getvalue().split()[1].rstrip(":")
    again = StringIO()
    call_command("rescreen_book", "--reason", "resume", "--job", job, stdout=again)
    assert "2 subjects, 0 screening requests recorded, 2 already recorded" in again.getvalue()
    for customer_id in ids:
        outbox_drain(group_key=customer_id)
        triggers = [r.trigger for r in ScreeningRun.query(f"{customer_id}#customer")]
        assert triggers == ["created", "full_rescreen"]
    chunks = [e for e in AuditEvent.query(f"rescreen#{job}") if e.action]
    assert [e.action for e in chunks] == ["screening.rescreen_chunk"]
    record = rescreen_job_get(job_id=job)
    assert (record.subjects, record.requested, record.screened, record.chunks) == (2, 2, 2, 1)
    for customer_id in ids:  # a redelivered request is not screened, nor counted, twice
        [request] = [i for i in outbox_for_group(group_key=customer_id, pending_only=False)
                     if (i.payload or {}).get("job_id") == job]
        screening_subject_process(item=request)
    assert rescreen_job_get(job_id=job).screened == 2


def test_a_worker_killed_after_a_run_commits_and_before_it_is_counted_leaves_the_job_to_finish(
        book: Any, monkeypatch: Any) -> None:
    """The CI run that hung: ``rescreen_book --watch`` waited for a count that a killed worker had lost."""
    from io import StringIO

    from django.core.management import call_command

    from apps.core.outbox import outbox_process
    from apps.screening.dynamo_models import ScreeningRun
    from apps.screening.services import rescreen

    ids = [customer("Mahmoud Abbas Karimi", "1961-02-03", "IR"), customer("Harriet Quennell", "1990-05-06", "GB")]
    out = StringIO()
    call_command("rescreen_book", "--reason", "threshold changed", stdout=out)
    job = out.getvalue().split()[1].rstrip(":")
    count = rescreen.rescreen_job_screened
    killed: list[bool] = []

    def killed_once(**kwargs: Any) -> bool:
        if not killed:  # the worker dies here: the run has committed, the count has not
            killed.append(True)
            raise SystemExit("worker killed")
        return count(**kwargs)

    monkeypatch.setattr(rescreen, "rescreen_job_screened", killed_once)
    requests = [i for c in ids for i in outbox_for_group(group_key=c) if (i.payload or {}).get("job_id") == job]
    with pytest.raises(SystemExit):
        outbox_process(outbox_id=requests[0].outbox_id)
    assert [r.trigger for r in ScreeningRun.query(f"{ids[0]}#customer")] == ["created", "full_rescreen"]
    assert rescreen_job_get(job_id=job).screened == 0
    # the request is still pending, so the outbox sends it again; its second delivery counts it
    assert requests[0].outbox_id in [i.outbox_id for i in outbox_pending(older_than_seconds=0)]
    for customer_id in ids:
        outbox_drain(group_key=customer_id)
    assert rescreen_job_get(job_id=job).screened == 2
    for customer_id in ids:  # each screened once, whatever the deliveries
        assert [r.trigger for r in ScreeningRun.query(f"{customer_id}#customer")] == ["created", "full_rescreen"]
    watched = StringIO()
    call_command("rescreen_book", "--reason", "watch", "--job", job, "--watch", stdout=watched)
    assert "all 2 subjects screened" in watched.getvalue()


def test_a_subject_gone_before_its_turn_still_counts_towards_the_job(book: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from apps.customers.services import related_party_add, related_party_remove

    holder = customer_create(actor=Actor.system("tests"), integration="tests", data={
        "customer_type": "legal_entity", "legal_name": "Northwind Trading Ltd", "registration_number": "0987",
        "jurisdiction": "GB"}).customer_id
    party = related_party_add(customer_id=holder, actor=Actor.system("tests"), data={
        "party_type": "individual", "roles": ["director"], "name": "Tobias Wexford", "date_of_birth": "1980-01-01",
        "nationalities": ["GB"]})
    outbox_drain(group_key=holder)
    out = StringIO()
    call_command("rescreen_book", "--reason", "threshold changed", stdout=out)
    job = out.getvalue().split()[1].rstrip(":")
    related_party_remove(customer_id=holder, party_id=party.party_id, expected_version=party.version,
                         actor=Actor.system("tests"))
    outbox_drain(group_key=holder)
    record = rescreen_job_get(job_id=job)
    assert record.subjects == 2 and record.screened == 2


def test_an_analyst_starts_a_full_rescreen_in_the_admin_and_sees_it_finish(
        book: Any, analyst: Any, auditor: Any) -> None:
    from django.test import Client

    ids = [customer("Mahmoud Abbas Karimi", "1961-02-03", "IR"), customer("Harriet Quennell", "1990-05-06", "GB")]
    browser, reader = Client(), Client()
    browser.force_login(analyst)
    reader.force_login(auditor)
    assert "Start a full re-screening" not in reader.get("/admin/domain/rescreen/").content.decode()
    refused = browser.post("/admin/domain/rescreen/", {"reason": ""}, follow=True).content.decode()
    assert "Say why the book is screened again" in refused
    browser.post("/admin/domain/rescreen/", {"reason": "new internal list added"})
    assert rescreen_jobs() == []  # a worker records the job's requests
    [asked] = [i for i in outbox_pending(older_than_seconds=0) if i.topic == "screening.rescreen_book"]
    job_id = asked.payload["job_id"]
    assert [e.action for e in AuditEvent.query(f"rescreen#{job_id}") if e.action] == ["screening.rescreen_started"]
    outbox_drain()  # the worker: the job's recording, then each subject's screening
    for customer_id in ids:
        outbox_drain(group_key=customer_id)
    page = reader.get("/admin/domain/rescreen/").content.decode()
    assert "new internal list added" in page and "2 of 2 (100%)" in page and ">done<" in page


def test_a_changed_threshold_starts_a_full_rescreen_once(book: Any, settings: Any) -> None:
    customer("Harriet Quennell", "1990-05-06", "GB")
    assert rescreen_config_check() is None  # the first configuration is recorded, nothing to do
    assert rescreen_config_check() is None
    settings.CDD_SCREENING_THRESHOLD = 0.85
    job_id = rescreen_config_check()
    assert job_id is not None and rescreen_config_check() is None
    outbox_drain()
    [job] = rescreen_jobs()
    assert (job.job_id, job.trigger, job.subjects) == (job_id, "configuration_changed", 1)
    assert "threshold" in job.reason


def test_a_configuration_change_is_not_recorded_without_the_job_that_screens_the_book_under_it(
        book: Any, settings: Any, monkeypatch: Any) -> None:
    from apps.screening.services import rescreen

    customer("Harriet Quennell", "1990-05-06", "GB")
    assert rescreen_config_check() is None
    settings.CDD_SCREENING_THRESHOLD = 0.85
    put = rescreen.outbox_put

    def unavailable(item: Any) -> Any:  # the job's outbox item cannot be written (throttled, the beat stops)
        if item.topic == "screening.rescreen_book":
            raise RuntimeError("DynamoDB unavailable")
        return put(item)

    monkeypatch.setattr(rescreen, "outbox_put", unavailable)
    with pytest.raises(RuntimeError):
        rescreen_config_check()
    monkeypatch.setattr(rescreen, "outbox_put", put)
    job_id = rescreen_config_check()  # the next beat finds the change still unrecorded and starts the job
    assert job_id is not None
    outbox_drain()
    assert [j.job_id for j in rescreen_jobs()] == [job_id]


def test_a_subject_screened_while_the_job_walks_the_book_is_requested_and_counted_once(
        book: Any, monkeypatch: Any) -> None:
    from apps.core.outbox import outbox_process
    from apps.screening.services import rescreen

    ids = [customer(f"Harriet Quennell {n}", "1990-05-06", "GB") for n in range(3)]
    # Busy workers: each request is screened as soon as it is sent, which moves its subject's place in the
    # book (ordered by last screening) behind the walk's page, one subject per page and per chunk.
    monkeypatch.setattr(rescreen, "BOOK_PAGE", 1)
    monkeypatch.setattr(rescreen, "REQUESTS_PER_TRANSACTION", 1)
    monkeypatch.setattr(rescreen, "outbox_send", lambda items: [outbox_process(outbox_id=i.outbox_id) for i in items])
    state = rescreen.book_rescreen_request(actor=Actor.system("tests"), reason="threshold changed")
    assert (state.subjects, state.requested, state.already) == (3, 3, 0)
    for customer_id in ids:
        outbox_drain(group_key=customer_id)
    job = rescreen_job_get(job_id=state.job_id)
    assert (job.subjects, job.requested, job.screened) == (3, 3, 3)


def test_a_new_worker_starts_from_the_snapshot_and_reads_only_the_changes_since(book: Any) -> None:
    from io import StringIO

    from django.core.management import call_command

    from apps.screening.services import book_index

    load(*ROWS)
    customer("Harriet Quennell-Abernathy", "1980-04-02", "GB")
    out = StringIO()
    call_command("book_index_build", stdout=out)  # the offline rebuild saves the snapshot
    assert out.getvalue().startswith("built: 1 subjects in")
    book_index_reset()  # a new worker process
    karimi = customer("Mahmoud Abbas Karimi", "1961-02-03", "IR")  # written after the snapshot
    started = book_index.book_index_get()
    assert started.source == "snapshot" and len(started.refs) == 2
    assert started.changes_applied == 1  # only the subject written since the snapshot
    load(*ROWS, NEW_ENTRY)
    outbox_drain(group_key=karimi)  # the re-screen the delta asked for
    [alert] = list(Alert.by_customer.query(karimi))
    assert alert.list_entity_id == "W-011"
    after = book_index.book_index_get().changes_applied  # the re-screen rewrote Karimi's subject: applied
    again = book_index.book_index_get()
    assert again.changes_applied == after and len(again.index) == 2  # read again in the overlap, not re-applied
