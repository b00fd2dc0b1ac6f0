"""Customers test data: small factories of valid payloads, and actors."""

from __future__ import annotations

from typing import Any

import pytest

from apps.audit.actors import Actor


def individual_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer_type": "individual",
        "legal_name": "Maria Garcia Lopez",
        "date_of_birth": "1984-03-17",
        "nationalities": ["ES"],
        "country_of_residence": "GB",
        "occupation": "Architect",
        "addresses": [{"type": "residential", "line1": "12 Hill Street", "city": "London", "postal_code": "W1J 5LD",
                       "country": "GB"}],
        "identity_documents": [{"type": "passport", "number": "PAB1234567", "issuing_country": "ES",
                                "expiry_date": "2031-05-01"}],
        "products": ["current_account"],
        "channels": ["online"],
    }
    data.update(overrides)
    return data


def entity_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "customer_type": "legal_entity",
        "legal_name": "Northwind Trading Ltd",
        "registration_number": "09876543",
        "jurisdiction": "GB",
        "legal_form": "private limited company",
        "industry_code": "46.90",
        "incorporation_date": "2011-06",
        "addresses": [{"type": "registered", "line1": "1 Dock Road", "city": "Bristol", "country": "GB"}],
    }
    data.update(overrides)
    return data


@pytest.fixture
def staff(analyst: Any) -> Actor:
    return Actor.from_user(analyst)


@pytest.fixture
def no_scans(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any DynamoDB Scan during the test fails it: request paths must use keys and indexes."""
    from pynamodb.connection.base import Connection

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a Scan was issued on a request path")

    monkeypatch.setattr(Connection, "scan", refuse)


@pytest.fixture
def atomic_moto_transactions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make in-process moto apply one TransactWriteItems at a time, as DynamoDB does.

    moto snapshots whole tables for rollback without a lock, so two threads committing at once can
    crash it (a 500 DynamoDB never gives). The race under test is unchanged: both writers still
    read the same version and submit; the second transaction to apply fails its condition.
    """
    import threading

    from moto.dynamodb.models import DynamoDBBackend

    lock = threading.Lock()
    real = DynamoDBBackend.transact_write_items

    def serialised(self: Any, *args: Any, **kwargs: Any) -> Any:
        with lock:
            return real(self, *args, **kwargs)

    monkeypatch.setattr(DynamoDBBackend, "transact_write_items", serialised)
