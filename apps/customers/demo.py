"""Demo customers for the local stack (``manage.py demo_setup``): quick, and safe to run again.

Each demo customer has a fixed external reference in the ``demo`` integration; a customer that
exists is kept as it is. The legal entity has a two-level ownership chain:

    Harbour Logistics Ltd  <- 70% Meridian Holdings BV <- 75% Pieter de Vries (52.5% effective)
                                                       <- 25% Anouk Jansen    (17.5% effective)
                           <- 30% Amelia Hartley (direct)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from apps.audit.actors import Actor
from apps.customers.selectors import customer_get_by_external_reference, related_party_list
from apps.customers.services import customer_create, customer_risk_set, related_party_add

INTEGRATION = "demo"


def _today_plus(days: int) -> Any:
    return (datetime.now(tz=UTC) + timedelta(days=days)).date()


DEMO_CUSTOMERS: list[dict[str, Any]] = [
    {
        "external_reference": "DEMO-IND-001", "customer_type": "individual", "legal_name": "Amelia Hartley",
        "date_of_birth": "1979-05-12", "nationalities": ["GB"], "country_of_residence": "GB",
        "occupation": "Solicitor", "status": "onboarding", "products": ["current_account", "savings"],
        "channels": ["branch"],
        "addresses": [{"type": "residential", "line1": "4 Canal Walk", "city": "Manchester", "postal_code": "M1 2AB",
                       "country": "GB"}],
        "identity_documents": [{"type": "passport", "number": "533410987", "issuing_country": "GB",
                                "expiry_date": "2030-09-30"}],
        "_risk": ("low", "simplified", 3 * 365),
    },
    {
        "external_reference": "DEMO-IND-002", "customer_type": "individual", "legal_name": "Jonas Weber",
        "date_of_birth": "1990-11", "nationalities": ["DE"], "country_of_residence": "DE",
        "occupation": "Software developer", "products": ["current_account"], "channels": ["online"],
    },
    {
        "external_reference": "DEMO-IND-003", "customer_type": "individual", "legal_name": "Sofia Rossi",
        "other_names": ["Sofia Rossi-Bianchi"], "date_of_birth": "1968-02-03", "nationalities": ["IT", "CH"],
        "country_of_residence": "FR", "occupation": "Company director", "status": "onboarding",
        "products": ["private_banking"], "channels": ["relationship_manager"],
        "_risk": ("high", "enhanced", 30),
    },
    {
        "external_reference": "DEMO-ENT-001", "customer_type": "legal_entity", "legal_name": "Harbour Logistics Ltd",
        "registration_number": "08123456", "jurisdiction": "GB", "lei": "529900HARBOURLOG0183",
        "legal_form": "private limited company", "industry_code": "52.29", "incorporation_date": "2012-04",
        "status": "onboarding", "products": ["business_account", "trade_finance"], "channels": ["online"],
        "addresses": [{"type": "registered", "line1": "Unit 7, Port Road", "city": "Southampton",
                       "postal_code": "SO14 3GG", "country": "GB"}],
        "_risk": ("medium", "standard", 365),
        "_parties": [
            {"key": "meridian", "party_type": "legal_entity", "name": "Meridian Holdings BV", "roles": ["shareholder"],
             "ownership_percentage": 70, "jurisdiction": "NL", "registration_number": "34123456"},
            {"parent": "meridian", "party_type": "individual", "name": "Pieter de Vries",
             "roles": ["shareholder", "beneficial_owner"], "ownership_percentage": 75, "date_of_birth": "1971-08",
             "nationalities": ["NL"], "country_of_residence": "NL"},
            {"parent": "meridian", "party_type": "individual", "name": "Anouk Jansen", "roles": ["shareholder"],
             "ownership_percentage": 25, "date_of_birth": "1983", "nationalities": ["NL"]},
            {"party_type": "individual", "name": "Amelia Hartley", "roles": ["shareholder", "beneficial_owner"],
             "ownership_percentage": 30, "date_of_birth": "1979-05-12", "nationalities": ["GB"],
             "country_of_residence": "GB"},
            {"party_type": "individual", "name": "Tom Evans", "roles": ["director", "signatory"],
             "date_of_birth": "1975-01-20", "nationalities": ["GB"], "country_of_residence": "GB"},
        ],
    },
    {
        "external_reference": "DEMO-ENT-002", "customer_type": "legal_entity", "legal_name": "Blue Fjord Shipping AS",
        "registration_number": "987654321", "jurisdiction": "NO", "legal_form": "aksjeselskap",
        "industry_code": "50.20", "incorporation_date": "2004-10-01", "products": ["business_account"],
        "channels": ["relationship_manager"],
    },
]


def demo_load(*, actor: Actor) -> str:
    """Create the demo customers that are missing; returns what it did in one line."""
    created = kept = parties = 0
    for spec in DEMO_CUSTOMERS:
        data = {key: value for key, value in spec.items() if not key.startswith("_")}
        customer = customer_get_by_external_reference(integration=INTEGRATION,
                                                      external_reference=data["external_reference"])
        if customer is None:
            customer = customer_create(actor=actor, data=data, integration=INTEGRATION)
            created += 1
            if "_risk" in spec:
                rating, level, review_in = spec["_risk"]
                customer_risk_set(customer_id=customer.customer_id, risk_rating=rating, cdd_level=level,
                                  next_review_date=_today_plus(review_in), actor=actor, reason="demo data")
        else:
            kept += 1
        if spec.get("_parties") and not related_party_list(customer_id=customer.customer_id, consistent=True):
            ids: dict[str, str] = {}
            for party_spec in spec["_parties"]:
                party_data = {k: v for k, v in party_spec.items() if k not in ("key", "parent")}
                if "parent" in party_spec:
                    party_data["parent_party_id"] = ids[party_spec["parent"]]
                party = related_party_add(customer_id=customer.customer_id, data=party_data, actor=actor)
                if "key" in party_spec:
                    ids[party_spec["key"]] = party.party_id
                parties += 1
    return f"{created} demo customers created, {kept} kept, {parties} related parties added"
