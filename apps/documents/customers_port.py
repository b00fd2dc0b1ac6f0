"""The one place the documents app reads customers (``apps.customers.selectors``) and asks for their follow-up work.

It turns a customer into the few facts documents need (type, CDD level, jurisdiction, name)
and answers whether a related party belongs to a customer. A missing customer or party is the
customers app's own ``CustomerNotFound`` (404, "No customer ...; check the id.").
"""

from __future__ import annotations

from dataclasses import dataclass

from apps.core.dynamo_models import OutboxItem
from apps.core.errors import NotFound
from apps.customers import selectors as customer_selectors
from apps.customers.services import risk_request_new, trigger_case_request_new

# A customer the risk model has not rated yet is held to the standard level's requirements.
DEFAULT_CDD_LEVEL = "standard"


@dataclass(frozen=True)
class CustomerSummary:
    customer_id: str
    customer_type: str  # individual | legal_entity
    cdd_level: str  # simplified | standard | enhanced
    jurisdiction: str | None  # ISO 3166-1 alpha-2: residence of a person, registration of an entity
    name: str


def customer_get_summary(*, customer_id: str) -> CustomerSummary:
    """The facts documents need about a customer; ``NotFound`` (404) if there is no such customer."""
    customer = customer_selectors.customer_get(customer_id=customer_id)
    entity = customer.customer_type == "legal_entity"
    return CustomerSummary(
        customer_id=customer.customer_id,
        customer_type=customer.customer_type,
        cdd_level=customer.cdd_level or DEFAULT_CDD_LEVEL,
        jurisdiction=(customer.jurisdiction if entity else customer.country_of_residence) or None,
        name=customer.legal_name,
    )


def customer_exists(*, customer_id: str) -> bool:
    try:
        customer_selectors.customer_get(customer_id=customer_id)
    except NotFound:
        return False
    return True


def related_party_exists(*, customer_id: str, party_id: str) -> bool:
    try:
        customer_selectors.related_party_get(customer_id=customer_id, party_id=party_id)
    except NotFound:
        return False
    return True


def document_expired_followups(*, customer_id: str, document_id: str, document_type: str,
                               expiry_date: str) -> list[OutboxItem]:
    """What an expired document implies for its customer: a new risk assessment and a trigger review."""
    key = f"{document_id}_{expiry_date}"
    return [
        risk_request_new(customer_id=customer_id, trigger="document_expired", outbox_id=f"risk_docexp_{key}",
                         document_id=document_id),
        trigger_case_request_new(customer_id=customer_id, event="document.expired", outbox_id=f"trg_docexp_{key}",
                                 reason=f"The {document_type.replace('_', ' ')} ({document_id}) expired on "
                                        f"{expiry_date}: obtain a current one.", document_id=document_id),
    ]
