"""Screening a name against the lists, and comparing two names: the services behind the API."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from apps.core.errors import ValidationFailed
from apps.screening.batch import clean_country, clean_date_of_birth, clean_entity_type
from apps.screening.index_provider import screening_index_get
from apps.screening.matching import ALGORITHM_VERSION, Hit, Query, compare_names


@dataclass(frozen=True, slots=True)
class SearchResult:
    decision: str
    threshold: float
    algorithm: str
    list_source: str
    list_versions: dict[str, str]
    hits: list[Hit]


@dataclass(frozen=True, slots=True)
class CompareResult:
    score: float
    match: bool
    threshold: float
    algorithm: str
    explanation: dict[str, Any]


def _threshold(value: float | None) -> float:
    threshold = settings.CDD_SCREENING_THRESHOLD if value is None else value
    if not 0.0 <= threshold <= 1.0:
        raise ValidationFailed("Invalid threshold.", errors={"threshold": ["must be between 0 and 1"]})
    return threshold


def screening_search(
    *,
    name: str,
    entity_type: str | None = None,
    date_of_birth: str | None = None,
    country: str | None = None,
    threshold: float | None = None,
    limit: int = 10,
) -> SearchResult:
    """Screen one name against the lists of ``CDD_SCREENING_LIST_SOURCE``; hits best first."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, Any] = {}
    for field, value, cleaner in (
        ("entity_type", entity_type, clean_entity_type),
        ("date_of_birth", date_of_birth, clean_date_of_birth),
        ("country", country, clean_country),
    ):
        try:
            cleaned[field] = cleaner(value)
        except ValueError as exc:
            errors[field] = [str(exc)]
    if not name or not name.strip():
        errors["name"] = ["is required"]
    if errors:
        raise ValidationFailed("Invalid search.", errors=errors)
    threshold = _threshold(threshold)
    current = screening_index_get()
    query = Query(
        name=name.strip(),
        entity_type=cleaned["entity_type"],
        date_of_birth=cleaned["date_of_birth"],
        country=cleaned["country"],
    )
    result = current.index.screen(query, threshold=threshold, limit=limit)
    return SearchResult(
        decision=result.decision,
        threshold=threshold,
        algorithm=ALGORITHM_VERSION,
        list_source=current.source,
        list_versions=dict(current.versions),
        hits=result.hits,
    )


def screening_compare(
    *, name1: str, name2: str, schema: str = "LegalEntity", threshold: float | None = None
) -> CompareResult:
    """Similarity of two names with its explanation (no list involved)."""
    threshold = _threshold(threshold)
    score, explanation = compare_names(name1, name2, schema=schema)
    return CompareResult(
        score=score,
        match=score >= threshold,
        threshold=threshold,
        algorithm=ALGORITHM_VERSION,
        explanation=explanation,
    )
