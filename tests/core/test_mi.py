"""Management information: counts kept on write from the domain events, ageing against service levels, the page
for senior reviewers and auditors, its CSV and XLSX exports, and the offline rebuild.

Everything starts from real service calls (customers created and screened, an alert dispositioned under four-eyes,
the risk model's ratings, a case decided); the workers' part runs through the outbox, as on the local stack.
"""

from __future__ import annotations

import csv
import io
import sys
import types
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.dynamo_models import OutboxItem
from apps.core.events import TOPIC
from apps.core.mi import selectors
from apps.core.mi.metrics import percentile
from apps.core.mi.services import event_deltas, mi_events_apply, mi_rebuild
from apps.core.outbox import outbox_drain
from apps.customers.selectors import customer_get
from apps.customers.services import customer_create
from apps.reviews import services as reviews
from apps.screening.selectors.alerts import alerts_of_customer
from apps.screening.services.alerts import alert_disposition_decide, alert_disposition_propose
from tests.reviews.support import PLAIN, settle, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

# Named like a listed person, with his date of birth: alerted on two lists (OFAC SDN and the UN list).
SOLEIMANI = {"customer_type": "individual", "legal_name": "Qasem Soleimani", "date_of_birth": "1957-03-11",
             "nationalities": ["IR"], "country_of_residence": "IR", "status": "onboarding"}


@pytest.fixture(autouse=True)
def webhooks_quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests count; delivering webhooks is the webhooks tests' business (the fanout is a no-op here)."""
    def fanout(*, events: list[Any]) -> int:
        return 0

    try:
        import apps.core.webhooks.services as real
    except ImportError:  # not built yet in this tree: stand in for it
        stub = types.ModuleType("apps.core.webhooks.services")
        stub.webhook_events_fanout = fanout  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "apps.core.webhooks.services", stub)
        if "apps.core.webhooks" not in sys.modules:
            try:
                import apps.core.webhooks  # noqa: F401
            except ImportError:
                monkeypatch.setitem(sys.modules, "apps.core.webhooks", types.ModuleType("apps.core.webhooks"))
    else:
        monkeypatch.setattr(real, "webhook_events_fanout", fanout)


def _signed_in(user: Any) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _drain_all() -> None:
    for _ in range(8):
        if not outbox_drain()["done"]:
            return


def _events_published() -> list[dict[str, Any]]:
    """Every domain event the outbox carried (a test may Scan)."""
    return [e for item in OutboxItem.scan() if item.topic == TOPIC for e in (item.payload or {}).get("events", [])]


def _figures() -> tuple[dict[str, Any], dict[str, Any]]:
    """Every counter of the default period and every gauge (an item that went back to zero counts as none)."""
    period = selectors.mi_period_parse({})
    def nonzero(found: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        return {k: {n: v for n, v in inner.items() if v} for k, inner in found.items()}
    return nonzero(selectors.mi_counters(period=period)), nonzero(selectors.mi_gauges())


@pytest.fixture
def book(analyst: Any, reviewer: Any) -> dict[str, str]:
    """Two customers: one alerted twice (one alert cleared as a false positive under four-eyes), one approved."""
    listed = customer_create(actor=Actor.system("tests"), integration="tests", data=SOLEIMANI).customer_id
    plain = customer_create(actor=Actor.system("tests"), integration="tests", data=PLAIN).customer_id
    settle(listed)
    settle(plain)
    alerts = alerts_of_customer(customer_id=listed)
    assert len(alerts) == 2, [a.alert.list_key for a in alerts]
    cleared = alerts[0].alert_id
    alert_disposition_propose(alert_id=cleared, actor=Actor.from_user(analyst), outcome="false_positive",
                              rationale="different father's name and place of birth")
    alert_disposition_decide(alert_id=cleared, actor=Actor.from_user(reviewer), confirm=True, rationale="agreed")
    case_id = f"onboarding-{plain}"
    reviews.case_submit(case_id=case_id, analyst=Actor.from_user(analyst), summary="screening clear, documents seen")
    reviews.case_approve(case_id=case_id, reviewer=Actor.from_user(reviewer), rationale="fine")
    _drain_all()
    return {"listed": listed, "plain": plain, "cleared": cleared, "open": alerts[1].alert_id}


def test_the_page_shows_what_a_manager_checks(book: dict[str, str], senior_reviewer: Any) -> None:
    response = _signed_in(senior_reviewer).get("/mi/")
    assert response.status_code == 200
    report = response.context["report"]
    totals = report.totals
    assert (totals["alerts_raised"], totals["alerts_closed"], totals["closed_false_positive"]) == (2, 1, 1)
    assert totals["fp_share"] == 100.0
    assert (report.open_alerts, report.open_alerts_breached) == (1, 0)  # raised today: within the SLA
    assert totals["customers_created"] == 2
    assert totals["screening_runs"] >= 2 and totals["screening_hits"] >= 2
    assert totals["latency_p50_ms"] is not None and totals["latency_p95_ms"] >= totals["latency_p50_ms"]
    onboarding = next(k for k in report.cases_by_kind if k["kind"] == "onboarding")
    assert (onboarding["opened"], onboarding["submitted"], onboarding["approved"]) == (2, 1, 1)
    # The book by rating and level is the customers' own ratings, moved as the risk model rated them.
    ratings = dict(report.customers_by_rating)
    levels = dict(report.customers_by_level)
    listed, plain = customer_get(customer_id=book["listed"]), customer_get(customer_id=book["plain"])
    assert plain.risk_rating == "low"
    expected: dict[str, int] = {}
    for c in (listed, plain):
        expected[c.risk_rating] = expected.get(c.risk_rating, 0) + 1
    assert {k: v for k, v in ratings.items() if v} == expected
    assert sum(levels.values()) == 2 and levels[plain.cdd_level] >= 1
    assert dict(report.customers_by_status) == {"onboarding": 1, "active": 1}
    html = response.content.decode()
    assert "100.0 %" in html and "of closed alerts were false positives" in html
    assert 'id="mi-data"' in html and "core/vendor/chartjs/chart.umd.min.js" in html and "core/mi.js" in html
    assert "<script>" not in html  # no inline script (the CSP forbids it): the figures are a JSON data block


def test_the_exports_carry_the_same_figures_and_are_audited(book: dict[str, str], auditor: Any) -> None:
    from openpyxl import load_workbook

    browser = _signed_in(auditor)
    response = browser.get("/mi/export.csv?days=7")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    period = {r["figure"]: r["value"] for r in rows if r["section"] == "period" and not r["breakdown"]}
    assert period["Alerts raised (new and reopened)"] == "2"
    assert period["Alerts closed as false positive"] == "1"
    assert period["False-positive share of closed alerts (%)"] == "100.0"
    rating = {r["breakdown"]: r["value"] for r in rows if r["figure"] == "By risk rating"}
    assert rating["low"] == "1"
    daily = [r for r in rows if r["section"] == "daily" and r["figure"] == "Alerts raised (new and reopened)"]
    assert len(daily) == 7 and daily[-1]["day"] == today().isoformat() and daily[-1]["value"] == "2"

    xlsx = browser.get("/mi/export.xlsx?days=7")
    assert xlsx.status_code == 200
    book_ = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    figures = {(r[1], r[2]): r[4] for r in book_["Figures"].iter_rows(min_row=2, values_only=True)}
    assert figures[("Alerts raised (new and reopened)", None)] == 2
    assert figures[("False-positive share of closed alerts (%)", None)] == 100.0
    assert figures[("By risk rating", "low")] == 1
    days = list(book_["Daily"].iter_rows(min_row=2, values_only=True))
    assert [d[0] for d in days][-1] == today().isoformat() and days[-1][1] == 2

    exported = list(AuditEvent.by_action.query("mi.exported"))
    assert sorted(e.data["format"] for e in exported) == ["csv", "xlsx"]
    assert {e.actor["name"] for e in exported} == {auditor.username}


def test_applying_the_same_events_again_changes_nothing(book: dict[str, str]) -> None:
    events = _events_published()
    assert {"customer.created", "screening.alert.raised", "screening.alert.disposed", "case.decided",
            "screening.completed"} <= {e["type"] for e in events}
    before = _figures()
    assert mi_events_apply(events=events) == 0
    assert _figures() == before


def test_a_close_without_its_raise_day_finds_it_through_the_screening_app(book: dict[str, str]) -> None:
    [closed] = [e for e in _events_published() if e["type"] == "screening.alert.disposed"]
    assert closed["facts"]["raised_on"] == today().isoformat()
    older = {**closed, "facts": {k: v for k, v in closed["facts"].items() if k != "raised_on"}}
    assert {d.name for d in event_deltas(older)} == {d.name for d in event_deltas(closed)} >= {
        f"open_alerts#{today().isoformat()}"}


def test_an_overdue_case_and_an_old_alert_show_as_breaches(book: dict[str, str], auditor: Any,
                                                           settings: Any) -> None:
    overdue = reviews.case_open(customer_id=book["listed"], kind="trigger", actor=Actor.system("tests"),
                                title="Trigger review of Qasem Soleimani", due_date="2020-01-31")
    settings.CDD_ALERT_SLA_DAYS = 5
    later = today() + timedelta(days=9)  # the open alert, seen nine days on
    report = selectors.mi_report(period=selectors.mi_period_parse({}), now=later)
    assert (report.open_alerts, report.open_alerts_breached) == (1, 1)
    assert [r.label for r in report.alert_ageing if r.breached] == ["6-10 days"]

    response = _signed_in(auditor).get("/mi/")
    page = response.context["report"]
    assert page.open_cases_breached >= 1
    [row] = [c for c in page.overdue_cases if c["case_id"] == overdue.case_id]
    assert row["days_overdue"] == (today() - date(2020, 1, 31)).days
    html = response.content.decode()
    listed = html[html.index(f'href="/cases/{overdue.case_id}/"'):]
    assert 'class="label-breach">Breached' in listed[:600]  # said in words, not only in red


def test_only_senior_reviewers_and_auditors_open_it(aws: None, analyst: Any, reviewer: Any, senior_reviewer: Any,
                                                    auditor: Any, platform_admin: Any) -> None:
    for who in (analyst, reviewer, platform_admin):
        browser = _signed_in(who)
        assert browser.get("/mi/").status_code == 403, who.username
        assert browser.get("/mi/export.csv").status_code == 403, who.username
        assert "Management information" not in browser.get("/").content.decode()
    for who in (senior_reviewer, auditor):
        browser = _signed_in(who)
        assert browser.get("/mi/").status_code == 200, who.username
        assert 'href="/mi/"' in browser.get("/").content.decode()  # linked from the header and the home


@pytest.mark.parametrize(("query", "says"), [
    ("from=2026-13-01&to=2026-12-31", "is not a date"),
    ("from=2026-05-10&to=2026-05-01", "is after the period&#x27;s last day"),
    ("from=2000-01-01&to=2026-01-01", "at most 366 days"),
    ("to=2026-01-01", "give the first day"),
    ("days=lots", "a whole number of days"),
    ("from=2026-01-01&to=2999-01-01", "is after today"),
])
def test_a_bad_period_is_a_clear_400(aws: None, senior_reviewer: Any, query: str, says: str) -> None:
    browser = _signed_in(senior_reviewer)
    for url in ("/mi/", "/mi/export.csv", "/mi/export.xlsx"):
        response = browser.get(f"{url}?{query}")
        assert response.status_code == 400, url
        html = response.content.decode()
        assert "The period is not valid." in html and says in html, html[-3000:]
    assert browser.get("/mi/export.pdf").status_code == 400


def test_a_preset_period_is_the_last_n_days(aws: None, senior_reviewer: Any) -> None:
    response = _signed_in(senior_reviewer).get("/mi/?days=90")
    period = response.context["period"]
    assert (period.end - period.start).days == 89 and period.preset == 90
    assert len(response.context["report"].daily) == 90


@pytest.fixture
def dynamo_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from pynamodb.connection.base import Connection

    seen: list[str] = []
    real = Connection.dispatch

    def record(self: Any, operation_name: str, operation_kwargs: Any) -> Any:
        seen.append(operation_name)
        return real(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", record)
    return seen


def test_the_page_reads_with_queries_only(book: dict[str, str], senior_reviewer: Any,
                                          dynamo_calls: list[str]) -> None:
    dynamo_calls.clear()
    assert _signed_in(senior_reviewer).get("/mi/?days=90").status_code == 200
    assert "Query" in dynamo_calls
    assert set(dynamo_calls) <= {"Query", "GetItem", "BatchGetItem"}, dynamo_calls


def test_the_rebuild_reproduces_what_was_counted_on_write(book: dict[str, str]) -> None:
    live = _figures()
    out = io.StringIO()
    call_command("mi_rebuild", stdout=out)
    assert "audit event(s) read" in out.getvalue()
    assert _figures() == live
    assert [e.action for e in AuditEvent.by_action.query("mi.rebuilt")] == ["mi.rebuilt"]


def test_the_rebuild_waits_for_pending_events(aws: None) -> None:
    from apps.core.errors import Conflict

    customer_create(actor=Actor.system("tests"), integration="tests", data=PLAIN)  # its events not yet applied
    with pytest.raises(Conflict, match="pending"):
        mi_rebuild(actor=Actor.system("tests"))


def test_latency_percentiles_read_from_the_fixed_buckets() -> None:
    assert percentile({}, 0.5) is None
    histogram = {"le25": 50, "le50": 40, "le250": 9, "inf": 1}
    assert percentile(histogram, 0.5) == 25.0
    assert 100 < percentile(histogram, 0.95) <= 250  # type: ignore[operator]
    assert percentile({"inf": 3}, 0.95) == 10000.0  # "at least 10 s"


def test_a_conflict_on_a_busy_counter_is_retried_and_counts_once(aws: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from pynamodb.exceptions import CancellationReason, TransactWriteError
    from pynamodb.transactions import TransactWrite

    from apps.core import dynamo

    class Conflicted(TransactWriteError):
        cancellation_reasons = [None, CancellationReason("TransactionConflict")]  # type: ignore[assignment]

    commits: list[int] = []

    class Busy(TransactWrite):  # another writer wins the first commit
        def __exit__(self, *exc: Any) -> None:
            commits.append(1)
            if len(commits) == 1:
                raise Conflicted("busy")
            super().__exit__(*exc)

    monkeypatch.setattr(dynamo, "TransactWrite", Busy)
    monkeypatch.setattr(dynamo.random, "uniform", lambda low, high: 0.0)
    event = {"id": "evt_busy", "type": "customer.created", "timestamp": f"{today().isoformat()}T09:00:00+00:00",
             "values": {"status": "onboarding"}}
    assert mi_events_apply(events=[event]) == 1
    assert len(commits) == 2
    assert mi_events_apply(events=[event]) == 0
    assert selectors.mi_gauges()["customers_status"] == {"onboarding": 1}


def test_an_empty_book_says_so_in_place_of_each_chart(aws: None, senior_reviewer: Any) -> None:
    html = _signed_in(senior_reviewer).get("/mi/").content.decode()
    for sentence in ("No alerts were raised in this period, and none were closed.", "No alert is open now.",
                     "No case is open now.", "There are no customers yet.",
                     "No periodic review is overdue or due within the lead time.",
                     "No document has expired or expires within 30 days.", "No screening ran in this period."):
        assert sentence in html, sentence
    assert "<canvas" not in html  # no bare 0-1 axis
    assert 'id="rating-table"' in html and 'id="reviews-table"' in html  # the figures stay, as tables


def test_a_run_that_first_loaded_the_list_index_is_counted_apart_from_the_matching_latency() -> None:
    def run(**facts: Any) -> dict[str, int]:
        event = {"type": "screening.completed", "timestamp": "2026-05-04T10:00:00+00:00", "facts": facts}
        return {d.name: d.n for d in event_deltas(event)}

    cold = run(hits=0, duration_ms=7514.0, index_loaded=True, index_load_ms=7500.0)
    assert cold["screening_latency#le25"] == 1 and cold["screening_latency_ms_sum"] == 14
    assert cold["screening_index_loads"] == 1 and cold["screening_index_load_ms_sum"] == 7500
    warm = run(hits=0, duration_ms=14.0, index_loaded=False, index_load_ms=0)
    assert warm["screening_latency#le25"] == 1 and "screening_index_loads" not in warm
    older = run(hits=0, duration_ms=7514.0)  # recorded before runs said whether they loaded the index
    assert older["screening_latency#le10000"] == 1
