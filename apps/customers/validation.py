"""Field rules of customers and related parties: pure functions that return problems, no I/O.

Each check returns a message (the problem, in words a client can act on) or ``None``; the
serializers in ``apis.py`` and the services both call them, so a rule lives in one place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from anyascii import anyascii

from apps.customers.countries import COUNTRIES

INDIVIDUAL = "individual"
LEGAL_ENTITY = "legal_entity"
CUSTOMER_TYPES = (INDIVIDUAL, LEGAL_ENTITY)

STATUSES = ("prospect", "onboarding", "active", "suspended", "dormant", "rejected", "exited")
# Which status may follow which: exited and rejected are final; suspension and dormancy are reversible
# (a customer made active again gets a trigger review: reviews app).
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    "prospect": frozenset({"onboarding", "active", "rejected", "exited"}),
    "onboarding": frozenset({"active", "rejected", "exited"}),
    "active": frozenset({"suspended", "dormant", "exited"}),
    "suspended": frozenset({"active", "exited"}),
    "dormant": frozenset({"active", "suspended", "exited"}),
    "rejected": frozenset(),
    "exited": frozenset(),
}
# Statuses only a reviewer's decision on the onboarding case sets (never a PATCH, by anyone):
# approving makes the customer active, rejecting makes it rejected (declined at onboarding,
# kept apart from exited, which ends a relationship that existed).
DECIDED_STATUSES = frozenset({"active", "rejected"})
INITIAL_STATUSES = ("prospect", "onboarding")
# A customer that was approved once and paused may be made active again by a change (and gets a trigger review).
REACTIVATED_FROM = frozenset({"suspended", "dormant"})
PEP_STATUSES = ("pep", "pep_family", "pep_associate", "former_pep")
RISK_RATINGS = ("low", "medium", "high", "prohibited")
CDD_LEVELS = ("simplified", "standard", "enhanced")

# nominee and trustee: the party holds for someone else (ownership_summary reports the arrangement).
PARTY_ROLES = ("beneficial_owner", "director", "shareholder", "signatory", "nominee", "trustee")

# Fields that only make sense for one customer type; sending them for the other is an error.
INDIVIDUAL_FIELDS = frozenset({"date_of_birth", "nationalities", "country_of_residence", "occupation", "pep_status"})
ENTITY_FIELDS = frozenset(
    {"registration_number", "jurisdiction", "lei", "legal_form", "industry_code", "incorporation_date"}
)
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    INDIVIDUAL: ("legal_name", "date_of_birth", "nationalities", "country_of_residence"),
    LEGAL_ENTITY: ("legal_name", "registration_number", "jurisdiction"),
}
TYPE_LABEL = {INDIVIDUAL: "an individual", LEGAL_ENTITY: "a legal entity"}

PARTIAL_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
PARTIAL_DATE_PATTERN = PARTIAL_DATE.pattern
ISO_DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
LEI = re.compile(r"^[0-9A-Z]{18}[0-9]{2}$")
PERCENT_TOLERANCE = 1e-6


def country_problem(value: str) -> str | None:
    if value not in COUNTRIES:
        return f"'{value}' is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. GB, DE, US)."
    return None


def partial_date_problem(value: str, *, today: date | None = None, allow_partial: bool = True) -> str | None:
    """A date as YYYY-MM-DD, or (when partial dates are allowed) YYYY-MM or YYYY; never in the future."""
    today = today or datetime.now(tz=UTC).date()
    match = PARTIAL_DATE.match(value or "")
    if not match or (not allow_partial and match.group(3) is None):
        shape = "YYYY-MM-DD, YYYY-MM or YYYY" if allow_partial else "YYYY-MM-DD"
        return f"'{value}' is not a date in the form {shape}."
    year, month, day = (int(part) if part else None for part in match.groups())
    assert year is not None
    if year < 1800:
        return f"'{value}' is before 1800; check the year."
    try:
        first = date(year, month or 1, day or 1)
    except ValueError:
        return f"'{value}' is not a real calendar date."
    if first > today:
        return f"'{value}' is in the future."
    return None


def future_date_problem(value: date, *, today: date | None = None) -> str | None:
    today = today or datetime.now(tz=UTC).date()
    if value < today:
        return f"'{value.isoformat()}' is in the past; a review date is today or later."
    return None


def lei_problem(value: str) -> str | None:
    """ISO 17442: 18 characters, then two check digits (ISO 7064 MOD 97-10)."""
    if not LEI.match(value):
        return "An LEI is 20 characters: 18 capital letters or digits, then 2 check digits."
    digits = "".join(str(int(ch, 36)) for ch in value)
    if int(digits) % 97 != 1:
        return f"'{value}' fails the LEI check digits; check for a typing error."
    return None


def percentage_problem(value: float) -> str | None:
    if not 0 <= value <= 100:
        return f"{value} is not a percentage between 0 and 100."
    return None


def type_problems(*, customer_type: str, values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Fields required for, or not allowed on, this customer type (``values`` is the full record)."""
    errors: dict[str, list[str]] = {}
    label = TYPE_LABEL[customer_type]
    for name in REQUIRED_FIELDS[customer_type]:
        if values.get(name) in (None, "", []):
            errors[name] = [f"This field is required for {label}."]
    foreign = ENTITY_FIELDS if customer_type == INDIVIDUAL else INDIVIDUAL_FIELDS
    for name in sorted(foreign):
        if values.get(name) not in (None, "", []):
            errors[name] = [f"This field does not apply to {label}."]
    return errors


def status_transition_problem(current: str, new: str) -> str | None:
    if new == current or new in STATUS_TRANSITIONS[current]:
        return None
    allowed = ", ".join(sorted(STATUS_TRANSITIONS[current])) or "none: it is final"
    return f"A customer cannot move from '{current}' to '{new}' (allowed from '{current}': {allowed})."


def ownership_sum_problem(percentages: Iterable[float | None]) -> str | None:
    total = sum(p for p in percentages if p is not None)
    if total > 100 + PERCENT_TOLERANCE:
        return f"The holders of one entity would own {total:g}% in total; the sum cannot exceed 100%."
    return None


def name_normalise(name: str) -> str:
    """Lower-case ASCII words separated by one space: what name prefix search compares."""
    text = unicodedata.normalize("NFKC", name or "")
    text = anyascii(text).lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    return " ".join(text.split())


NAME_PREFIX_LENGTH = 2


def name_prefix_key(normalised: str) -> str:
    """The partition of the name index: the first two characters (padded), so a prefix of 2+ is one Query."""
    return (normalised[:NAME_PREFIX_LENGTH] or "_").ljust(NAME_PREFIX_LENGTH, "_")


def value_text(value: Any) -> str | None:
    """A stored value in words for a page (lists joined, flags as yes/no), never a Python repr."""
    if value is None or value == [] or value == {}:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | tuple):
        return ", ".join(str(value_text(v)) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{str(k).replace('_', ' ')}: {value_text(v)}" for k, v in value.items()
                         if value_text(v) is not None)
    return str(value)
