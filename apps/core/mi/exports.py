"""The MI page's figures as CSV and XLSX (openpyxl): the same numbers, no names (counts only)."""

from __future__ import annotations

import csv
import io
from typing import Any

from apps.core.mi.selectors import MiReport

COLUMNS = ("section", "figure", "breakdown", "day", "value")
DAILY_COLUMNS = (
    ("day", "Day"), ("alerts_raised", "Alerts raised (new and reopened)"), ("alerts_new", "of which new"),
    ("alerts_reopened", "of which reopened"), ("closed_false_positive", "Alerts closed as false positive"),
    ("closed_true_match", "Alerts closed as true match"), ("fp_share", "False-positive share of closed (%)"),
    ("cases_opened", "Cases opened"), ("cases_decided", "Cases decided"), ("screening_runs", "Screening runs"),
    ("screening_hits", "Screening hits"), ("latency_p50_ms", "Screening latency p50, matching only (ms)"),
    ("latency_p95_ms", "Screening latency p95, matching only (ms)"),
    ("index_loads", "Screening runs that first loaded the list index"), ("documents_received", "Documents received"),
    ("documents_expired", "Documents expired"), ("customers_created", "Customers created"))
TOTAL_LABELS = {
    "alerts_raised": "Alerts raised (new and reopened)", "alerts_new": "Alerts raised (new)",
    "alerts_reopened": "Alerts reopened", "alerts_proposed": "Dispositions proposed",
    "closed_false_positive": "Alerts closed as false positive", "closed_true_match": "Alerts closed as true match",
    "alerts_closed": "Alerts closed", "fp_share": "False-positive share of closed alerts (%)",
    "screening_runs": "Screening runs", "screening_hits": "Screening hits",
    "latency_p50_ms": "Screening latency p50, matching only (ms)",
    "latency_p95_ms": "Screening latency p95, matching only (ms)",
    "latency_mean_ms": "Screening latency mean, matching only (ms)",
    "index_loads": "Screening runs that first loaded the list index",
    "index_load_mean_ms": "List index load of those runs, mean (ms)", "documents_requested": "Documents requested",
    "documents_received": "Documents received", "documents_expired": "Documents expired",
    "customers_created": "Customers created", "ratings_changed": "Risk ratings changed",
    "cases_opened": "Cases opened", "cases_decided": "Cases decided"}


def mi_rows(report: MiReport) -> list[tuple[Any, ...]]:
    """Every figure as (section, figure, breakdown, day, value): the CSV, and the XLSX's "Figures" sheet."""
    period = f"{report.period.start.isoformat()}..{report.period.end.isoformat()}"
    rows: list[tuple[Any, ...]] = []
    for day in report.daily:
        for key, label in DAILY_COLUMNS[1:]:
            rows.append(("daily", label, "", day["day"], day[key]))
    for key, label in TOTAL_LABELS.items():
        rows.append(("period", label, "", period, report.totals.get(key)))
    for row in report.cases_by_kind:
        for what in ("opened", "submitted", "returned", "approved", "rejected"):
            rows.append(("period", f"Cases {what}", row["label"], period, row[what]))
    today = report.today.isoformat()
    for age in report.alert_ageing:
        rows.append(("open alerts", f"Within the {report.alert_sla_days}-day SLA", age.label, today, age.within))
        rows.append(("open alerts", "Breached the SLA", age.label, today, age.breached))
    for age in report.case_ageing:
        rows.append(("open cases", "Within the SLA", age.label, today, age.within))
        rows.append(("open cases", "Due within 2 days", age.label, today, age.due_soon))
        rows.append(("open cases", "Breached the SLA (overdue)", age.label, today, age.breached))
    for kind in report.open_cases_by_kind:
        rows.append(("open cases", "Open", kind["label"], today, kind["open"]))
        rows.append(("open cases", "Submitted", kind["label"], today, kind["submitted"]))
        rows.append(("open cases", "Overdue", kind["label"], today, kind["breached"]))
    for label, n in report.customers_by_rating:
        rows.append(("customers", "By risk rating", label, today, n))
    for label, n in report.customers_by_level:
        rows.append(("customers", "By CDD level", label, today, n))
    for label, n in report.customers_by_status:
        rows.append(("customers", "By status", label, today, n))
    for label, n in report.reviews:
        rows.append(("periodic reviews", "Customers", label, today, n))
    for label, n in report.documents:
        rows.append(("documents expiring", "Documents", label, today, n))
    for label, n in report.documents_by_type:
        rows.append(("documents expiring", "By type", label, today, n))
    return rows


def mi_csv(report: MiReport) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in mi_rows(report):
        writer.writerow(["" if v is None else v for v in row])
    return out.getvalue().encode("utf-8")


def mi_xlsx(report: MiReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    daily = book.active
    assert daily is not None
    daily.title = "Daily"
    daily.append([label for _, label in DAILY_COLUMNS])
    for day in report.daily:
        daily.append([day[key] for key, _ in DAILY_COLUMNS])
    figures = book.create_sheet("Figures")
    figures.append([c.capitalize() for c in COLUMNS])
    for row in mi_rows(report):
        if row[0] != "daily":
            figures.append(list(row))
    for sheet in (daily, figures):
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    about = book.create_sheet("About")
    about.append(["Management information", report.period.label])
    about.append(["Ageing, customers, reviews and documents as of", report.today.isoformat()])
    about.append(["Alert service level (days)", report.alert_sla_days])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
