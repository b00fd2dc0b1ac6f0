"""Find anyone: any word of any name, of the customer or its parties, a typo tolerated; by reference and by id.

Before: the only search was the start of the full legal name, so ``soleimani``, ``rossi`` and
``logistics`` found nothing in the demo data.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.audit.selectors import audit_timeline_list
from apps.core.integrations import ALL_INTEGRATIONS_SCOPE
from apps.core.outbox import outbox_drain
from apps.core.roles import INTEGRATION, SCOPES
from apps.core.services import api_key_create
from apps.customers import demo
from apps.customers.models import NameToken
from apps.customers.name_index import TX_BUDGET
from apps.customers.search import customer_search
from apps.customers.selectors import customer_get_by_external_reference, related_party_list
from apps.customers.services import customer_create, customer_update, related_party_remove, related_party_update
from tests.customers.conftest import entity_data, individual_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws", "no_scans")]
URL = "/api/v1/customers"
SYSTEM = Actor.system("tests")


def names(q: str, **kwargs: Any) -> list[str]:
    return [r.customer.legal_name for r in customer_search(q=q, **kwargs).results]


@pytest.fixture
def demo_book() -> None:
    demo.demo_load(actor=SYSTEM)


@pytest.fixture
def soleimani() -> Any:
    return customer_create(actor=SYSTEM, integration="portal", data=individual_data(
        legal_name="Qasem Soleimani", other_names=["Qassem Suleimani"], former_names=["Haj Qasem"],
        nationalities=["IR"], country_of_residence="IR", external_reference="PORTAL-IR-7"))


@pytest.fixture
def dynamo_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The DynamoDB operations issued, by name (every call goes through pynamodb's dispatch)."""
    from pynamodb.connection.base import Connection

    seen: list[str] = []
    real = Connection.dispatch

    def record(self: Any, operation_name: str, operation_kwargs: Any) -> Any:
        seen.append(operation_name)
        return real(self, operation_name, operation_kwargs)

    monkeypatch.setattr(Connection, "dispatch", record)
    return seen


def test_a_surname_alone_finds_the_person_and_says_which_name_matched(soleimani: Any) -> None:
    [result] = customer_search(q="soleimani").results
    assert result.customer.customer_id == soleimani.customer_id
    [hit] = result.hits
    assert (hit.field, hit.name, hit.typo) == ("legal_name", "Qasem Soleimani", False)
    assert hit.segments == [("Qasem ", False), ("Soleimani", True)]
    assert names("SULEIMANI") == ["Qasem Soleimani"]  # an other name, any case
    assert names("haj") == ["Qasem Soleimani"]  # a former name


def test_demo_data_is_found_by_surname_by_a_word_inside_a_company_name_and_by_a_party(demo_book: None) -> None:
    assert names("rossi") == ["Sofia Rossi"]
    assert names("bianchi") == ["Sofia Rossi"]  # a word of her other name "Sofia Rossi-Bianchi"
    assert names("logistics") == ["Harbour Logistics Ltd"]
    # A related party's name finds the legal entity it belongs to, and says which party matched.
    [result] = customer_search(q="de vries").results
    assert result.customer.legal_name == "Harbour Logistics Ltd"
    assert {(h.party_name, h.field) for h in result.hits} == {("Pieter de Vries", "party_name")}
    assert result.hits[0].party_id in {p.party_id for p in related_party_list(customer_id=result.customer.customer_id)}
    # Amelia Hartley is a customer and a party of Harbour Logistics: her own record first.
    assert names("amelia hartley") == ["Amelia Hartley", "Harbour Logistics Ltd"]


def test_accents_and_case_fold_both_ways() -> None:
    customer_create(actor=SYSTEM, integration="staff", data=individual_data(legal_name="José Müller-Lüdenscheidt"))
    customer_create(actor=SYSTEM, integration="staff", data=individual_data(legal_name="Zoe Lodge"))
    assert names("jose muller") == ["José Müller-Lüdenscheidt"]
    assert names("LÜDENSCHEIDT") == ["José Müller-Lüdenscheidt"]
    assert names("Zoë") == ["Zoe Lodge"]


def test_one_typo_per_word_is_tolerated_and_ranked_after_exact_words(soleimani: Any) -> None:
    customer_create(actor=SYSTEM, integration="staff", data=individual_data(legal_name="Qasem Solemani"))
    for typo in ("soleimanu", "soliemani", "soleiman", "solleimani"):  # substitution, swap, missing, extra letter
        assert "Qasem Soleimani" in names(typo), typo
    assert names("soleimani") == ["Qasem Soleimani", "Qasem Solemani"]  # exact first, then one typo
    [_, typo_hit] = customer_search(q="soleimani").results
    assert typo_hit.hits[0].typo and typo_hit.hits[0].word == "solemani"
    assert names("sxleimxni") == []  # two typos in one word are too many
    # Every word matched ranks before some words matched.
    customer_create(actor=SYSTEM, integration="staff", data=individual_data(legal_name="Qasem Hosseini"))
    assert names("qasem soleimani")[:2] == ["Qasem Soleimani", "Qasem Solemani"]
    assert names("qasem soleimani")[-1] == "Qasem Hosseini"


def test_an_external_reference_and_a_customer_id_find_the_customer(soleimani: Any) -> None:
    [by_reference] = customer_search(q="portal-ir-7").results
    assert (by_reference.customer.customer_id, by_reference.matched_by) == (soleimani.customer_id, "external_reference")
    [by_id] = customer_search(q=soleimani.customer_id.lower()).results
    assert (by_id.customer.customer_id, by_id.matched_by) == (soleimani.customer_id, "id")
    assert customer_search(q="cus_01NOSUCHCUSTOMER0000000000").results == []


def test_a_rename_drops_the_old_words_and_adds_the_new(soleimani: Any) -> None:
    customer_update(customer_id=soleimani.customer_id, expected_version=1, actor=SYSTEM,
                    changes={"legal_name": "Qasem Karimi", "other_names": [], "former_names": []})
    assert names("soleimani") == [] and names("suleimani") == []
    assert names("karimi") == ["Qasem Karimi"]
    stale = [i for i in NameToken.by_subject.query(f"{soleimani.customer_id}#customer")
             if i.token_key.startswith(("soleim", "suleim"))]
    assert stale == []


def test_a_party_renamed_or_removed_no_longer_finds_its_entity(demo_book: None) -> None:
    harbour = customer_get_by_external_reference(integration="demo", external_reference="DEMO-ENT-001")
    assert harbour is not None
    tom = next(p for p in related_party_list(customer_id=harbour.customer_id) if p.name == "Tom Evans")
    related_party_update(customer_id=harbour.customer_id, party_id=tom.party_id, expected_version=tom.version,
                         changes={"name": "Thomas Evans-Price"}, actor=SYSTEM)
    assert names("tom") == []
    assert names("price") == ["Harbour Logistics Ltd"]
    tom = next(p for p in related_party_list(customer_id=harbour.customer_id) if p.party_id == tom.party_id)
    related_party_remove(customer_id=harbour.customer_id, party_id=tom.party_id, expected_version=tom.version,
                         actor=SYSTEM)
    assert names("price") == []
    assert list(NameToken.by_subject.query(f"{harbour.customer_id}#{tom.party_id}")) == []


def test_a_rename_that_loses_a_race_is_still_a_412_although_index_deletes_lead_the_transaction(
        soleimani: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from apps.customers import services
    from apps.customers.errors import StaleVersion
    from apps.customers.models import Customer

    seen = Customer.get(soleimani.customer_id)  # read at version 1...
    customer_update(customer_id=soleimani.customer_id, expected_version=1, actor=SYSTEM,
                    changes={"occupation": "General"})  # ...another writer commits version 2
    monkeypatch.setattr(services, "customer_get", lambda **kwargs: seen)  # the rename goes on with what it read
    with pytest.raises(StaleVersion):
        customer_update(customer_id=soleimani.customer_id, expected_version=1, actor=SYSTEM,
                        changes={"legal_name": "Someone Else"})
    monkeypatch.undo()
    assert names("soleimani") == ["Qasem Soleimani"]  # the failed rename changed nothing in the index
    assert names("someone") == []


def test_names_too_many_for_one_transaction_are_indexed_through_the_outbox() -> None:
    many = [f"Alias{chr(97 + i)}{chr(97 + j)} Variant" for i in range(4) for j in range(4)]
    customer = customer_create(actor=SYSTEM, integration="staff", data=entity_data(
        legal_name="Kestrel Maritime Holdings", other_names=many))
    assert names("kestrel") == []  # too many keys for the transaction: a follow-up does it
    outbox_drain(group_key=customer.customer_id)
    assert names("kestrel") == ["Kestrel Maritime Holdings"]
    assert names("aliascd") == ["Kestrel Maritime Holdings"]
    held = list(NameToken.by_subject.query(f"{customer.customer_id}#customer"))
    assert len(held) > TX_BUDGET


def test_the_rebuild_command_fills_the_index_for_existing_data(soleimani: Any, monkeypatch: pytest.MonkeyPatch
                                                                ) -> None:
    from io import StringIO

    monkeypatch.undo()  # lifts no_scans: the offline rebuild Scans
    with NameToken.batch_write() as batch:
        for item in NameToken.by_subject.query(f"{soleimani.customer_id}#customer"):
            batch.delete(item)
    assert names("soleimani") == []
    out = StringIO()
    call_command("name_index_rebuild", "--every", "1", stdout=out)
    assert names("soleimani") == ["Qasem Soleimani"]
    assert "1 customers, 0 related parties" in out.getvalue()
    assert "Done: 1 customers" in out.getvalue()
    trail = audit_timeline_list(object_type="table", object_id="customer_name_tokens")
    assert [e.action for e in trail.events] == ["customers.name_index_rebuilt"]


def test_the_search_reads_only_keys_and_indexes(soleimani: Any, dynamo_calls: list[str]) -> None:
    dynamo_calls.clear()
    assert names("soliemani haj") == ["Qasem Soleimani"]
    assert names(soleimani.customer_id) == ["Qasem Soleimani"]
    assert set(dynamo_calls) <= {"Query", "GetItem", "BatchGetItem"}
    assert "Query" in dynamo_calls and "Scan" not in dynamo_calls


# --- the API --------------------------------------------------------------------------------


def _key_client(username: str, scopes: list[str]) -> APIClient:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username=username)
        user.groups.set(Group.objects.filter(name=INTEGRATION))
    _, key = api_key_create(name=f"{username} key", user=user, scopes=scopes, actor=SYSTEM)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {key}")
    return client


def test_the_api_searches_with_q_and_says_what_matched(soleimani: Any, client_for: Any, analyst: Any) -> None:
    response = client_for(analyst).get(URL, {"q": "Soleimani"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert [c["customer_id"] for c in body["results"]] == [soleimani.customer_id]
    assert body["matches"][0]["hits"][0] == {
        "query_word": "soleimani", "word": "soleimani", "field": "legal_name", "name": "Qasem Soleimani",
        "typo": False, "party_id": None, "party_name": None}
    assert body["next_cursor"] is None and body["truncated"] is False


def test_an_integration_key_sees_only_its_own_integrations_customers(soleimani: Any) -> None:
    own = [s for s in SCOPES if s != ALL_INTEGRATIONS_SCOPE]
    customer_create(actor=SYSTEM, integration="broker", data=individual_data(
        legal_name="Maryam Soleimani", external_reference="BROKER-1"))
    portal, broker = _key_client("portal", own), _key_client("broker", own)
    assert [c["legal_name"] for c in portal.get(URL, {"q": "soleimani"}).json()["results"]] == ["Qasem Soleimani"]
    assert [c["legal_name"] for c in broker.get(URL, {"q": "soleimani"}).json()["results"]] == ["Maryam Soleimani"]
    assert broker.get(URL, {"q": "PORTAL-IR-7"}).json()["results"] == []
    assert broker.get(URL, {"q": soleimani.customer_id}).json()["results"] == []
    everyone = _key_client("core", [*own, ALL_INTEGRATIONS_SCOPE])
    assert len(everyone.get(URL, {"q": "soleimani"}).json()["results"]) == 2


@pytest.mark.parametrize(("params", "field", "words"), [
    ({"q": "a"}, "q", "at least 2 characters"),
    ({"q": "x" * 201}, "q", "at most 200 characters"),
    ({"q": "-- !!"}, "q", "at least one letter or digit"),
    ({"q": " ".join(f"word{i}" for i in range(9))}, "q", "at most 8 words"),
    ({"q": ""}, "q", "at least 2 characters"),
    ({"q": "rossi", "status": "active"}, "status", "q alone"),
    ({"q": "rossi", "cursor": "abc"}, "cursor", "leave cursor out"),
])
def test_a_bad_search_is_a_400_naming_the_field(api: APIClient, params: dict[str, str], field: str,
                                                words: str) -> None:
    response = api.get(URL, params)
    assert response.status_code == 400, response.json()
    assert words in " ".join(response.json()["errors"].get(field, [])), response.json()


def test_the_schema_documents_q(client_for: Any, analyst: Any) -> None:
    schema = client_for(analyst).get("/api/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/customers"]["get"]
    [q] = [p for p in operation["parameters"] if p["name"] == "q"]
    assert "typo" in q["description"] and q["in"] == "query"
    page = schema["components"]["schemas"]["CustomerPage"]["properties"]
    assert {"matches", "truncated"} <= set(page)


# --- the web page ---------------------------------------------------------------------------


def _page(user: Any, q: str) -> Any:
    browser = Client()
    browser.force_login(user)
    return browser.get("/search/", {"q": q})


def test_the_search_page_lists_matches_with_the_matched_word_marked_and_links_to_each_customer(
        demo_book: None, analyst: Any, auditor: Any) -> None:
    harbour = customer_get_by_external_reference(integration="demo", external_reference="DEMO-ENT-001")
    assert harbour is not None
    for who in (analyst, auditor):
        response = _page(who, "vries")
        assert response.status_code == 200
        html = response.content.decode()
        assert f'href="/customers/{harbour.customer_id}/"' in html
        assert "Harbour Logistics Ltd" in html and "Legal entity" in html and "onboarding" in html
        assert "Related party <strong>Pieter de Vries</strong>" in html
        assert "Pieter de <mark>Vries</mark>" in html
    typo = _page(analyst, "logistcs").content.decode()
    assert "Harbour <mark>Logistics</mark> Ltd" in typo and "one typo from “logistcs”" in typo
    both = _page(analyst, "pieter vries").content.decode()  # two words of one name: the name once, both marked
    assert both.count("Related party <strong>Pieter de Vries</strong>") == 1
    assert "<mark>Pieter</mark> de <mark>Vries</mark>" in both


def test_the_search_page_says_what_is_wrong_with_a_bad_query_and_is_refused_to_other_roles(
        analyst: Any, platform_admin: Any) -> None:
    bad = _page(analyst, "x")
    assert bad.status_code == 400
    assert "at least 2 characters" in bad.content.decode()
    assert _page(analyst, "").status_code == 200  # the form alone
    assert _page(platform_admin, "rossi").status_code == 403
    anonymous = Client().get("/search/", {"q": "rossi"})
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
