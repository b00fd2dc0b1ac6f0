"""Demo customers for the local stack (``manage.py demo_setup``): quick, and safe to run again.

Each demo customer has a fixed external reference in the ``demo`` integration; a customer that
exists is kept as it is. Nobody's risk is set here: the workers screen each customer and the risk
model rates it (an Iran resident high, a PEP's relative at least high, a plain customer low).
The legal entities:

    Harbour Logistics Ltd  <- 70% Meridian Holdings BV <- 75% Pieter de Vries (52.5% effective)
                                                       <- 25% Anouk Jansen    (17.5% effective)
                           <- 30% Amelia Hartley (direct)
    Blue Fjord Shipping AS <- 20% Ingrid Solberg (direct) and 40% of Fjord Invest AS: 20 + 40 x 60 = 44%
                           <- 60% Fjord Invest AS <- 60% Lars Haugen (36% effective)
    Cobalt Crest Holdings Ltd <- 60% Elena Petrova
                              <- 40% Aurora Nominees Ltd (a customer too) <- 100% Cobalt Crest Holdings Ltd:
                                 circular, and 40% of Cobalt Crest is not traced to a person
"""

from __future__ import annotations

from typing import Any

from apps.audit.actors import Actor
from apps.customers.selectors import customer_get_by_external_reference, related_party_list
from apps.customers.services import customer_create, related_party_add

INTEGRATION = "demo"


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
        "pep_status": "pep_family",
    },
    {
        "external_reference": "DEMO-ENT-001", "customer_type": "legal_entity", "legal_name": "Harbour Logistics Ltd",
        "registration_number": "08123456", "jurisdiction": "GB", "lei": "529900HARBOURLOG0183",
        "legal_form": "private limited company", "industry_code": "52.29", "incorporation_date": "2012-04",
        "status": "onboarding", "products": ["business_account", "trade_finance"], "channels": ["online"],
        "addresses": [{"type": "registered", "line1": "Unit 7, Port Road", "city": "Southampton",
                       "postal_code": "SO14 3GG", "country": "GB"}],
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
        "_parties": [
            {"key": "fjord", "party_type": "legal_entity", "name": "Fjord Invest AS", "roles": ["shareholder"],
             "ownership_percentage": 60, "jurisdiction": "NO", "registration_number": "912345678"},
            {"party_type": "individual", "name": "Ingrid Solberg", "roles": ["shareholder"],
             "date_of_birth": "1969-06-14", "nationalities": ["NO"], "country_of_residence": "NO",
             "_holdings": [(None, 20), ("fjord", 40)]},
            {"parent": "fjord", "party_type": "individual", "name": "Lars Haugen", "roles": ["shareholder"],
             "ownership_percentage": 60, "date_of_birth": "1958-02-01", "nationalities": ["NO"]},
        ],
    },
    {
        "external_reference": "DEMO-IND-004", "customer_type": "individual", "legal_name": "Dariush Karimi",
        "date_of_birth": "1986-09-23", "nationalities": ["IR"], "country_of_residence": "IR",
        "occupation": "Import-export trader", "status": "onboarding", "products": ["current_account"],
        "channels": ["online"],
    },
    {
        "external_reference": "DEMO-ENT-004", "customer_type": "legal_entity", "legal_name": "Aurora Nominees Ltd",
        "registration_number": "HE 402211", "jurisdiction": "CY", "legal_form": "nominee company",
        "status": "prospect", "products": ["business_account"], "channels": ["introducer"],
    },
    {
        "external_reference": "DEMO-ENT-003", "customer_type": "legal_entity",
        "legal_name": "Cobalt Crest Holdings Ltd", "registration_number": "HE 398877", "jurisdiction": "CY",
        "legal_form": "private limited company", "industry_code": "64.20", "status": "onboarding",
        "products": ["business_account"], "channels": ["introducer"],
        "_parties": [
            {"party_type": "individual", "name": "Elena Petrova", "roles": ["shareholder", "beneficial_owner"],
             "ownership_percentage": 60, "date_of_birth": "1977-12-05", "nationalities": ["CY"],
             "country_of_residence": "CY"},
            {"party_type": "legal_entity", "name": "Aurora Nominees Ltd", "roles": ["shareholder"],
             "ownership_percentage": 40, "jurisdiction": "CY", "registration_number": "HE 402211",
             "_linked": "DEMO-ENT-004"},
        ],
    },
]
# Parties added after every customer exists (they link back to one created later in the list).
LATE_PARTIES: dict[str, list[dict[str, Any]]] = {
    "DEMO-ENT-004": [
        {"party_type": "legal_entity", "name": "Cobalt Crest Holdings Ltd", "roles": ["shareholder"],
         "ownership_percentage": 100, "jurisdiction": "CY", "registration_number": "HE 398877",
         "_linked": "DEMO-ENT-003"},
    ],
}


def _customer_of(reference: str) -> Any:
    return customer_get_by_external_reference(integration=INTEGRATION, external_reference=reference)


def _parties_add(*, customer_id: str, specs: list[dict[str, Any]], actor: Actor) -> int:
    ids: dict[str, str] = {}
    for party_spec in specs:
        party_data = {k: v for k, v in party_spec.items() if not k.startswith("_") and k not in ("key", "parent")}
        if "parent" in party_spec:
            party_data["parent_party_id"] = ids[party_spec["parent"]]
        if "_holdings" in party_spec:
            party_data["holdings"] = [{"parent_party_id": ids[p] if p else None, "percentage": pct}
                                      for p, pct in party_spec["_holdings"]]
        if "_linked" in party_spec:
            party_data["linked_customer_id"] = _customer_of(party_spec["_linked"]).customer_id
        party = related_party_add(customer_id=customer_id, data=party_data, actor=actor)
        if "key" in party_spec:
            ids[party_spec["key"]] = party.party_id
    return len(specs)


def demo_load(*, actor: Actor) -> str:
    """Create the demo customers that are missing; returns what it did in one line."""
    created = kept = parties = 0
    for spec in DEMO_CUSTOMERS:
        data = {key: value for key, value in spec.items() if not key.startswith("_")}
        customer = _customer_of(data["external_reference"])
        if customer is None:
            customer = customer_create(actor=actor, data=data, integration=INTEGRATION)
            created += 1
        else:
            kept += 1
        if spec.get("_parties") and not related_party_list(customer_id=customer.customer_id, consistent=True):
            parties += _parties_add(customer_id=customer.customer_id, specs=spec["_parties"], actor=actor)
    for reference, specs in LATE_PARTIES.items():
        customer = _customer_of(reference)
        if not related_party_list(customer_id=customer.customer_id, consistent=True):
            parties += _parties_add(customer_id=customer.customer_id, specs=specs, actor=actor)
    return f"{created} demo customers created, {kept} kept, {parties} related parties added"
