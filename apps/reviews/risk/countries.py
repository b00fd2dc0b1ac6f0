"""The country risk table (``CDD_RISK_COUNTRY_TABLE``, shipped as ``apps/reviews/data/country_risk.json``)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings

from apps.customers.countries import COUNTRIES
from apps.reviews.risk.scoring import CountryTable


def country_table_problems(data: Any) -> list[str]:
    """What is wrong with a country risk file (``[]``: nothing)."""
    problems: list[str] = []
    categories = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(categories, dict) or not categories:
        return ["The file needs an object 'categories' of lists."]
    for key, category in categories.items():
        if not isinstance(category, dict):
            problems.append(f"{key}: an object with label, source, as_of and countries.")
            continue
        for name in ("label", "source", "as_of"):
            if not category.get(name):
                problems.append(f"{key}: '{name}' is required (say where the list comes from and when).")
        unknown = [c for c in category.get("countries") or [] if c not in COUNTRIES]
        if unknown:
            problems.append(f"{key}: not ISO 3166-1 alpha-2 codes: {', '.join(unknown)}.")
    return problems


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[CountryTable, dict[str, Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    problems = country_table_problems(data)
    if problems:
        raise ValueError(f"The country risk table {path} is not valid: {'; '.join(problems)}")
    of: dict[str, set[str]] = {}
    for key, category in data["categories"].items():
        for code in category.get("countries") or []:
            of.setdefault(code, set()).add(key)
    table = CountryTable(categories={c: frozenset(k) for c, k in of.items()},
                         labels={k: str(v["label"]) for k, v in data["categories"].items()})
    return table, data


def country_table() -> CountryTable:
    """The country categories the risk model scores (read once per process)."""
    return _load(str(settings.CDD_RISK_COUNTRY_TABLE))[0]


def country_table_sources() -> list[dict[str, Any]]:
    """Each category with its source, date and countries (the admin shows them)."""
    data = _load(str(settings.CDD_RISK_COUNTRY_TABLE))[1]
    return [{"key": key, "label": c["label"], "source": c["source"], "url": c.get("url"), "as_of": c["as_of"],
             "countries": [f"{code} {COUNTRIES.get(code, code)}" for code in c.get("countries") or []]}
            for key, c in data["categories"].items()]
