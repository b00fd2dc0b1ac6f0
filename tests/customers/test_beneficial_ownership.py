"""Beneficial ownership that adds up: one owner per person, several holdings per party, what is unidentified."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from apps.customers.selectors import ownership_summary
from tests.customers.conftest import entity_data
from tests.customers.test_related_parties import URL, customer, party

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_scans")]


@pytest.fixture(autouse=True)
def _thresholds(settings: Any) -> None:
    settings.CDD_UBO_THRESHOLD = 25.0
    settings.CDD_UBO_UNIDENTIFIED_MAX = 25.0


def individual(name: str, **extra: Any) -> dict[str, Any]:
    return {"party_type": "individual", "name": name, "roles": ["shareholder"], "date_of_birth": "1975-02-11",
            "nationalities": ["GB"], **extra}


def holdco(api: APIClient, company: str, pct: float = 60, name: str = "Holdco SA") -> dict[str, Any]:
    return party(api, company, party_type="legal_entity", name=name, roles=["shareholder"],
                 holdings=[{"parent_party_id": None, "percentage": pct}], jurisdiction="LU")


def ownership(api: APIClient, company: str) -> dict[str, Any]:
    response = api.get(f"{URL}/{company}/ownership")
    assert response.status_code == 200, response.json()
    return dict(response.json())


def test_one_party_holding_20_percent_directly_and_40_percent_of_a_60_percent_holder_owns_44_percent(
    api: APIClient,
) -> None:
    company = customer(api, entity_data())
    hold = holdco(api, company)
    ann = party(api, company, **individual("Ann Owner", holdings=[
        {"parent_party_id": None, "percentage": 20}, {"parent_party_id": hold["party_id"], "percentage": 40}]))
    assert ann["holdings"] == [{"parent_party_id": None, "percentage": 20.0},
                               {"parent_party_id": hold["party_id"], "percentage": 40.0}]
    # older clients read the first holding in the fields they know
    assert (ann["ownership_percentage"], ann["parent_party_id"]) == (20.0, None)

    tree = ownership(api, company)
    [owner] = [o for o in tree["owners"] if o["kind"] == "individual"]
    assert (owner["name"], owner["effective_percentage"], owner["beneficial_owner"]) == ("Ann Owner", 44.0, True)
    assert owner["merged_party_ids"] == []
    assert sorted(([p["name"] for p in path["parties"]], path["product"]) for path in owner["paths"]) == [
        (["Ann Owner"], 20.0), (["Ann Owner", "Holdco SA"], 24.0)]
    assert tree["beneficial_owners"] == [ann["party_id"]]
    assert tree["algorithm"] == "ownership-2"


def test_the_same_person_recorded_twice_is_one_owner_with_the_sum_of_both_records(api: APIClient) -> None:
    company = customer(api, entity_data())
    hold = holdco(api, company)
    direct = party(api, company, **individual("Ann Owner", ownership_percentage=20))
    # the second record spells the name differently; normalised, it is the same name and birth date
    through = party(api, company, **individual("ANN  OWNER", ownership_percentage=40,
                                               parent_party_id=hold["party_id"]))

    tree = ownership(api, company)
    [owner] = [o for o in tree["owners"] if o["kind"] == "individual"]
    assert owner["effective_percentage"] == 44.0
    assert owner["beneficial_owner"] is True
    assert owner["merged_party_ids"] == [direct["party_id"], through["party_id"]]
    assert tree["beneficial_owners"] == [direct["party_id"]]
    assert [n["name"] for n in tree["nodes"] if n["kind"] == "individual"] == ["Ann Owner"]


def test_people_with_one_name_but_no_full_date_of_birth_are_not_merged(api: APIClient) -> None:
    company = customer(api, entity_data())
    party(api, company, **individual("Ann Owner", ownership_percentage=20, date_of_birth="1975"))
    party(api, company, **individual("Ann Owner", ownership_percentage=20, date_of_birth="1975"))
    tree = ownership(api, company)
    assert [o["effective_percentage"] for o in tree["owners"]] == [20.0, 20.0]
    assert tree["beneficial_owners"] == []


def test_a_holding_that_would_push_an_entity_above_100_percent_is_refused_naming_the_holding(
    api: APIClient,
) -> None:
    company = customer(api, entity_data())
    hold = holdco(api, company)
    party(api, company, **individual("Bob Holder", holdings=[{"parent_party_id": hold["party_id"], "percentage": 70}]))
    response = api.post(f"{URL}/{company}/related-parties", individual("Ann Owner", holdings=[
        {"parent_party_id": None, "percentage": 20}, {"parent_party_id": hold["party_id"], "percentage": 40}]),
        format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["holdings.1.percentage"]
    assert "110% in total" in errors["holdings.1.percentage"][0]


def test_holdings_and_the_older_fields_together_are_refused_naming_the_field(api: APIClient) -> None:
    company = customer(api, entity_data())
    response = api.post(f"{URL}/{company}/related-parties", individual(
        "Ann Owner", ownership_percentage=20, holdings=[{"parent_party_id": None, "percentage": 20}]), format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["ownership_percentage"]


def test_a_shareholder_needs_a_holding_and_one_entity_is_held_once_per_party(api: APIClient) -> None:
    company = customer(api, entity_data())
    none = api.post(f"{URL}/{company}/related-parties", individual("Ann Owner", holdings=[]), format="json")
    assert none.status_code == 400
    assert "holdings" in none.json()["errors"]
    twice = api.post(f"{URL}/{company}/related-parties", individual("Ann Owner", holdings=[
        {"percentage": 10}, {"parent_party_id": None, "percentage": 5}]), format="json")
    assert twice.status_code == 400
    assert "holdings.1.parent_party_id" in twice.json()["errors"]


def test_a_holding_that_would_close_a_loop_through_a_second_holding_is_refused(api: APIClient) -> None:
    company = customer(api, entity_data())
    alpha = holdco(api, company, pct=30, name="Alpha SA")
    beta = party(api, company, party_type="legal_entity", name="Beta SA", roles=["shareholder"], holdings=[
        {"parent_party_id": None, "percentage": 10}, {"parent_party_id": alpha["party_id"], "percentage": 50}])
    url = f"{URL}/{company}/related-parties/{alpha['party_id']}"
    response = api.patch(url, {"holdings": [{"percentage": 30}, {"parent_party_id": beta["party_id"],
                                                                "percentage": 20}]},
                         format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert "loop" in response.json()["errors"]["holdings.1.parent_party_id"][0]


def test_a_party_held_through_a_second_holding_cannot_be_removed(api: APIClient) -> None:
    company = customer(api, entity_data())
    hold = holdco(api, company)
    ann = party(api, company, **individual("Ann Owner", holdings=[
        {"parent_party_id": None, "percentage": 20}, {"parent_party_id": hold["party_id"], "percentage": 40}]))
    blocked = api.delete(f"{URL}/{company}/related-parties/{hold['party_id']}", HTTP_IF_MATCH='"1"')
    assert blocked.status_code == 409
    assert ann["party_id"] in blocked.json()["message"]
    # once Ann holds the customer only, the holding company can go
    ann_url = f"{URL}/{company}/related-parties/{ann['party_id']}"
    moved = api.patch(ann_url, {"holdings": [{"percentage": 20}]}, format="json", HTTP_IF_MATCH='"1"')
    assert moved.status_code == 200, moved.json()
    assert api.delete(f"{URL}/{company}/related-parties/{hold['party_id']}", HTTP_IF_MATCH='"1"').status_code == 204


def test_an_older_client_changing_the_percentage_changes_the_first_holding_and_keeps_the_others(
    api: APIClient,
) -> None:
    company = customer(api, entity_data())
    hold = holdco(api, company)
    ann = party(api, company, **individual("Ann Owner", holdings=[
        {"parent_party_id": None, "percentage": 20}, {"parent_party_id": hold["party_id"], "percentage": 40}]))
    url = f"{URL}/{company}/related-parties/{ann['party_id']}"
    changed = api.patch(url, {"ownership_percentage": 25}, format="json", HTTP_IF_MATCH='"1"').json()
    assert changed["holdings"] == [{"parent_party_id": None, "percentage": 25.0},
                                   {"parent_party_id": hold["party_id"], "percentage": 40.0}]
    assert changed["ownership_percentage"] == 25.0


def test_an_entity_whose_holders_add_up_to_60_percent_has_40_percent_unidentified(api: APIClient) -> None:
    company = customer(api, entity_data())
    party(api, company, **individual("Ann Owner", ownership_percentage=35))
    party(api, company, **individual("Bob Holder", ownership_percentage=25, date_of_birth="1980-01-01"))
    tree = ownership(api, company)
    assert tree["unidentified_share"] == 40.0
    assert (tree["unidentified_limit"], tree["unidentified_above_limit"]) == (25.0, True)
    assert tree["layers"] == 1
    [root] = [n for n in tree["nodes"] if n["node_id"] == company]
    assert (root["recorded_share"], root["unidentified_share"]) == (60.0, 40.0)


def test_shares_held_by_an_entity_with_unknown_holders_are_unidentified(api: APIClient, settings: Any) -> None:
    settings.CDD_UBO_UNIDENTIFIED_MAX = 50.0
    company = customer(api, entity_data())
    hold = holdco(api, company, pct=70)
    party(api, company, **individual("Ann Owner", ownership_percentage=30))
    party(api, company, **individual("Bob Holder", date_of_birth="1980-01-01",
                                     holdings=[{"parent_party_id": hold["party_id"], "percentage": 50}]))
    tree = ownership(api, company)
    # Ann 30% + Bob 50% of 70% = 35%: 65% of the customer is not traced to anyone
    assert tree["unidentified_share"] == 35.0
    assert tree["unidentified_above_limit"] is False
    assert tree["layers"] == 2
    [hold_node] = [n for n in tree["nodes"] if n["node_id"] == hold["party_id"]]
    assert hold_node["unidentified_share"] == 50.0


def test_the_summary_for_the_risk_model_reports_layers_cycles_and_a_trustee(api: APIClient) -> None:
    parent = customer(api, entity_data(legal_name="Parent Holdings Ltd", registration_number="111"))
    child = customer(api, entity_data(legal_name="Child Operations Ltd", registration_number="222"))
    party(api, child, party_type="legal_entity", name="Parent Holdings Ltd", roles=["shareholder"],
          ownership_percentage=80, linked_customer_id=parent)
    party(api, parent, **individual("Grace Holder", ownership_percentage=50))
    party(api, parent, party_type="legal_entity", name="Child Operations Ltd", roles=["shareholder"],
          ownership_percentage=10, linked_customer_id=child)
    party(api, child, party_type="individual", name="Tom Keeper", roles=["trustee"])

    tree = ownership(api, child)
    [cycle] = tree["cycles"]
    assert set(cycle) == {child, parent}
    assert ownership_summary(customer_id=child) == {
        "layers": 2, "cycles": 1, "unidentified_share": 60.0, "nominee_or_trust": True,
        "beneficial_owners": 1, "parties": 3,  # the parent, Grace, Tom: the child itself is the root
    }


def test_a_holder_named_as_a_trust_is_a_nominee_or_trust_arrangement(api: APIClient) -> None:
    company = customer(api, entity_data())
    party(api, company, party_type="legal_entity", name="Family Trust of A. Owner", roles=["shareholder"],
          ownership_percentage=100)
    summary = ownership_summary(customer_id=company)
    assert summary["nominee_or_trust"] is True
    assert summary["unidentified_share"] == 100.0


def test_the_admin_profile_shows_each_owner_once_with_paths_and_the_unidentified_share(
    api: APIClient, analyst: Any,
) -> None:
    company = customer(api, entity_data())
    hold = holdco(api, company)
    party(api, company, **individual("Ann Owner", ownership_percentage=20))
    party(api, company, **individual("Ann Owner", ownership_percentage=40, parent_party_id=hold["party_id"]))
    browser = Client()
    browser.force_login(analyst)
    page = browser.get(f"/admin/domain/customers/{company}/").content.decode()
    assert "44.00" in page
    assert "Holdco SA (60%) → Northwind Trading Ltd = 24.00%" in page
    assert "2 records, merged" in page
    assert "56.00% (above the 25% limit)" in page
    assert hold["party_id"] not in page.split("Owners", 1)[1]


def test_a_party_stored_before_holdings_existed_reads_as_its_one_holding(api: APIClient) -> None:
    from apps.customers.models import RelatedParty

    company = customer(api, entity_data())
    hold = holdco(api, company)
    # as written by the previous version: the two fields, no holdings attribute
    RelatedParty(company, "rp_01OLDPARTY0000000000000000", party_type="individual", name="Old Record",
                 roles=["shareholder"], ownership_percentage=50, parent_party_id=hold["party_id"]).save()
    listed = {p["name"]: p for p in api.get(f"{URL}/{company}/related-parties").json()}
    assert listed["Old Record"]["holdings"] == [{"parent_party_id": hold["party_id"], "percentage": 50.0}]
    [owner] = [o for o in ownership(api, company)["owners"] if o["name"] == "Old Record"]
    assert owner["effective_percentage"] == 30.0
    blocked = api.delete(f"{URL}/{company}/related-parties/{hold['party_id']}", HTTP_IF_MATCH='"1"')
    assert blocked.status_code == 409
