"""Reads of the customer page (web): everything about one customer, from every app, in words for people.

Kept apart from ``selectors.py`` because it reads the apps that stand on customers (screening,
documents, reviews, audit), which import ``apps.customers.selectors`` themselves: only the web
page puts them together. GetItem, Query and BatchGetItem only, like every read on a request path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from apps.audit.services import mask_value
from apps.audit.views_web import timeline_context
from apps.core.dynamo import utcnow
from apps.core.errors import DomainError
from apps.customers import display
from apps.customers.models import CUSTOMER_PREFIX, Customer, RelatedParty
from apps.customers.ownership_graph import OwnershipGraph, ownership_graph
from apps.customers.selectors import OwnershipPath, OwnershipView, ownership_get
from apps.customers.validation import value_text
from apps.documents import selectors as documents
from apps.documents.models import DOCUMENT_TYPES, INFECTED, PENDING_SCAN, Document
from apps.documents.selectors import STATE_LABELS, document_checklist, document_list, document_scan_label
from apps.documents.services import PREVIEWABLE
from apps.reviews.models import OPEN, SUBMITTED, Case
from apps.reviews.risk.selectors import risk_view
from apps.reviews.selectors import cases_for_customer
from apps.screening.selectors.alerts import alerts_of_customer
from apps.screening.web import STATUS_LABELS

HIDDEN_EVENT_DATA = frozenset({"followups"})


def may_open_documents(roles: set[str]) -> bool:
    """Whether these roles open documents' files: the documents app's rule (``EVIDENCE_READERS``), read when asked."""
    return bool(set(documents.EVIDENCE_READERS) & roles)


@dataclass(frozen=True)
class Field:
    label: str
    value: str | list[str]  # a list is shown as a list

    @property
    def is_list(self) -> bool:
        return isinstance(self.value, list)


def _present(fields: list[Field]) -> list[Field]:
    return [f for f in fields if f.value not in ("", [], None)]


def profile_fields(customer: Customer) -> list[Field]:
    """The customer's record, field by field, in words (empty fields left out)."""
    docs = [
        " · ".join(part for part in (
            display.words(doc.get("type")).capitalize(), f"number {mask_value(doc['number'])}" if doc.get("number")
            else "", f"issued by {display.country_name(doc.get('issuing_country'))}" if doc.get("issuing_country")
            else "", f"expires {display.date_text(doc.get('expiry_date'))}" if doc.get("expiry_date") else "")
            if part)
        for doc in customer.identity_documents or []]
    addresses = [f"{display.words(a.get('type')).capitalize()}: {display.address_text(a)}" if a.get("type")
                 else display.address_text(a) for a in customer.addresses or []]
    common = [
        Field("Legal name", customer.legal_name),
        Field("Other names", [str(n) for n in customer.other_names or []]),
        Field("Former names", [str(n) for n in customer.former_names or []]),
        Field("Type", display.TYPE_LABELS.get(customer.customer_type, customer.customer_type)),
        Field("Status", display.words(customer.status)),
    ]
    if customer.customer_type == "individual":
        specific = [
            Field("Date of birth", display.date_text(customer.date_of_birth)),
            Field("Nationalities", display.country_names(customer.nationalities)),
            Field("Country of residence", display.country_name(customer.country_of_residence)),
            Field("Occupation", customer.occupation or ""),
            Field("Politically exposed", display.PEP_LABELS.get(customer.pep_status or "", "not declared")),
        ]
    else:
        specific = [
            Field("Registration number", customer.registration_number or ""),
            Field("Jurisdiction", display.country_name(customer.jurisdiction)),
            Field("Legal form", customer.legal_form or ""),
            Field("LEI", customer.lei or ""),
            Field("Industry (NACE)", customer.industry_code or ""),
            Field("Incorporated", display.date_text(customer.incorporation_date)),
        ]
    rest = [
        Field("Operating countries", display.country_names(customer.operating_countries)),
        Field("Addresses", addresses),
        Field("Identity documents", docs),
        Field("Products", [display.words(p) for p in customer.products or []]),
        Field("Channels", [display.words(c) for c in customer.channels or []]),
        Field("Risk rating", customer.risk_rating or "not rated yet"),
        Field("Due diligence", f"{customer.cdd_level} due diligence" if customer.cdd_level else ""),
        Field("Next periodic review", display.date_text(customer.next_review_date)),
        Field("Last review", display.date_text(customer.last_review_date)),
        Field("External reference", f"{customer.external_reference} ({customer.integration})"
              if customer.external_reference else ""),
        Field("Confirmed sanctions or PEP matches",
              f"{len(customer.confirmed_match_alerts)} (see the alerts below)" if customer.confirmed_match_alerts
              else ""),
        Field("On record since", customer.created_at.strftime("%-d %B %Y") if customer.created_at else ""),
    ]
    return _present(common + specific + rest)


def _holding_texts(party: RelatedParty, names: dict[str, str], customer_name: str) -> list[str]:
    out = []
    for holding in party.holding_list:
        parent = holding["parent_party_id"]
        held = names.get(parent, "another party") if parent else customer_name
        out.append(f"{display.percent_text(holding['percentage'])} of {held}")
    return out


def party_rows(*, customer: Customer, parties: list[RelatedParty]) -> list[dict[str, Any]]:
    """Each related party in words: who, what role, what it holds, where from."""
    names = {p.party_id: p.name or "an unnamed party" for p in parties}
    return [{
        "party_id": p.party_id, "name": p.name or "an unnamed party",
        "kind": display.TYPE_LABELS.get(p.party_type or "", display.words(p.party_type)),
        "roles": [display.ROLE_LABELS.get(str(r), display.words(r)) for r in p.roles or []],
        "holds": _holding_texts(p, names, customer.legal_name),
        "related_to": names.get(p.parent_party_id or "") if p.parent_party_id and not p.holding_list else None,
        "born": display.date_text(p.date_of_birth),
        "nationalities": display.country_names(p.nationalities),
        "residence": display.country_name(p.country_of_residence),
        "jurisdiction": display.country_name(p.jurisdiction),
        "registration_number": p.registration_number or "",
        "other_names": [str(n) for n in p.other_names or []],
        "linked_customer_id": p.linked_customer_id,
    } for p in parties]


def _path_text(path: OwnershipPath, customer_name: str) -> str:
    """``40% of Holdco SA x 60% of Harbour Ltd = 24%``: one chain from a holder down to the customer."""
    targets = [step.name for step in path.steps[1:]] + [customer_name]
    parts = [f"{display.percent_text(step.percentage)} of {target}"
             for step, target in zip(path.steps, targets, strict=True)]
    return " \N{MULTIPLICATION SIGN} ".join(parts) + (f" = {display.percent_text(path.product)}" if len(parts) > 1 else " directly")


@dataclass(frozen=True)
class OwnershipPicture:
    view: OwnershipView
    graph: OwnershipGraph
    owners: list[dict[str, Any]]  # the table beside the drawing
    beneficial_owners: list[tuple[str, float]]  # computed ones: name, effective share


def ownership_picture(*, customer_id: str) -> OwnershipPicture:
    """The drawing of who holds the customer and the same facts as rows."""
    view = ownership_get(customer_id=customer_id)
    graph = ownership_graph(result=view.result, nodes=view.nodes,
                            declared_beneficial_owners=view.declared_beneficial_owners)
    layers = {node.node_id: node.layer for node in graph.nodes}
    holds: dict[str, list[str]] = {}
    circular: dict[str, list[str]] = {}
    for edge in graph.edges:
        text = f"{display.percent_text(edge.percentage)} of {edge.owned_name}"
        (circular if edge.cycle else holds).setdefault(edge.owner, []).append(text)
    owners = []
    for owner in view.owners():
        node_id = owner.node.node_id
        owners.append({
            "node_id": node_id, "name": owner.node.name,
            "kind": display.TYPE_LABELS.get(owner.node.kind, owner.node.kind), "layer": layers.get(node_id),
            "holds": holds.get(node_id, []), "circular": circular.get(node_id, []),
            "effective": display.percent_text(owner.effective_percentage),
            "paths": [_path_text(path, view.customer.legal_name) for path in owner.paths],
            "beneficial_owner": owner.beneficial_owner,
            "declared": node_id in view.declared_beneficial_owners,
            "unresolved": node_id in view.result.unresolved_entities,
            "merged": len(owner.merged_party_ids) > 1,
            "link_customer_id": _customer_link(node_id, customer_id),
        })
    for node in graph.nodes:
        node.link_customer_id = _customer_link(node.node_id, customer_id)
    ubos = [(view.name_of(n), view.result.effective[n]) for n in view.result.beneficial_owners]
    return OwnershipPicture(view=view, graph=graph, owners=owners, beneficial_owners=ubos)


def _customer_link(node_id: str, customer_id: str) -> str | None:
    """A holder that is a customer too (its node is its customer id) links to its own page."""
    return node_id if node_id.startswith(CUSTOMER_PREFIX) and node_id != customer_id else None


def alert_rows(*, customer_id: str, cases: list[Case]) -> list[dict[str, Any]]:
    """The customer's and its parties' alerts, open first, each linking to the case where it is worked."""
    working = next((c for c in cases if c.status in (OPEN, SUBMITTED)), cases[0] if cases else None)
    views = alerts_of_customer(customer_id=customer_id)
    views.sort(key=lambda v: (not v.is_open, v.alert.created_key))
    return [{
        "alert_id": v.alert_id, "subject": v.alert.subject_name,
        "subject_kind": "customer" if v.alert.subject_type == "customer" else "related party",
        "entry": ((v.alert.entity or {}).get("names") or [[v.alert.matched_name]])[0][0],
        "matched_name": v.alert.matched_name, "list": v.alert.list_key.upper(),
        "score": float(v.alert.score), "status": v.state.status,
        "status_label": STATUS_LABELS.get(v.state.status, v.state.status), "is_open": v.is_open,
        "raised": v.alert.created_at, "case_id": working.case_id if working else None,
    } for v in views]


def document_rows(*, customer_id: str, parties: list[RelatedParty], may_open: bool,
                  today: date | None = None) -> list[dict[str, Any]]:
    """The customer's documents: type, whose, status, expiry; which of them this reader may preview."""
    today = today or utcnow().date()
    names = {p.party_id: p.name or "a related party" for p in parties}
    rows = []
    for document in document_list(customer_id=customer_id):
        expiry = date.fromisoformat(document.expiry_date) if document.expiry_date else None
        rows.append({
            "document_id": document.document_id, "type": DOCUMENT_TYPES.get(document.document_type,
                                                                           display.words(document.document_type)),
            "whose": names.get(document.party_id or "", "a related party")
            if document.party_type == "related_party" else "the customer",
            "number": mask_value(document.number) if document.number else "",
            "issuing_country": display.country_name(document.issuing_country),
            "status": STATE_LABELS.get(document.status, display.words(document.status)),
            "status_code": document.status, "reason": document.status_reason or "",
            "scan": document_scan_label(document) or "",
            "expiry": display.date_text(document.expiry_date), "expired": bool(expiry and expiry < today),
            "expires_in_days": (expiry - today).days if expiry and expiry >= today else None,
            "filename": document.filename or "", "uploaded_at": document.uploaded_at,
            "can_preview": may_open and previewable(document),
            "preview_kind": PREVIEWABLE.get(document.content_type or ""),
        })
    return rows


def previewable(document: Document) -> bool:
    """A stored PDF or image that is not awaiting its scan or refused for malware."""
    return (bool(document.s3_key) and document.content_type in PREVIEWABLE
            and document.status not in (PENDING_SCAN, INFECTED))


def case_rows(cases: list[Case]) -> list[dict[str, Any]]:
    """The customer's cases, newest first, with their decisions in words."""
    return [{
        "case_id": c.case_id, "title": c.title, "kind": display.words(c.kind), "status": display.words(c.status),
        "opened": c.created_at, "due": display.date_text(c.due_date), "submitted_by": c.submitted_by_name or "",
        "submitted_at": c.submitted_at, "decision": c.decision or "", "decided_by": c.decided_by_name or "",
        "decided_at": c.decided_at, "rationale": c.rationale or "",
    } for c in cases]


def customer_page(*, customer: Customer, parties: list[RelatedParty], roles: set[str]) -> dict[str, Any]:
    """Everything the customer page shows of one customer (read after the audited profile view)."""
    customer_id = customer.customer_id
    cases = cases_for_customer(customer_id=customer_id)
    try:
        risk: dict[str, Any] | None = risk_view(customer_id)
    except DomainError:
        risk = None  # not assessed yet: the page says so
    try:
        checklist = list(document_checklist(customer_id=customer_id))
    except DomainError:
        checklist = []
    may_open = may_open_documents(roles)
    alerts = alert_rows(customer_id=customer_id, cases=cases)
    return {
        "customer": customer, "profile": profile_fields(customer),
        "type_label": display.TYPE_LABELS.get(customer.customer_type, customer.customer_type),
        "parties": party_rows(customer=customer, parties=parties),
        "ownership": ownership_picture(customer_id=customer_id) if customer.customer_type == "legal_entity" else None,
        "alerts": alerts, "open_alerts": sum(1 for a in alerts if a["is_open"]), "risk": risk,
        "documents": document_rows(customer_id=customer_id, parties=parties, may_open=may_open),
        "may_open_documents": may_open, "checklist": checklist, "cases": case_rows(cases),
        "timeline": _timeline(customer_id, {p.party_id: p.name or "a related party" for p in parties}),
    }


def _timeline(customer_id: str, party_names: dict[str, str]) -> dict[str, Any]:
    """The customer's audit chain for ``audit/_timeline.html``, newest first, recorded values in words.

    Parties are named rather than numbered; the outbox ids of follow-up work are left out here (the
    auditors' full trail shows every field as recorded; verification is of the stored events).
    """
    context = timeline_context(object_type="customer", object_id=customer_id, newest_first=True)

    def words(value: Any) -> str | None:
        text = value_text(value)
        for party_id, name in party_names.items():
            text = text.replace(party_id, name) if text else text
        return text

    for event in context["events"]:
        event["changes"] = {name: {"before": words(change.get("before")), "after": words(change.get("after"))}
                            for name, change in (event.get("changes") or {}).items()}
        data = {("party" if name == "party_id" else name): words(value)
                for name, value in (event.get("data") or {}).items() if name not in HIDDEN_EVENT_DATA}
        event["data"] = {name: value for name, value in data.items() if value is not None}
    return context
