"""What the risk and review tests share: today's date, a plain customer, and the workers' part."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from apps.audit.actors import Actor
from apps.core.outbox import outbox_drain
from apps.customers.services import customer_create

PLAIN: dict[str, Any] = {
    "customer_type": "individual", "legal_name": "Harriet Quennell-Abernathy", "date_of_birth": "1980-04-02",
    "nationalities": ["GB"], "country_of_residence": "GB", "occupation": "Teacher", "status": "onboarding",
    "products": ["current_account"], "channels": ["branch"]}


def today() -> date:
    return datetime.now(tz=UTC).date()


def settle(customer_id: str) -> None:
    """What the workers do: screening, then the risk assessment its completion asks for (and what follows)."""
    for _ in range(6):
        if not outbox_drain(group_key=customer_id)["done"]:
            return


def created(data: dict[str, Any]) -> str:
    """A customer created by an integration, screened and rated."""
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data=data)
    settle(customer.customer_id)
    return customer.customer_id
