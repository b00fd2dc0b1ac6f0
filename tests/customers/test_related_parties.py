"""Related parties of legal entities: add, change, remove, holder sums, and the ownership tree."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from tests.customers.conftest import entity_data, individual_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_scans")]
URL = "/api/v1/customers"


def customer(api: APIClient, data: dict[str, Any]) -> str:
    response = api.post(URL, data, format="json")
    assert response.status_code == 201, response.json()
    return str(response.json()["customer_id"])


def party(api: APIClient, customer_id: str, **data: Any) -> dict[str, Any]:
    response = api.post(f"{URL}/{customer_id}/related-parties", data, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def person(name: str, *roles: str, pct: float | None = None, **extra: Any) -> dict[str, Any]:
    return {"party_type": "individual", "name": name, "roles": list(roles) or ["shareholder"],
            "ownership_percentage": pct, "date_of_birth": "1970", "nationalities": ["GB"], **extra}


def test_parties_are_added_listed_and_recorded_in_the_customers_trail(api: APIClient) -> None:
    company = customer(api, entity_data())
    owner = party(api, company, **person("Alice Owner", "shareholder", "beneficial_owner", pct=60))
    party(api, company, party_type="individual", name="Dev Director", roles=["director"])
    listed = api.get(f"{URL}/{company}/related-parties").json()
    assert [p["name"] for p in listed] == ["Alice Owner", "Dev Director"]
    assert owner["version"] == 1
    events = list(AuditEvent.query(f"customer#{company}", AuditEvent.sk.startswith("E#")))
    assert [e.action for e in events] == ["customer.created", "related_party.added", "related_party.added"]
    assert events[1].data["party_id"] == owner["party_id"]


def test_holders_of_one_entity_cannot_exceed_100_percent(api: APIClient) -> None:
    company = customer(api, entity_data())
    party(api, company, **person("Alice", pct=60))
    response = api.post(f"{URL}/{company}/related-parties", person("Bob", pct=41), format="json")
    assert response.status_code == 400
    assert "101% in total" in response.json()["errors"]["ownership_percentage"][0]
    party(api, company, **person("Bob", pct=40))


def test_holders_of_a_shareholder_entity_are_summed_separately(api: APIClient) -> None:
    company = customer(api, entity_data())
    holdco = party(api, company, party_type="legal_entity", name="Holdco SA", roles=["shareholder"],
                   ownership_percentage=100, jurisdiction="LU")
    party(api, company, **person("Carol", pct=70, parent_party_id=holdco["party_id"]))
    response = api.post(f"{URL}/{company}/related-parties",
                        person("Dan", pct=31, parent_party_id=holdco["party_id"]), format="json")
    assert response.status_code == 400
    assert "ownership_percentage" in response.json()["errors"]


BAD_PARTIES = [
    (person("X", pct=101), "ownership_percentage"),
    (person("X", pct=-1), "ownership_percentage"),
    (person("X", "shareholder"), "ownership_percentage"),
    (person("X", "owner", pct=5), "roles.0"),
    (person("X", pct=5, parent_party_id="rp_missing"), "parent_party_id"),
    (person("X", pct=5, linked_customer_id="cus_x"), "linked_customer_id"),
    ({**person("X", pct=5), "passport": "123"}, "passport"),
    ({"party_type": "legal_entity", "name": "Y Ltd", "roles": ["shareholder"], "ownership_percentage": 5,
      "date_of_birth": "1990"}, "date_of_birth"),
    ({"party_type": "legal_entity", "name": "Y Ltd", "roles": ["shareholder"], "ownership_percentage": 5,
      "linked_customer_id": "cus_nobody"}, "linked_customer_id"),
]


def test_bad_parties_are_refused_naming_the_field(api: APIClient) -> None:
    company = customer(api, entity_data())
    for payload, field in BAD_PARTIES:
        response = api.post(f"{URL}/{company}/related-parties", payload, format="json")
        assert response.status_code == 400, (field, response.json())
        assert field in response.json()["errors"], (field, response.json())
    assert api.get(f"{URL}/{company}/related-parties").json() == []


def test_an_individual_customer_has_no_related_parties(api: APIClient) -> None:
    someone = customer(api, individual_data())
    response = api.post(f"{URL}/{someone}/related-parties", person("X", pct=5), format="json")
    assert response.status_code == 400
    assert "legal entities" in response.json()["message"]


def test_a_party_is_changed_with_if_match_and_a_stale_change_gets_412(api: APIClient) -> None:
    company = customer(api, entity_data())
    alice = party(api, company, **person("Alice", pct=30))
    url = f"{URL}/{company}/related-parties/{alice['party_id']}"
    assert api.patch(url, {"ownership_percentage": 40}, format="json").status_code == 428
    changed = api.patch(url, {"ownership_percentage": 40}, format="json", HTTP_IF_MATCH='"1"')
    assert changed.status_code == 200
    assert (changed.json()["ownership_percentage"], changed["ETag"]) == (40.0, '"2"')
    assert api.patch(url, {"ownership_percentage": 45}, format="json", HTTP_IF_MATCH='"1"').status_code == 412
    too_much = api.patch(url, {"ownership_percentage": 100.5}, format="json", HTTP_IF_MATCH='"2"')
    assert too_much.status_code == 400
    event = list(AuditEvent.query(f"customer#{company}", AuditEvent.sk.startswith("E#")))[-1]
    assert event.action == "related_party.updated"
    assert event.changes["ownership_percentage"] == {"before": 30, "after": 40}


def test_a_party_is_removed_with_if_match_but_not_while_it_has_holders(api: APIClient) -> None:
    company = customer(api, entity_data())
    holdco = party(api, company, party_type="legal_entity", name="Holdco SA", roles=["shareholder"],
                   ownership_percentage=100)
    carol = party(api, company, **person("Carol", pct=70, parent_party_id=holdco["party_id"]))
    holdco_url = f"{URL}/{company}/related-parties/{holdco['party_id']}"
    blocked = api.delete(holdco_url, HTTP_IF_MATCH='"1"')
    assert blocked.status_code == 409
    assert carol["party_id"] in blocked.json()["message"]
    carol_url = f"{URL}/{company}/related-parties/{carol['party_id']}"
    assert api.delete(carol_url).status_code == 428
    assert api.delete(carol_url, HTTP_IF_MATCH='"7"').status_code == 412
    assert api.delete(carol_url, HTTP_IF_MATCH='"1"').status_code == 204
    assert api.get(carol_url).status_code == 404
    assert api.delete(holdco_url, HTTP_IF_MATCH='"1"').status_code == 204
    actions = [e.action for e in AuditEvent.query(f"customer#{company}", AuditEvent.sk.startswith("E#"))]
    assert actions[-2:] == ["related_party.removed", "related_party.removed"]


def test_a_retried_party_add_with_the_same_idempotency_key_adds_it_once(api: APIClient) -> None:
    company = customer(api, entity_data())
    payload = person("Alice", pct=30)
    url = f"{URL}/{company}/related-parties"
    first = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    again = api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY="p-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert len(api.get(url).json()) == 1


def test_the_ownership_tree_finds_a_beneficial_owner_two_levels_up(api: APIClient, settings: Any) -> None:
    settings.CDD_UBO_THRESHOLD = 25.0
    company = customer(api, entity_data())
    holdco = party(api, company, party_type="legal_entity", name="Holdco SA", roles=["shareholder"],
                   ownership_percentage=50, jurisdiction="LU")
    carol = party(api, company, **person("Carol", pct=60, parent_party_id=holdco["party_id"]))
    dan = party(api, company, **person("Dan", pct=40, parent_party_id=holdco["party_id"]))
    erin = party(api, company, **person("Erin", "shareholder", "beneficial_owner", pct=20))
    tree = api.get(f"{URL}/{company}/ownership").json()
    effective = {n["name"]: n["effective_percentage"] for n in tree["nodes"]}
    assert effective["Carol"] == pytest.approx(30.0)
    assert effective["Dan"] == pytest.approx(20.0)
    assert effective["Holdco SA"] == pytest.approx(50.0)
    assert tree["beneficial_owners"] == [carol["party_id"]]
    assert tree["declared_beneficial_owners"] == [erin["party_id"]]
    assert dan["party_id"] not in tree["beneficial_owners"]
    assert tree["cycles"] == []
    [holdco_node, _erin] = tree["tree"]["children"]
    assert [c["node_id"] for c in holdco_node["children"]] == [carol["party_id"], dan["party_id"]]


def test_ownership_continues_through_a_shareholder_that_is_itself_a_customer_and_reports_a_cycle(
    api: APIClient,
) -> None:
    parent = customer(api, entity_data(legal_name="Parent Holdings Ltd", registration_number="111"))
    child = customer(api, entity_data(legal_name="Child Operations Ltd", registration_number="222"))
    party(api, child, party_type="legal_entity", name="Parent Holdings Ltd", roles=["shareholder"],
          ownership_percentage=80, linked_customer_id=parent)
    party(api, parent, **person("Grace", pct=50))
    # the child holds 10% of its own parent: circular ownership
    party(api, parent, party_type="legal_entity", name="Child Operations Ltd", roles=["shareholder"],
          ownership_percentage=10, linked_customer_id=child)
    tree = api.get(f"{URL}/{child}/ownership").json()
    grace = next(n for n in tree["nodes"] if n["name"] == "Grace")
    assert grace["effective_percentage"] == pytest.approx(40.0)
    assert grace["recorded_on"] == parent
    assert tree["beneficial_owners"] == [grace["node_id"]]
    [cycle] = tree["cycles"]
    assert set(cycle) == {child, parent}
    assert len(cycle) == 3 and cycle[0] == cycle[-1]
