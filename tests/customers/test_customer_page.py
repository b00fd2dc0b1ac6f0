"""The customer page (web): what an analyst, a reviewer or an auditor sees of one customer."""

from __future__ import annotations

import io
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from apps.audit.actors import Actor
from apps.audit.selectors import audit_chain_events
from apps.customers.demo import demo_load
from apps.customers.selectors import customer_get_by_external_reference
from apps.documents import selectors as documents_selectors
from apps.documents.services import DocumentMeta, document_upload
from apps.reviews.services import case_open_onboarding
from tests.documents.files import pdf, png, tiff

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_scans")]


@pytest.fixture(autouse=True)
def _thresholds(settings: Any) -> None:
    settings.CDD_UBO_THRESHOLD = 25.0
    settings.CDD_UBO_UNIDENTIFIED_MAX = 25.0
    settings.CDD_DOCUMENT_SCANNER = "none"


@pytest.fixture
def demo(aws: None) -> dict[str, str]:
    """The demo book, loaded through the demo functions; reference -> customer id."""
    demo_load(actor=Actor.system("tests"))
    refs = ("DEMO-IND-001", "DEMO-IND-003", "DEMO-ENT-001", "DEMO-ENT-002", "DEMO-ENT-003", "DEMO-ENT-004")
    return {ref: customer_get_by_external_reference(integration="demo", external_reference=ref).customer_id
            for ref in refs}


def page(user: User, customer_id: str, **query: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(reverse("customer-page", args=[customer_id]), query)


def text(response: Any) -> str:
    """What a person reads: the HTML without tags, spaces collapsed."""
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def graph_nodes(response: Any) -> dict[str, dict[str, str]]:
    html = response.content.decode()
    svg = html[html.index("<svg id=\"ownership-graph\""):html.index("</svg>", html.index("<svg id=\"ownership-graph\""))]
    nodes = {}
    for attributes in re.findall(r'<g class="og-node([^"]*)"([^>]*)>', svg):
        classes, rest = attributes
        fields = dict(re.findall(r'data-([a-z]+)="([^"]*)"', rest))
        nodes[fields["name"]] = {**fields, "classes": classes}
    return nodes


def graph_edges(response: Any) -> list[dict[str, str]]:
    html = response.content.decode()
    return [{"classes": classes, **dict(re.findall(r'data-([a-z]+)="([^"]*)"', rest))}
            for classes, rest in re.findall(r'<g class="og-edge([^"]*)"([^>]*)>', html)]


def test_an_analyst_reads_an_individual_profile_in_words(demo: dict[str, str], analyst: User) -> None:
    response = page(analyst, demo["DEMO-IND-003"])
    assert response.status_code == 200
    seen = text(response)
    assert "Sofia Rossi" in seen and "Sofia Rossi-Bianchi" in seen
    assert "Nationalities Italy Switzerland" in seen  # a list, by name
    assert "Country of residence France" in seen
    assert "Date of birth 3 February 1968" in seen
    assert "family member of a politically exposed person" in seen
    assert "private banking" in seen
    profile = seen[seen.index("Profile"):seen.index("Alerts")]
    for raw in ("IT", "CH", "FR", "pep_family", "1968-02-03", "None", "[]"):
        assert not re.search(rf"(?<![\w-]){re.escape(raw)}(?![\w-])", profile), raw
    assert "['" not in seen and "[&#x27;" not in seen  # no Python lists, in the timeline either


def test_an_entity_shows_its_parties_by_name_and_countries_by_name(demo: dict[str, str], reviewer: User) -> None:
    response = page(reviewer, demo["DEMO-ENT-001"])
    seen = text(response)
    assert "Harbour Logistics Ltd" in seen
    assert "Jurisdiction United Kingdom" in seen
    assert "Registered: Unit 7, Port Road, Southampton, SO14 3GG, United Kingdom" in seen
    assert "Meridian Holdings BV" in seen and "75% of Meridian Holdings BV" in seen
    assert "registered in Netherlands" in seen
    assert "Tom Evans" in seen and "director" in seen
    assert not re.search(r"\brp_[0-9A-Z]{6,}", seen)  # parties by name, never by id


def test_the_ownership_graph_draws_layers_with_effective_shares_and_beneficial_owners(
    demo: dict[str, str], analyst: User,
) -> None:
    response = page(analyst, demo["DEMO-ENT-001"])
    nodes = graph_nodes(response)
    assert nodes["Harbour Logistics Ltd"]["layer"] == "0"
    assert (nodes["Meridian Holdings BV"]["layer"], nodes["Meridian Holdings BV"]["effective"]) == ("1", "70%")
    assert (nodes["Pieter de Vries"]["layer"], nodes["Pieter de Vries"]["effective"]) == ("2", "52.5%")
    assert nodes["Anouk Jansen"]["effective"] == "17.5%"
    assert nodes["Amelia Hartley"]["effective"] == "30%"
    assert nodes["Pieter de Vries"].get("ubo") == "true" and "og-ubo" in nodes["Pieter de Vries"]["classes"]
    assert nodes["Amelia Hartley"].get("ubo") == "true"
    assert "ubo" not in nodes["Anouk Jansen"]  # 17.5% is below the threshold
    assert {(e["owner"], e["owned"], e["percentage"]) for e in graph_edges(response)} == {
        ("Meridian Holdings BV", "Harbour Logistics Ltd", "70%"), ("Pieter de Vries", "Meridian Holdings BV", "75%"),
        ("Anouk Jansen", "Meridian Holdings BV", "25%"), ("Amelia Hartley", "Harbour Logistics Ltd", "30%")}
    seen = text(response)
    # the same facts in the table beside the drawing
    assert "Holders of Harbour Logistics Ltd" in seen
    assert "75% of Meridian Holdings BV \N{MULTIPLICATION SIGN} 70% of Harbour Logistics Ltd = 52.5%" in seen
    assert "Beneficial owners (at least 25% of the customer, over every chain): Pieter de Vries (52.5%), " \
           "Amelia Hartley (30%)" in seen


def test_one_holder_through_two_chains_adds_up(demo: dict[str, str], analyst: User) -> None:
    response = page(analyst, demo["DEMO-ENT-002"])
    nodes = graph_nodes(response)
    assert nodes["Ingrid Solberg"]["effective"] == "44%"  # 20% directly + 40% of a 60% holder
    assert nodes["Ingrid Solberg"]["layer"] == "2"  # drawn below what it holds through Fjord Invest
    assert "20% of Blue Fjord Shipping AS directly" in text(response)


def test_a_circular_holding_is_drawn_apart_and_explained(demo: dict[str, str], auditor: User) -> None:
    response = page(auditor, demo["DEMO-ENT-003"])
    edges = {(e["owner"], e["owned"]): e for e in graph_edges(response)}
    circular = edges[("Cobalt Crest Holdings Ltd", "Aurora Nominees Ltd")]
    assert "og-cycle" in circular["classes"] and circular["percentage"] == "100%"
    assert "og-cycle" not in edges[("Aurora Nominees Ltd", "Cobalt Crest Holdings Ltd")]["classes"]
    seen = text(response)
    assert "Circular ownership: Cobalt Crest Holdings Ltd → Aurora Nominees Ltd → Cobalt Crest Holdings Ltd" in seen
    assert "circular holding: it leads back to an entity already above on the chain" in seen  # the legend
    assert "40% of the customer is not traced to a person, above the 25% the bank accepts" in seen
    assert graph_nodes(response)["Elena Petrova"].get("ubo") == "true"
    # a holder that is a customer too links to its own page
    assert f'href="/customers/{demo["DEMO-ENT-004"]}/"' in response.content.decode()


def test_the_page_lists_cases_and_the_audit_timeline_with_its_verification(
    demo: dict[str, str], auditor: User,
) -> None:
    customer_id = demo["DEMO-ENT-001"]
    case = case_open_onboarding(customer_id=customer_id, actor=Actor.system("tests"))
    response = page(auditor, customer_id)
    seen = text(response)
    assert case.title in seen and "not decided yet" in seen
    assert f'href="/cases/{case.case_id}/"' in response.content.decode()
    assert 'data-verified="true"' in response.content.decode()
    assert "customer.created" in seen and "related_party.added" in seen
    assert "The whole trail of this customer" in seen  # the auditor's way on to the full trail
    # opening the full profile is a sensitive read, recorded like the API's
    views = [e for e in audit_chain_events(chain=f"customer#{customer_id}") if e.action == "customer.viewed"]
    assert views and views[-1].actor["name"] == auditor.get_username()


def _upload(customer_id: str, content: bytes, name: str, kind: str = "passport") -> str:
    meta = DocumentMeta(document_type=kind, issuing_country="GB", number="533410987", issue_date=None,
                        expiry_date=None, party_type="customer", party_id=None)
    return document_upload(customer_id=customer_id, file=io.BytesIO(content), filename=name, meta=meta,
                           actor=Actor.system("tests")).document_id


def test_a_document_preview_is_a_short_lived_presigned_link_allowed_by_this_page_alone(
    demo: dict[str, str], reviewer: User, settings: Any,
) -> None:
    customer_id = demo["DEMO-IND-001"]
    passport = _upload(customer_id, pdf(), "passport.pdf")
    listing = page(reviewer, customer_id)
    seen = text(listing)
    assert "Passport" in seen and "passport.pdf" in seen and "number ****87, issued by United Kingdom" in seen
    assert f"?preview={passport}" in listing.content.decode()
    assert "X-Amz-Signature" not in listing.content.decode()  # no link is minted before someone asks to see it
    assert "frame-src" not in listing["Content-Security-Policy"]

    response = page(reviewer, customer_id, preview=passport)
    assert response.status_code == 200
    src = re.search(r'<iframe src="([^"]+)"', response.content.decode()).group(1).replace("&amp;", "&")
    parts = urlsplit(src)
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == [str(settings.CDD_DOCUMENTS_URL_SECONDS)]
    assert int(query["X-Amz-Expires"][0]) <= 300
    assert "X-Amz-Signature" in query
    assert query["response-content-disposition"][0].startswith("inline")
    origin = f"{parts.scheme}://{parts.netloc}"
    policy = response["Content-Security-Policy"]
    assert f"frame-src {origin}" in policy  # the storage origin, for this response only
    assert "object-src 'none'" in policy and "'unsafe-inline'" not in policy.split("style-src-attr")[0]
    previewed = [e for e in audit_chain_events(chain=f"document#{passport}") if e.action == "document.previewed"]
    assert previewed and previewed[-1].actor["name"] == reviewer.get_username()


def test_an_image_previews_inline_and_a_tiff_offers_no_preview(demo: dict[str, str], analyst: User) -> None:
    customer_id = demo["DEMO-IND-001"]
    photo = _upload(customer_id, png(), "id.png", kind="national_id_card")
    scan = _upload(customer_id, tiff(), "scan.tiff", kind="proof_of_address")
    response = page(analyst, customer_id, preview=photo)
    assert re.search(r'<img src="[^"]*X-Amz-Signature', response.content.decode())
    assert "img-src 'self' data: " in response["Content-Security-Policy"]
    assert f"?preview={scan}" not in response.content.decode()
    refused = page(analyst, customer_id, preview=scan)
    assert "X-Amz-Signature" not in refused.content.decode()
    assert "cannot be shown here" in text(refused)
    assert page(analyst, customer_id, preview="nope").status_code == 404


def test_a_role_that_may_not_open_files_sees_no_preview(
    demo: dict[str, str], auditor: User, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page follows the documents app's rule of who opens files, whatever it is."""
    from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER

    customer_id = demo["DEMO-IND-001"]
    passport = _upload(customer_id, pdf(), "passport.pdf")
    assert "Preview" in text(page(auditor, customer_id))  # auditors open evidence today
    monkeypatch.setattr(documents_selectors, "EVIDENCE_READERS", (ANALYST, REVIEWER, SENIOR_REVIEWER))
    listing = page(auditor, customer_id)
    assert "Passport" in text(listing) and f"?preview={passport}" not in listing.content.decode()
    assert "Your role reads the documents' records, not their files." in text(listing)
    asked = page(auditor, customer_id, preview=passport)
    assert asked.status_code == 403 and "X-Amz-Signature" not in asked.content.decode()
    assert not [e for e in audit_chain_events(chain=f"document#{passport}") if e.action == "document.previewed"]


def test_a_platform_admin_is_refused(demo: dict[str, str], platform_admin: User) -> None:
    response = page(platform_admin, demo["DEMO-ENT-001"])
    assert response.status_code == 403
    assert "Harbour Logistics Ltd" not in text(response)


def test_an_unknown_customer_is_a_styled_404(aws: None, analyst: User) -> None:
    response = page(analyst, "cus_nope")
    assert response.status_code == 404
    seen = text(response)
    assert "Not found" in seen and "No customer cus_nope." in seen
    assert 'href="/"' in response.content.decode()


def test_signed_out_people_are_sent_to_sign_in(aws: None) -> None:
    response = Client().get(reverse("customer-page", args=["cus_x"]))
    assert response.status_code == 302 and response["Location"].startswith("/login/")
