"""Reads of the documents app: listings, the requirements that apply, and the checklist gap."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from apps.core.dynamo import utcnow
from apps.core.errors import NotFound
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
    Document,
    DocumentRequest,
    DocumentRequirement,
    DocumentTrigger,
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
    state: str  # verified | waived | received | requested | rejected | expired | missing
    satisfied: bool
    document_ids: list[str] = field(default_factory=list)
    unscanned: bool = False  # a document in this state was stored without a malware scan

    @property
    def state_label(self) -> str:
        label = STATE_LABELS.get(self.state, self.state)
        return f"{label} (not scanned for malware)" if self.unscanned else label


def document_checklist(*, customer_id: str, today: date | None = None) -> list[ChecklistItem]:
    """Required versus verified: one line per applicable requirement (what a case's checklist shows)."""
    today = today or utcnow().date()
    customer = customer_get_summary(customer_id=customer_id)
    documents = [d for d in Document.query(customer_id) if d.party_type == "customer"]
    items = []
    for rule in requirements_applicable(customer=customer):
        matching = [d for d in documents if d.document_type in (rule.any_of or [])]

        def state_of(doc: Document) -> str:
            if doc.status == VERIFIED and doc.expiry_date and date.fromisoformat(doc.expiry_date) < today:
                return EXPIRED  # the daily job has not run yet; it is not evidence any more
            return doc.status

        ranked = sorted(matching, key=lambda d: (_STATE_RANK.get(state_of(d), 9), d.document_id))
        state = state_of(ranked[0]) if ranked else "missing"
        items.append(ChecklistItem(
            code=rule.code, label=rule.label, any_of=list(rule.any_of or []), jurisdiction=rule.jurisdiction,
            state=state, satisfied=state in (VERIFIED, WAIVED),
            document_ids=[d.document_id for d in ranked if state_of(d) == state],
            unscanned=any(document_scan_label(d) == "not scanned for malware" for d in ranked
                          if state_of(d) == state),
        ))
    return items
