"""Stored customer values in words for pages: countries by name, codes as words, partial dates readable.

Pure functions, no I/O. Pages call these instead of printing what is stored (``['IR']``, ``1979-05``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from typing import Any

from apps.customers.countries import COUNTRIES
from apps.customers.validation import PARTIAL_DATE

TYPE_LABELS = {"individual": "Individual", "legal_entity": "Legal entity"}
PEP_LABELS = {"pep": "politically exposed person", "pep_family": "family member of a politically exposed person",
              "pep_associate": "close associate of a politically exposed person",
              "former_pep": "formerly a politically exposed person"}
ROLE_LABELS = {"beneficial_owner": "beneficial owner (declared)", "director": "director",
               "shareholder": "shareholder", "signatory": "signatory", "nominee": "nominee", "trustee": "trustee"}


def words(code: Any) -> str:
    """``private_banking`` -> ``private banking``; empty for nothing."""
    return str(code or "").replace("_", " ").strip()


def country_name(code: Any) -> str:
    """The English name of an ISO 3166-1 alpha-2 code (the code itself if it is not one)."""
    if not code:
        return ""
    return COUNTRIES.get(str(code).upper(), str(code))


def country_names(codes: Iterable[Any] | None) -> list[str]:
    return [country_name(code) for code in codes or [] if code]


def date_text(value: str | None) -> str:
    """``1979-05-12`` -> ``12 May 1979``, ``1990-11`` -> ``November 1990``, ``1983`` -> ``1983``."""
    match = PARTIAL_DATE.match(value or "")
    if not match:
        return value or ""
    year, month, day = match.groups()
    if month is None:
        return year
    month_name = calendar.month_name[int(month)] if 1 <= int(month) <= 12 else month
    if day is None:
        return f"{month_name} {year}"
    return f"{int(day)} {month_name} {year}"


def percent_text(value: float | None) -> str:
    """``52.5`` -> ``52.5%``, ``40.0`` -> ``40%``."""
    if value is None:
        return ""
    return f"{round(float(value), 2):g}%"


def address_text(address: dict[str, Any]) -> str:
    """One address on one line, its country by name."""
    parts = [address.get(key) for key in ("line1", "line2", "city", "postal_code", "region")]
    parts.append(country_name(address.get("country")))
    return ", ".join(str(part) for part in parts if part)
