"""Reads of the management information: a period's counters, the gauges, ageing against service levels.

Every read is a Query on a key or an index (never a Scan):

* the period's counters — Query ``mi_aggregates`` per month partition (``day#<YYYY-MM>``), sort key between the days;
* the gauges (customers by rating, CDD level and status; open alerts by the day they were raised) — Query ``gauge``;
* open and submitted cases against their due dates — Query ``cases`` ``by-status-due`` (``status``);
* reviews due and overdue — Query ``customers`` ``by-next-review`` (what beat opens periodic reviews from);
* documents expiring — Query ``documents`` ``by-expiry`` per bucket (``apps.documents.selectors.documents_expiring``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from apps.core.dynamo import utcnow
from apps.core.errors import ValidationFailed
from apps.core.mi import metrics
from apps.core.mi.models import GAUGE_PK, MiAggregate, day_pk
from apps.customers.models import REVIEW_BUCKET, Customer
from apps.customers.services import IN_RELATIONSHIP
from apps.customers.validation import CDD_LEVELS, RISK_RATINGS
from apps.documents.models import document_type_label
from apps.documents.selectors import documents_expiring
from apps.reviews.models import KIND_LABELS, KINDS, OPEN, SUBMITTED, Case

PRESETS = (7, 30, 90)
# Ageing buckets of open alerts and cases: (label, first day, last day or None for "and older").
AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-2 days", 0, 2), ("3-5 days", 3, 5), ("6-10 days", 6, 10), ("11-20 days", 11, 20), ("21-30 days", 21, 30),
    ("over 30 days", 31, None))
REVIEW_BUCKETS = ("overdue by more than 30 days", "overdue by 1-30 days", "due within 7 days",
                  "due in 8 days or more (within the lead time)")
DOCUMENT_BUCKETS = ("expiry date passed", "expiring within 7 days", "expiring in 8 days or more")
STATUS_ORDER = ("prospect", "onboarding", "active", "suspended", "dormant", "rejected", "exited")


def today() -> date:
    return utcnow().date()


@dataclass(frozen=True)
class Period:
    start: date
    end: date
    preset: int | None = None

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def label(self) -> str:
        return f"{self.start:%-d %b %Y} to {self.end:%-d %b %Y}"


def _date(raw: str, name: str, errors: dict[str, list[str]]) -> date | None:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append(f"“{raw[:40]}” is not a date: write it as YYYY-MM-DD, e.g. 2026-05-31")
        return None


def mi_period_parse(params: Mapping[str, str], *, now: date | None = None) -> Period:
    """The period a request asks for: ``days`` (a preset) or ``from``/``to``; without either, the default."""
    now = now or today()
    longest = int(settings.CDD_MI_MAX_PERIOD_DAYS)
    raw_from, raw_to = (params.get("from") or "").strip(), (params.get("to") or "").strip()
    raw_days = (params.get("days") or "").strip()
    errors: dict[str, list[str]] = {}
    if raw_from or raw_to:
        start = _date(raw_from, "from", errors) if raw_from else None
        end = _date(raw_to, "to", errors) if raw_to else now
        if not raw_from:
            errors.setdefault("from", []).append("give the first day of the period as well")
        if start and end:
            if end > now:
                errors.setdefault("to", []).append(f"is after today ({now:%-d %b %Y}); figures exist up to today")
            if start > end:
                errors.setdefault("from", []).append("is after the period's last day")
            elif (end - start).days + 1 > longest:
                errors.setdefault("from", []).append(f"the period may be at most {longest} days long")
        if errors or start is None or end is None:
            raise ValidationFailed("The period is not valid.", errors=errors)
        return Period(start, end)
    days = int(settings.CDD_MI_DEFAULT_PERIOD_DAYS)
    if raw_days:
        if not raw_days.isdigit() or not 1 <= int(raw_days) <= longest:
            raise ValidationFailed("The period is not valid.",
                                   errors={"days": [f"a whole number of days from 1 to {longest}"]})
        days = int(raw_days)
    return Period(now - timedelta(days=days - 1), now, preset=days if days in PRESETS else None)


# --- the period's counters and the gauges ---------------------------------------------------------------------

def _months(period: Period) -> list[str]:
    months, day = [], period.start.replace(day=1)
    while day <= period.end:
        months.append(day.isoformat())
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def mi_counters(*, period: Period) -> dict[str, dict[str, int]]:
    """``{day: {metric: n}}`` for every day of the period that counted something (a Query per month)."""
    out: dict[str, dict[str, int]] = {}
    low, high = period.start.isoformat(), f"{period.end.isoformat()}#~"
    for month in _months(period):
        for item in MiAggregate.query(day_pk(month), MiAggregate.sk.between(low, high)):
            day, _, name = item.sk.partition("#")
            out.setdefault(day, {})[name] = int(item.n or 0)
    return out


def mi_gauges() -> dict[str, dict[str, int]]:
    """``{gauge: {key: n}}`` (one Query)."""
    out: dict[str, dict[str, int]] = {}
    for item in MiAggregate.query(GAUGE_PK):
        gauge, _, key = item.sk.partition("#")
        out.setdefault(gauge, {})[key] = int(item.n or 0)
    return out


def _prefixed(counts: Mapping[str, int], prefix: str) -> dict[str, int]:
    return {k.removeprefix(prefix + "#"): v for k, v in counts.items() if k.startswith(prefix + "#")}


def _share(part: int, whole: int) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


# --- the report -----------------------------------------------------------------------------------------------

@dataclass
class AgeRow:
    label: str
    within: int = 0
    breached: int = 0
    due_soon: int = 0

    @property
    def total(self) -> int:
        return self.within + self.breached + self.due_soon


@dataclass
class MiReport:
    period: Period
    today: date
    alert_sla_days: int
    daily: list[dict[str, Any]] = field(default_factory=list)
    totals: dict[str, Any] = field(default_factory=dict)
    cases_by_kind: list[dict[str, Any]] = field(default_factory=list)
    alert_ageing: list[AgeRow] = field(default_factory=list)
    case_ageing: list[AgeRow] = field(default_factory=list)
    open_cases_by_kind: list[dict[str, Any]] = field(default_factory=list)
    overdue_cases: list[dict[str, Any]] = field(default_factory=list)
    customers_by_rating: list[tuple[str, int]] = field(default_factory=list)
    customers_by_level: list[tuple[str, int]] = field(default_factory=list)
    customers_by_status: list[tuple[str, int]] = field(default_factory=list)
    reviews: list[tuple[str, int]] = field(default_factory=list)
    overdue_reviews: list[dict[str, Any]] = field(default_factory=list)
    documents: list[tuple[str, int]] = field(default_factory=list)
    documents_by_type: list[tuple[str, int]] = field(default_factory=list)
    sla_table: list[dict[str, Any]] = field(default_factory=list)
    needs_rebuild: bool = False

    @property
    def open_alerts(self) -> int:
        return sum(r.total for r in self.alert_ageing)

    @property
    def open_alerts_breached(self) -> int:
        return sum(r.breached for r in self.alert_ageing)

    @property
    def open_cases(self) -> int:
        return sum(r.total for r in self.case_ageing)

    @property
    def open_cases_breached(self) -> int:
        return sum(r.breached for r in self.case_ageing)

    @property
    def customers_total(self) -> int:
        return sum(n for _, n in self.customers_by_rating)

    @property
    def reviews_total(self) -> int:
        return sum(n for _, n in self.reviews)

    @property
    def documents_total(self) -> int:
        return sum(n for _, n in self.documents)

    def chart_data(self) -> dict[str, Any]:
        """What the page's script draws (``json_script``): labels and series, no names."""
        return {
            "days": [d["day"] for d in self.daily],
            "alerts": {"raised": [d["alerts_raised"] for d in self.daily],
                       "closed_fp": [d["closed_false_positive"] for d in self.daily],
                       "closed_tm": [d["closed_true_match"] for d in self.daily],
                       "fp_share": [d["fp_share"] for d in self.daily]},
            "screening": {"runs": [d["screening_runs"] for d in self.daily],
                          "p50": [d["latency_p50_ms"] for d in self.daily],
                          "p95": [d["latency_p95_ms"] for d in self.daily]},
            "alert_ageing": {"labels": [r.label for r in self.alert_ageing],
                             "within": [r.within for r in self.alert_ageing],
                             "breached": [r.breached for r in self.alert_ageing]},
            "case_ageing": {"labels": [r.label for r in self.case_ageing],
                            "within": [r.within for r in self.case_ageing],
                            "due_soon": [r.due_soon for r in self.case_ageing],
                            "breached": [r.breached for r in self.case_ageing]},
            "rating": {"labels": [k for k, _ in self.customers_by_rating], "values": [v for _, v in self.customers_by_rating]},
            "level": {"labels": [k for k, _ in self.customers_by_level], "values": [v for _, v in self.customers_by_level]},
            "reviews": {"labels": [k for k, _ in self.reviews], "values": [v for _, v in self.reviews]},
            "documents": {"labels": [k for k, _ in self.documents], "values": [v for _, v in self.documents]},
        }


def _bucket_of(age: int) -> int:
    for index, (_, low, high) in enumerate(AGE_BUCKETS):
        if age >= low and (high is None or age <= high):
            return index
    return len(AGE_BUCKETS) - 1


def _daily(period: Period, counters: dict[str, dict[str, int]]) -> list[dict[str, Any]]:
    rows = []
    for day in period.days:
        c = counters.get(day.isoformat(), {})
        fp, tm = c.get(f"{metrics.ALERTS_CLOSED}#false_positive", 0), c.get(f"{metrics.ALERTS_CLOSED}#true_match", 0)
        histogram = _prefixed(c, metrics.SCREENING_LATENCY)
        rows.append({
            "day": day.isoformat(),
            "alerts_raised": c.get(metrics.ALERTS_RAISED, 0) + c.get(metrics.ALERTS_REOPENED, 0),
            "alerts_new": c.get(metrics.ALERTS_RAISED, 0), "alerts_reopened": c.get(metrics.ALERTS_REOPENED, 0),
            "closed_false_positive": fp, "closed_true_match": tm, "alerts_closed": fp + tm,
            "fp_share": _share(fp, fp + tm),
            "cases_opened": sum(_prefixed(c, metrics.CASES_OPENED).values()),
            "cases_decided": sum(_prefixed(c, metrics.CASES_DECIDED).values()),
            "screening_runs": c.get(metrics.SCREENING_RUNS, 0), "screening_hits": c.get(metrics.SCREENING_HITS, 0),
            "index_loads": c.get(metrics.SCREENING_INDEX_LOADS, 0),
            "latency_p50_ms": metrics.percentile(histogram, 0.5),
            "latency_p95_ms": metrics.percentile(histogram, 0.95),
            "documents_received": c.get(metrics.DOCUMENTS_RECEIVED, 0),
            "documents_expired": c.get(metrics.DOCUMENTS_EXPIRED, 0),
            "customers_created": c.get(metrics.CUSTOMERS_CREATED, 0),
        })
    return rows


def _totals(counters: dict[str, dict[str, int]]) -> tuple[dict[str, Any], dict[str, int]]:
    summed: dict[str, int] = {}
    for counts in counters.values():
        for name, n in counts.items():
            summed[name] = summed.get(name, 0) + n
    fp, tm = summed.get(f"{metrics.ALERTS_CLOSED}#false_positive", 0), summed.get(f"{metrics.ALERTS_CLOSED}#true_match", 0)
    histogram = _prefixed(summed, metrics.SCREENING_LATENCY)
    timed = sum(histogram.values())
    loads = summed.get(metrics.SCREENING_INDEX_LOADS, 0)
    totals = {
        "alerts_raised": summed.get(metrics.ALERTS_RAISED, 0) + summed.get(metrics.ALERTS_REOPENED, 0),
        "alerts_new": summed.get(metrics.ALERTS_RAISED, 0), "alerts_reopened": summed.get(metrics.ALERTS_REOPENED, 0),
        "alerts_proposed": summed.get(metrics.ALERTS_PROPOSED, 0),
        "closed_false_positive": fp, "closed_true_match": tm, "alerts_closed": fp + tm,
        "fp_share": _share(fp, fp + tm),
        "screening_runs": summed.get(metrics.SCREENING_RUNS, 0), "screening_hits": summed.get(metrics.SCREENING_HITS, 0),
        "latency_p50_ms": metrics.percentile(histogram, 0.5), "latency_p95_ms": metrics.percentile(histogram, 0.95),
        "latency_mean_ms": round(summed.get(metrics.SCREENING_LATENCY_SUM, 0) / timed, 1) if timed else None,
        "index_loads": loads,
        "index_load_mean_ms": round(summed.get(metrics.SCREENING_INDEX_LOAD_SUM, 0) / loads, 1) if loads else None,
        "documents_requested": summed.get(metrics.DOCUMENTS_REQUESTED, 0),
        "documents_received": summed.get(metrics.DOCUMENTS_RECEIVED, 0),
        "documents_expired": summed.get(metrics.DOCUMENTS_EXPIRED, 0),
        "customers_created": summed.get(metrics.CUSTOMERS_CREATED, 0),
        "ratings_changed": summed.get(metrics.RATINGS_CHANGED, 0),
        "cases_opened": sum(_prefixed(summed, metrics.CASES_OPENED).values()),
        "cases_decided": sum(_prefixed(summed, metrics.CASES_DECIDED).values()),
    }
    return totals, summed


def _cases_by_kind(summed: dict[str, int]) -> list[dict[str, Any]]:
    decided = _prefixed(summed, metrics.CASES_DECIDED)
    rows = []
    for kind in (*KINDS, "unknown"):
        row = {"kind": kind, "label": KIND_LABELS.get(kind, "Kind not recorded"),
               "opened": _prefixed(summed, metrics.CASES_OPENED).get(kind, 0),
               "submitted": _prefixed(summed, metrics.CASES_SUBMITTED).get(kind, 0),
               "returned": _prefixed(summed, metrics.CASES_RETURNED).get(kind, 0),
               "approved": decided.get(f"{kind}#approved", 0), "rejected": decided.get(f"{kind}#rejected", 0)}
        if kind != "unknown" or any(v for k, v in row.items() if k not in ("kind", "label")):
            rows.append(row)
    return rows


def _alert_ageing(open_by_day: Mapping[str, int], now: date, sla: int) -> list[AgeRow]:
    rows = [AgeRow(label) for label, _, _ in AGE_BUCKETS]
    for day, n in open_by_day.items():
        if n <= 0:
            continue
        try:
            age = (now - date.fromisoformat(day)).days
        except ValueError:
            continue
        row = rows[_bucket_of(max(0, age))]
        if age > sla:
            row.breached += n
        else:
            row.within += n
    return rows


def _case_ageing(now: date) -> tuple[list[AgeRow], list[dict[str, Any]], list[dict[str, Any]]]:
    rows = [AgeRow(label) for label, _, _ in AGE_BUCKETS]
    by_kind: dict[str, dict[str, Any]] = {k: {"kind": k, "label": KIND_LABELS[k], "open": 0, "submitted": 0,
                                              "breached": 0} for k in KINDS}
    overdue: list[dict[str, Any]] = []
    for status in (OPEN, SUBMITTED):
        for case in Case.by_status_due.query(status):
            age = max(0, (now - case.created_at.date()).days)
            row = rows[_bucket_of(age)]
            due = date.fromisoformat(case.due_date) if case.due_date else None
            kind = by_kind.setdefault(case.kind, {"kind": case.kind, "label": KIND_LABELS.get(case.kind, case.kind),
                                                  "open": 0, "submitted": 0, "breached": 0})
            kind[status] += 1
            if due is not None and due < now:
                row.breached += 1
                kind["breached"] += 1
                overdue.append({"case_id": case.case_id, "title": case.title, "kind": KIND_LABELS.get(case.kind, case.kind),
                                "status": case.status, "due_date": due, "days_overdue": (now - due).days,
                                "age_days": age})
            elif due is not None and (due - now).days <= 2:
                row.due_soon += 1
            else:
                row.within += 1
    overdue.sort(key=lambda c: -c["days_overdue"])
    return rows, [k for k in by_kind.values() if k["open"] or k["submitted"] or k["kind"] in KINDS], overdue


def _reviews(now: date) -> tuple[list[tuple[str, int]], list[dict[str, Any]]]:
    """Customers in a relationship whose periodic review is overdue or due within the lead time (beat's index)."""
    horizon = now + timedelta(days=int(settings.CDD_REVIEW_LEAD_DAYS))
    counts = dict.fromkeys(REVIEW_BUCKETS, 0)
    overdue: list[dict[str, Any]] = []
    for customer in Customer.by_next_review.query(REVIEW_BUCKET, Customer.next_review_date <= horizon.isoformat()):
        if customer.status not in IN_RELATIONSHIP or not customer.next_review_date:
            continue
        due = date.fromisoformat(customer.next_review_date)
        late = (now - due).days
        if late > 30:
            counts[REVIEW_BUCKETS[0]] += 1
        elif late >= 1:
            counts[REVIEW_BUCKETS[1]] += 1
        elif (due - now).days <= 7:
            counts[REVIEW_BUCKETS[2]] += 1
        else:
            counts[REVIEW_BUCKETS[3]] += 1
        if late >= 1:
            overdue.append({"customer_id": customer.customer_id, "name": customer.legal_name, "due_date": due,
                            "days_overdue": late, "risk_rating": customer.risk_rating or "not rated"})
    overdue.sort(key=lambda r: -r["days_overdue"])
    return list(counts.items()), overdue


def _documents(now: date) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    window = int(settings.CDD_DOCUMENTS_EXPIRING_DAYS)
    counts = dict.fromkeys(DOCUMENT_BUCKETS, 0)
    by_type: dict[str, int] = {}
    for document in documents_expiring(on_or_before=now + timedelta(days=window)):
        if not document.expiry_date:
            continue
        left = (date.fromisoformat(document.expiry_date) - now).days
        counts[DOCUMENT_BUCKETS[0] if left < 0 else DOCUMENT_BUCKETS[1] if left <= 7 else DOCUMENT_BUCKETS[2]] += 1
        label = document_type_label(document.document_type)
        by_type[label] = by_type.get(label, 0) + 1
    return list(counts.items()), sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0]))


def _ordered(counts: Mapping[str, int], order: tuple[str, ...], words: Mapping[str, str]) -> list[tuple[str, int]]:
    keys = [*order, *sorted(k for k in counts if k not in order)]
    return [(words.get(k, k.replace("_", " ")), max(0, counts.get(k, 0))) for k in keys
            if k in order or counts.get(k, 0)]


def _sla_table() -> list[dict[str, Any]]:
    table = settings.CDD_CASE_SLA_DAYS
    return [{"kind": KIND_LABELS.get(kind, kind), **{r: days.get(r) for r in (*RISK_RATINGS, "unrated")}}
            for kind, days in table.items()]


def mi_report(*, period: Period, now: date | None = None) -> MiReport:
    """Every figure of the MI page and its exports, for ``period`` (Queries only)."""
    now = now or today()
    sla = int(settings.CDD_ALERT_SLA_DAYS)
    counters = mi_counters(period=period)
    gauges = mi_gauges()
    totals, summed = _totals(counters)
    case_ageing, open_by_kind, overdue_cases = _case_ageing(now)
    reviews, overdue_reviews = _reviews(now)
    documents, documents_by_type = _documents(now)
    report = MiReport(
        period=period, today=now, alert_sla_days=sla, daily=_daily(period, counters), totals=totals,
        cases_by_kind=_cases_by_kind(summed),
        alert_ageing=_alert_ageing(gauges.get(metrics.OPEN_ALERTS, {}), now, sla),
        case_ageing=case_ageing, open_cases_by_kind=open_by_kind, overdue_cases=overdue_cases,
        customers_by_rating=_ordered(gauges.get(metrics.CUSTOMERS_BY_RATING, {}), (*RISK_RATINGS, metrics.UNRATED),
                                     {metrics.UNRATED: "not rated"}),
        customers_by_level=_ordered(gauges.get(metrics.CUSTOMERS_BY_LEVEL, {}), (*CDD_LEVELS, metrics.NO_LEVEL),
                                    {metrics.NO_LEVEL: "no level yet"}),
        customers_by_status=[(k, v) for k, v in _ordered(gauges.get(metrics.CUSTOMERS_BY_STATUS, {}), STATUS_ORDER, {})
                             if v],
        reviews=reviews, overdue_reviews=overdue_reviews, documents=documents, documents_by_type=documents_by_type,
        sla_table=_sla_table(),
        needs_rebuild=any(n < 0 for g in gauges.values() for n in g.values()),
    )
    return report
