"""Demo data loads once, and a second run keeps what exists."""

from __future__ import annotations

import pytest

from apps.audit.actors import Actor
from apps.customers.demo import demo_load
from apps.customers.selectors import CustomerFilters, customer_get_by_external_reference, customer_list, ownership_get

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


def test_demo_customers_load_once_with_a_two_level_ownership_chain(settings: object) -> None:
    actor = Actor.system("demo_setup")
    assert demo_load(actor=actor) == "5 demo customers created, 0 kept, 5 related parties added"
    assert demo_load(actor=actor) == "0 demo customers created, 5 kept, 0 related parties added"
    harbour = customer_get_by_external_reference(integration="demo", external_reference="DEMO-ENT-001")
    assert harbour is not None
    view = ownership_get(customer_id=harbour.customer_id)
    by_name = {view.nodes[n].name: share for n, share in view.result.effective.items()}
    assert by_name["Pieter de Vries"] == pytest.approx(52.5)
    assert by_name["Anouk Jansen"] == pytest.approx(17.5)
    assert sorted(view.nodes[n].name for n in view.result.beneficial_owners) == ["Amelia Hartley", "Pieter de Vries"]
    assert [c.legal_name for c in customer_list(filters=CustomerFilters(risk_rating="high")).results] == [
        "Sofia Rossi"]
