"""Fixtures of the documents tests: customers created through the customers app's services."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.customers.services import customer_create, customer_risk_set

RISK_FOR_LEVEL = {"simplified": "low", "standard": "medium", "enhanced": "high"}


def customer_data(*, customer_type: str, jurisdiction: str, name: str) -> dict[str, Any]:
    if customer_type == "legal_entity":
        return {"customer_type": "legal_entity", "legal_name": name, "registration_number": "09876543",
                "jurisdiction": jurisdiction}
    return {"customer_type": "individual", "legal_name": name, "date_of_birth": "1984-03-17",
            "nationalities": [jurisdiction], "country_of_residence": jurisdiction}


def customer_make(*, customer_type: str = "individual", cdd_level: str = "standard", jurisdiction: str = "GB",
                  name: str = "Ada Lovelace") -> str:
    """A customer as the customers app records it, rated to ``cdd_level``; returns its id."""
    actor = Actor.system("tests")
    customer = customer_create(actor=actor, integration="tests",
                               data=customer_data(customer_type=customer_type, jurisdiction=jurisdiction, name=name))
    customer_risk_set(customer_id=customer.customer_id, risk_rating=RISK_FOR_LEVEL[cdd_level], cdd_level=cdd_level,
                      next_review_date=None, actor=actor, reason="test set-up")
    return str(customer.customer_id)


@pytest.fixture
def make_customer(aws: None) -> Callable[..., str]:
    """``make_customer(customer_type=..., cdd_level=..., jurisdiction=..., name=...)`` -> customer id."""
    return customer_make


@pytest.fixture
def customer_id(make_customer: Callable[..., str]) -> str:
    return make_customer()
