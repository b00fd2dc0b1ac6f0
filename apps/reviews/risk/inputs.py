"""What the risk model reads about a customer, gathered from the apps that own it (explicit calls).

customers: the profile, related parties and the ownership summary; screening: open alerts and
confirmed matches (a confirmed match on a PEP list makes the customer a PEP); documents: expired
evidence. The result is plain JSON (``RiskInputs``), stored with the assessment so that it can be
replayed under any model version.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date

from django.conf import settings

from apps.customers.models import Customer
from apps.customers.selectors import ownership_summary, related_party_list
from apps.documents.models import EXPIRED
from apps.documents.selectors import document_list
from apps.reviews.risk.scoring import RiskInputs
from apps.screening.selectors.alerts import alert_states_open_count, alerts_of_customer

TRUE_MATCH = "true_match"


def _countries(*values: object) -> list[str]:
    out: list[str] = []
    for value in values:
        for code in (value if isinstance(value, list | tuple) else [value]):
            if code and str(code) not in out:
                out.append(str(code))
    return out


def risk_inputs_gather(*, customer: Customer, today: date) -> RiskInputs:
    """The facts the risk model scores, as the customer and its parties, alerts and documents stand now."""
    entity = customer.customer_type == "legal_entity"
    parties = related_party_list(customer_id=customer.customer_id) if entity else []
    address_countries = [a.get("country") for a in customer.addresses or [] if a.get("type") != "residential"]
    countries = {
        "residence": _countries(customer.country_of_residence),
        "nationality": _countries(list(customer.nationalities or [])),
        "incorporation": _countries(customer.jurisdiction) if entity else [],
        "operations": _countries(list(customer.operating_countries or []), address_countries),
        "related_party": _countries(*[[p.country_of_residence, p.jurisdiction, *(p.nationalities or [])]
                                      for p in parties]),
    }
    pep_lists = set(settings.CDD_RISK_PEP_LISTS)
    confirmed = alerts_of_customer(customer_id=customer.customer_id, status=TRUE_MATCH)
    pep_hits = [a for a in confirmed if a.alert.list_key in pep_lists]
    sanctions_hits = [a for a in confirmed if a.alert.list_key not in pep_lists]
    pep, pep_source = customer.pep_status, "declared" if customer.pep_status else None
    if pep_hits and not pep:
        pep, pep_source = "pep", f"confirmed match on {pep_hits[0].alert.list_key}"
    expired = list(document_list(customer_id=customer.customer_id, status=EXPIRED))
    created = customer.created_at.date() if customer.created_at else today
    return {
        "customer_type": customer.customer_type,
        "legal_form": customer.legal_form,
        "countries": {role: codes for role, codes in countries.items() if codes},
        "occupation": customer.occupation,
        "industry_code": customer.industry_code,
        "products": list(customer.products or []),
        "channels": list(customer.channels or []),
        "pep": pep,
        "pep_source": pep_source,
        "screening": {"open_alerts": alert_states_open_count(customer_id=customer.customer_id),
                      "confirmed_matches": len(sanctions_hits),
                      "confirmed_alerts": sorted(a.alert_id for a in sanctions_hits)},
        "ownership": ownership_summary(customer_id=customer.customer_id) if entity else None,
        "relationship_years": round(max(0, (today - created).days) / 365.25, 2),
        "documents": {"expired": len(expired)},
    }


def risk_inputs_fingerprint(inputs: RiskInputs) -> str:
    """Equal inputs, equal fingerprint: an assessment that would change nothing is not stored again.

    The relationship length counts in whole years here, so a customer is not re-assessed every day.
    """
    material = {**inputs, "relationship_years": int(float(inputs.get("relationship_years") or 0))}
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()[:32]
