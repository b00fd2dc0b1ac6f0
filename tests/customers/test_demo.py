"""Demo data loads once, and a second run keeps what exists."""

from __future__ import annotations

import pytest

from apps.audit.actors import Actor
from apps.core.outbox import outbox_drain
from apps.customers.demo import demo_load
from apps.customers.selectors import CustomerFilters, customer_get_by_external_reference, customer_list, ownership_get

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


def test_demo_customers_load_once_with_a_two_level_ownership_chain(settings: object) -> None:
    actor = Actor.system("demo_setup")
    assert demo_load(actor=actor) == "8 demo customers created, 0 kept, 11 related parties added"
    assert demo_load(actor=actor) == "0 demo customers created, 8 kept, 0 related parties added"
    harbour = customer_get_by_external_reference(integration="demo", external_reference="DEMO-ENT-001")
    assert harbour is not None
    view = ownership_get(customer_id=harbour.customer_id)
    by_name = {view.nodes[n].name: share for n, share in view.result.effective.items()}
    assert by_name["Pieter de Vries"] == pytest.approx(52.5)
    assert by_name["Anouk Jansen"] == pytest.approx(17.5)
    assert sorted(view.nodes[n].name for n in view.result.beneficial_owners) == ["Amelia Hartley", "Pieter de Vries"]
    # Nobody is rated by hand: the workers screen the demo customers and the risk model rates them.
    for reference in ("DEMO-IND-001", "DEMO-IND-003", "DEMO-IND-004", "DEMO-ENT-002", "DEMO-ENT-003"):
        customer = customer_get_by_external_reference(integration="demo", external_reference=reference)
        assert customer is not None
        for _ in range(4):
            outbox_drain(group_key=customer.customer_id)
    assert sorted(c.legal_name for c in customer_list(filters=CustomerFilters(risk_rating="high")).results) == [
        "Cobalt Crest Holdings Ltd", "Dariush Karimi", "Sofia Rossi"]
    assert [c.legal_name for c in customer_list(filters=CustomerFilters(risk_rating="low")).results] == [
        "Amelia Hartley"]
    fjord = customer_get_by_external_reference(integration="demo", external_reference="DEMO-ENT-002")
    assert fjord is not None
    owners = {o.node.name: o for o in ownership_get(customer_id=fjord.customer_id).owners()}
    assert owners["Ingrid Solberg"].effective_percentage == pytest.approx(44.0)
    assert owners["Ingrid Solberg"].beneficial_owner
    cobalt = customer_get_by_external_reference(integration="demo", external_reference="DEMO-ENT-003")
    assert cobalt is not None
    result = ownership_get(customer_id=cobalt.customer_id).result
    assert result.cycles and result.unidentified_share == pytest.approx(40.0)
