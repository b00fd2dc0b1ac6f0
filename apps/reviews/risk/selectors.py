"""Reads of the risk model that pages and the API share (GetItem and Query only)."""

from __future__ import annotations

from typing import Any

from apps.core.dynamo_models import OutboxItem
from apps.core.errors import NotFound
from apps.core.outbox import outbox_for_group
from apps.customers.display import country_name
from apps.customers.selectors import customer_get
from apps.customers.validation import value_text
from apps.reviews.dynamo_models import RiskOverride
from apps.reviews.risk import services

FACTOR_LABELS = {"customer_type": "Customer type", "legal_form": "Legal form", "countries": "Countries",
                 "occupation": "Occupation", "industry": "Industry", "products": "Products", "channels": "Channels",
                 "pep": "Politically exposed", "screening": "Screening", "ownership": "Ownership",
                 "relationship": "Relationship", "documents": "Documents"}


def risk_view(customer_id: str) -> dict[str, Any]:
    """The API's (and the pages') picture of a customer's risk; NotFound while it has not been assessed."""
    customer_get(customer_id=customer_id)
    current = services.risk_assessment_current(customer_id=customer_id)
    if current is None:
        raise NotFound(f"Customer {customer_id} has not been risk-assessed yet: the risk model rates it once its "
                       "screening completes.", code="not_assessed")
    result = dict(current.result or {})
    history = [{"assessment_id": a.assessment_id, "rating": a.rating, "score": float(a.score),
                "model_version": int(a.model_version), "trigger": a.trigger,
                "assessed_at": a.created_at.isoformat()}
               for a in services.risk_assessments_of(customer_id=customer_id, limit=11)[1:]]
    overrides = [o.as_dict() for o in RiskOverride.query(customer_id, scan_index_forward=False)
                 if o.status in ("proposed", "active")]
    factors = [{**f, "label": FACTOR_LABELS.get(f["factor"], f["factor"]),
                "value_text": value_text(_in_words(f["factor"], f["value"]))}
               for f in result.get("factors", [])]
    return {
        "customer_id": customer_id, "assessment_id": current.current_id, "rating": current.rating,
        "cdd_level": current.cdd_level, "next_review_date": current.next_review_date,
        "model_version": int(current.model_version), "score": float(current.score),
        "score_rating": result.get("score_rating"), "model_rating": current.model_rating,
        "factors": factors, "overrides": result.get("overrides", []),
        "trigger_text": current.trigger.replace("_", " "),
        "manual_override": current.manual_override, "trigger": current.trigger,
        "assessed_at": current.created_at.isoformat(), "history": history,
        "overrides_proposed_or_active": overrides,
    }


def risk_rerate_progress(*, version: int) -> dict[str, Any] | None:
    """How far a publication's re-rating of the book is (its shard jobs in the outbox); None before one."""
    jobs: list[OutboxItem] = outbox_for_group(group_key=f"risk_model#{version}", topic_prefix=services.RERATE_TOPIC,
                                              pending_only=False)
    if not jobs:
        return None
    done = [j for j in jobs if j.status == "done"]
    return {"shards": len(jobs), "done": len(done),
            "customers": sum(int((j.result or {}).get("customers", 0)) for j in done),
            "requested": sum(int((j.result or {}).get("requested", 0)) for j in done),
            "failing": [j for j in jobs if j.status != "done" and j.attempts]}


def _in_words(factor: str, value: Any) -> Any:
    """A factor's input for a page: the countries factor's codes by name (residence: Iran; ...)."""
    if factor == "countries" and isinstance(value, dict):
        return {role: [country_name(code) for code in codes] if isinstance(codes, list) else country_name(codes)
                for role, codes in value.items()}
    return value
