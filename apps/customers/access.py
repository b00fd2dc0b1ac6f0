"""Which integration a customer belongs to, for the API's integration isolation (apps.core.integrations).

Views of every app whose objects belong to a customer mix in ``CustomerOwned``; views whose object is
reached by another id (an alert, a case) override ``integration_customer_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NoReturn

from apps.customers.errors import CustomerNotFound
from apps.customers.selectors import customer_get, customers_get


def customer_integration(*, customer_id: str) -> str:
    """The integration that created the customer (``CustomerNotFound`` when there is none)."""
    return str(customer_get(customer_id=customer_id).integration or "")


def customer_ids_of_integration(*, customer_ids: Iterable[str], integration: str) -> set[str]:
    """Those of ``customer_ids`` that belong to ``integration`` (one BatchGetItem)."""
    return {cid for cid, customer in customers_get(customer_ids=list(customer_ids)).items()
            if customer.integration == integration}


class CustomerOwned:
    """For API views whose object belongs to one customer: confined keys reach only their own."""

    integration_scope = "customer"

    def integration_customer_id(self, request: Any, kwargs: Mapping[str, Any]) -> str:
        return str(kwargs["customer_id"])

    def integration_owner(self, request: Any, kwargs: Mapping[str, Any]) -> str:
        return customer_integration(customer_id=self.integration_customer_id(request, kwargs))

    def integration_not_found(self, request: Any, kwargs: Mapping[str, Any]) -> NoReturn:
        customer_id = self.integration_customer_id(request, kwargs)
        if "customer_id" in kwargs:
            raise CustomerNotFound(f"No customer {customer_id}; check the id.")
        raise self.integration_object_not_found(kwargs)

    def integration_object_not_found(self, kwargs: Mapping[str, Any]) -> Exception:
        """The 404 of the object the path names (an alert, a case) when a confined key may not see it."""
        raise NotImplementedError
