"""Reads of the documents app: listings, the requirements that apply, and the checklist gap."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from apps.audit.actors import Actor
from apps.core.dynamo import utcnow
from apps.core.errors import Conflict, Forbidden, NotFound
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.customers.errors import CustomerNotFound
from apps.documents.customers_port import CustomerSummary, customer_get_summary
from apps.documents.models import (
    CDD_LEVELS,
    CUSTOMER_TYPES,
    EXPIRED,
    INFECTED,
    PENDING_SCAN,
    RECEIVED,
    REJECTED,
    REQUESTED,
    VERIFIED,
    WAIVED,
    WAIVER_ACTIVE,
    Document,
    DocumentRequest,
    DocumentRequirement,
    DocumentTrigger,
    DocumentWaiver,
)


def document_list(*, customer_id: str, status: str | None = None) -> list[Document]:
    """A customer's documents, oldest first (one Query)."""
    customer_get_summary(customer_id=customer_id)
    condition = Document.status == status if status else None
    return list(Document.query(customer_id, filter_condition=condition))


def document_get(*, customer_id: str, document_id: str) -> Document:
    try:
        return Document.get(customer_id, document_id)
    except Document.DoesNotExist as exc:
        raise NotFound(f"No document {document_id} for customer {customer_id}.") from exc


def document_request_list(*, customer_id: str) -> list[DocumentRequest]:
    customer_get_summary(customer_id=customer_id)
    return list(DocumentRequest.query(customer_id))


def documents_expiring(*, on_or_before: date) -> list[Document]:
    """Received or verified documents expiring on or before a day (index query per bucket)."""
    from apps.documents.models import EXPIRY_BUCKETS

    out: list[Document] = []
    for bucket in range(EXPIRY_BUCKETS):
        out.extend(Document.by_expiry.query(f"exp#{bucket}", Document.expiry_key <= f"{on_or_before.isoformat()}#~"))
    return sorted(out, key=lambda d: d.expiry_key or "")


def document_triggers_open(*, limit: int = 100) -> list[DocumentTrigger]:
    """Triggers nobody has acknowledged yet, oldest first (the reviews app's inbox)."""
    return list(DocumentTrigger.by_state.query("open", limit=limit))


def requirement_list(*, customer_type: str | None = None, cdd_level: str | None = None) -> list[DocumentRequirement]:
    """Lines of the matrix, one Query per (type, level) asked for."""
    types = [customer_type] if customer_type else list(CUSTOMER_TYPES)
    levels = [cdd_level] if cdd_level else list(CDD_LEVELS)
    out: list[DocumentRequirement] = []
    for ctype in types:
        for level in levels:
            out.extend(DocumentRequirement.query(f"{ctype}#{level}"))
    return out


def requirements_applicable(*, customer: CustomerSummary) -> list[DocumentRequirement]:
    """The rules for this customer: its type and level, ``*`` plus its jurisdiction; the jurisdiction's rule wins."""
    rules = list(DocumentRequirement.query(f"{customer.customer_type}#{customer.cdd_level}"))
    by_code = {rule.code: rule for rule in rules if rule.jurisdiction == "*"}
    by_code.update({rule.code: rule for rule in rules
                    if customer.jurisdiction and rule.jurisdiction == customer.jurisdiction})
    return sorted(by_code.values(), key=lambda r: r.code)


# What a document in each status means for the requirement it could satisfy, best first.
_STATE_RANK = {VERIFIED: 0, WAIVED: 1, RECEIVED: 2, PENDING_SCAN: 3, REQUESTED: 4, REJECTED: 5, EXPIRED: 6,
               INFECTED: 7}
# What each state means, in the words the case page and the admin show.
STATE_LABELS = {PENDING_SCAN: "awaiting malware scan", INFECTED: "refused: malware found"}


def document_scan_label(document: Document) -> str | None:
    """A plain phrase for the file's malware scan: None when it was scanned clean (or there is no file)."""
    if document.status == INFECTED or (document.scan or {}).get("verdict") == "infected":
        return "refused: malware found"
    if document.status == PENDING_SCAN:
        return "awaiting malware scan"
    if document.s3_key and (document.scan or {}).get("verdict") in (None, "no-scan"):
        return "not scanned for malware"
    return None


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    label: str
    any_of: list[str]
    jurisdiction: str
    state: str  # verified | waived | received | pending_scan | requested | rejected | expired | infected | missing
    satisfied: bool
    document_ids: list[str] = field(default_factory=list)
    unscanned: bool = False  # a document in this state was stored without a malware scan
    documents: list[Document] = field(default_factory=list)  # every document that could satisfy it, best first
    waiver: DocumentWaiver | None = None  # the active waiver of this requirement, if any
    expires_on: date | None = None  # the expiry date of the evidence that satisfies it
    expiring: bool = False  # verified, but expiring within CDD_DOCUMENTS_EXPIRING_DAYS
    reason: str | None = None  # why the document in this state was rejected (or expired)

    @property
    def state_label(self) -> str:
        label = STATE_LABELS.get(self.state, self.state)
        return f"{label} (not scanned for malware)" if self.unscanned else label


def document_waivers(*, customer_id: str) -> dict[str, DocumentWaiver]:
    """A customer's waivers by requirement code, withdrawn ones included (one Query)."""
    return {w.code: w for w in DocumentWaiver.query(customer_id)}


def document_checklist(*, customer_id: str, today: date | None = None) -> list[ChecklistItem]:
    """Required versus verified: one line per applicable requirement (what a case's checklist shows).

    A requirement is satisfied by a verified document that has not expired, by a waived document, or by
    an active waiver of the requirement itself (``requirement_waive``).
    """
    today = today or utcnow().date()
    customer = customer_get_summary(customer_id=customer_id)
    documents = [d for d in Document.query(customer_id) if d.party_type == "customer"]
    waivers = {code: w for code, w in document_waivers(customer_id=customer_id).items() if w.state == WAIVER_ACTIVE}
    horizon = today + timedelta(days=int(settings.CDD_DOCUMENTS_EXPIRING_DAYS))
    items = []
    for rule in requirements_applicable(customer=customer):
        matching = [d for d in documents if d.document_type in (rule.any_of or [])]

        def state_of(doc: Document) -> str:
            if doc.status == VERIFIED and doc.expiry_date and date.fromisoformat(doc.expiry_date) < today:
                return EXPIRED  # the daily job has not run yet; it is not evidence any more
            return doc.status

        ranked = sorted(matching, key=lambda d: (_STATE_RANK.get(state_of(d), 9), d.document_id))
        state = state_of(ranked[0]) if ranked else "missing"
        waiver = waivers.get(rule.code)
        if waiver is not None and state != VERIFIED:
            state = WAIVED
        best = [d for d in ranked if state_of(d) == state]
        expires_on = date.fromisoformat(best[0].expiry_date) if best and best[0].expiry_date else None
        items.append(ChecklistItem(
            code=rule.code, label=rule.label, any_of=list(rule.any_of or []), jurisdiction=rule.jurisdiction,
            state=state, satisfied=state in (VERIFIED, WAIVED),
            document_ids=[d.document_id for d in best],
            unscanned=any(document_scan_label(d) == "not scanned for malware" for d in best),
            documents=ranked, waiver=waiver, expires_on=expires_on,
            expiring=state == VERIFIED and expires_on is not None and expires_on <= horizon,
            reason=best[0].status_reason if best and state in (REJECTED, EXPIRED, INFECTED) else None,
        ))
    return items


# What stands between an unsatisfied requirement and its evidence, in the words of the refusal.
_GAP_WORDS = {
    "missing": "missing", REQUESTED: "requested, not received yet", PENDING_SCAN: "awaiting its malware scan",
    RECEIVED: "uploaded, not verified yet", REJECTED: "rejected", EXPIRED: "expired",
    INFECTED: "refused: malware found",
}


@dataclass(frozen=True)
class EvidenceGap:
    """The required items a case cannot be submitted without."""

    items: list[ChecklistItem]

    def __bool__(self) -> bool:
        return bool(self.items)

    @property
    def message(self) -> str:
        missing = [i.label.lower() for i in self.items if i.state == "missing"]
        others = [f"{i.label.lower()} ({_GAP_WORDS.get(i.state, i.state)})" for i in self.items if i.state != "missing"]
        parts = []
        if missing:
            parts.append(f"Missing: {', '.join(missing)} — upload {'it' if len(missing) == 1 else 'them'} "
                         "or record a waiver.")
        if others:
            parts.append(f"Not yet evidence: {', '.join(others)} — a verified document or a waiver is needed.")
        return " ".join(parts)


class EvidenceMissing(Conflict):
    """A required document is neither verified nor waived (``documents_missing``, 409)."""

    code = "documents_missing"


def document_checklist_gap(*, customer_id: str, today: date | None = None) -> EvidenceGap:
    """The applicable requirements that are neither verified nor waived (what blocks a case's submission)."""
    return EvidenceGap(items=[i for i in document_checklist(customer_id=customer_id, today=today) if not i.satisfied])


def evidence_complete_check(*, customer_id: str, doing: str = "submitted") -> None:
    """Refuse (``EvidenceMissing``) while a required item is neither verified nor waived; names each one.

    No customer record means no requirements apply (the reviews service reads a missing customer the
    same way for its other checks); any other failure to read the checklist propagates: never a pass.
    """
    try:
        gap = document_checklist_gap(customer_id=customer_id)
    except CustomerNotFound:
        return
    if gap:
        raise EvidenceMissing(f"The case cannot be {doing} yet. {gap.message}",
                              errors={"documents": [f"{i.label}: {_GAP_WORDS.get(i.state, i.state)}"
                                                    for i in gap.items]})


# --- previews -------------------------------------------------------------------------------------

EVIDENCE_READERS = (ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR)


@dataclass(frozen=True)
class PreviewLink:
    """A short-lived presigned link that shows a document's file inline (never a public URL)."""

    url: str
    expires_at: datetime
    kind: str  # pdf | image
    content_type: str

    @property
    def origin(self) -> str:
        """The storage origin the page's Content-Security-Policy must allow to embed it."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"

    def page_policy(self) -> dict[str, list[str]]:
        """The site's Content-Security-Policy plus this link's storage origin, for its kind only (frame-src for a
        PDF, img-src for an image): the policy of the one response that shows the file, never of other pages."""
        site: dict[str, Any] = settings.SECURE_CSP
        policy: dict[str, list[str]] = {directive: list(values) for directive, values in site.items()}
        directive = "img-src" if self.kind == "image" else "frame-src"
        policy[directive] = [*policy.get(directive, []), self.origin]
        return policy


def document_preview_url(document: Document, user: Any) -> PreviewLink:
    """A preview link of ``document`` for ``user`` (analysts, reviewers, auditors); the view is audited.

    Shared by the case page's evidence and the customer page. Refuses (409) a file awaiting its scan or
    holding malware, and (415) a type browsers cannot show (TIFF: download it instead).
    """
    from apps.documents import services  # services import this module

    if not set(EVIDENCE_READERS) & user_roles(user):
        raise Forbidden("Only analysts, reviewers and auditors open documents.")
    url, expires_at = services.document_preview_link(customer_id=document.customer_id,
                                                     document_id=document.document_id, actor=Actor.from_user(user))
    return PreviewLink(url=url, expires_at=expires_at, kind=services.PREVIEWABLE[document.content_type or ""],
                       content_type=document.content_type or "")
