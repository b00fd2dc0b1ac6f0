"""Reads of customers and related parties: GetItem and Query only (see the access patterns in models.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.conf import settings
from django.core import signing
from pynamodb.expressions.condition import Condition

from apps.core.errors import ValidationFailed
from apps.customers.errors import CustomerNotFound, RelatedPartyNotFound
from apps.customers.models import (
    CUSTOMER_PREFIX,
    PARTY_HEAD,
    PARTY_PREFIX,
    REVIEW_BUCKET,
    Customer,
    CustomerExternalRef,
    RelatedParty,
)
from apps.customers.ownership import (
    Holding,
    OwnerNode,
    OwnershipResult,
    nominee_or_trust_suggested,
    ownership_compute,
    person_identity,
)
from apps.customers.validation import NAME_PREFIX_LENGTH, name_normalise, name_prefix_key

CURSOR_SALT = "customers.list.cursor"
MAX_LIMIT = 100
# How many customers an ownership walk may load (the root plus linked entity customers).
MAX_OWNERSHIP_CUSTOMERS = 25


def customer_get(*, customer_id: str, consistent: bool = False) -> Customer:
    """One customer by id; ``CustomerNotFound`` (404) if there is none."""
    try:
        return Customer.get(customer_id, consistent_read=consistent)
    except Customer.DoesNotExist:
        raise CustomerNotFound(f"No customer {customer_id}; check the id.") from None


def customers_get(*, customer_ids: list[str]) -> dict[str, Customer]:
    """Several customers by id at once (BatchGetItem), for lists that show names; missing ids are absent."""
    ids = list(dict.fromkeys(i for i in customer_ids if i))
    return {c.customer_id: c for c in Customer.batch_get(ids)} if ids else {}


def external_ref_key(*, integration: str, external_reference: str) -> str:
    return f"{integration}#{external_reference}"


def customer_get_by_external_reference(*, integration: str, external_reference: str) -> Customer | None:
    """The customer an integration knows by its own reference (strongly consistent)."""
    try:
        guard = CustomerExternalRef.get(
            external_ref_key(integration=integration, external_reference=external_reference), consistent_read=True
        )
    except CustomerExternalRef.DoesNotExist:
        return None
    try:
        return Customer.get(guard.customer_id, consistent_read=True)
    except Customer.DoesNotExist:
        return None


@dataclass
class CustomerPage:
    results: list[Customer]
    next_cursor: str | None
    served_by: str  # the key or index that answered (shown in docs and tests)


@dataclass(frozen=True)
class CustomerFilters:
    status: str | None = None
    risk_rating: str | None = None
    next_review_before: date | None = None
    name_prefix: str | None = None
    external_reference: str | None = None
    integration: str | None = None
    owner: str | None = None  # only the customers this integration created (a confined API key)


def _cursor_load(cursor: str | None, index: str) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        payload = signing.loads(cursor, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise ValidationFailed("The cursor is not valid.", errors={"cursor": [
            "Not a cursor this API issued; pass next_cursor from the previous page unchanged."]}) from None
    if not isinstance(payload, dict) or payload.get("i") != index or not isinstance(payload.get("k"), dict):
        raise ValidationFailed("The cursor belongs to another query.", errors={"cursor": [
            "This cursor was issued for other filters; repeat the same filters, or start without a cursor."]})
    return payload["k"]


def _cursor_dump(key: dict[str, Any] | None, index: str) -> str | None:
    return signing.dumps({"i": index, "k": key}, salt=CURSOR_SALT, compress=True) if key else None


def customer_list(*, filters: CustomerFilters, limit: int = 50, cursor: str | None = None) -> CustomerPage:
    """Customers matching the filters, one page at a time; never a Scan.

    The most selective filter picks the key or index (external reference, then name prefix,
    next review date, risk rating, status); the others filter that Query's results.
    """
    limit = max(1, min(limit, MAX_LIMIT))
    name_norm = name_normalise(filters.name_prefix) if filters.name_prefix is not None else None
    if name_norm is not None and len(name_norm) < NAME_PREFIX_LENGTH:
        raise ValidationFailed("The name prefix is too short.", errors={"name_prefix": [
            f"Give at least {NAME_PREFIX_LENGTH} letters or digits of the name."]})

    def matches(conditions: list[Condition]) -> Condition | None:
        combined: Condition | None = None
        for condition in conditions:
            combined = condition if combined is None else combined & condition
        return combined

    others: dict[str, Condition] = {}
    if filters.status:
        others["status"] = Customer.status == filters.status
    if filters.risk_rating:
        others["risk_rating"] = Customer.risk_rating == filters.risk_rating
    if filters.next_review_before:
        others["next_review"] = Customer.next_review_date < filters.next_review_before.isoformat()
    if name_norm:
        others["name"] = Customer.name_norm.startswith(name_norm)
    if filters.owner is not None:
        others["owner"] = Customer.integration == filters.owner

    if filters.external_reference:
        customer = customer_get_by_external_reference(
            integration=filters.integration or "", external_reference=filters.external_reference
        )
        found = [customer] if customer is not None and _python_matches(customer, filters, name_norm) else []
        return CustomerPage(results=found, next_cursor=None, served_by="customer_external_refs")

    if name_norm:
        index, query = "by-name-prefix", Customer.by_name_prefix.query
        hash_key: str = name_prefix_key(name_norm)
        range_condition: Condition | None = Customer.name_norm.startswith(name_norm)
        others.pop("name")
        forward = True
    elif filters.next_review_before:
        index, query = "by-next-review", Customer.by_next_review.query
        hash_key = REVIEW_BUCKET
        range_condition = Customer.next_review_date < filters.next_review_before.isoformat()
        others.pop("next_review")
        forward = True
    elif filters.risk_rating:
        index, query = "by-risk-rating", Customer.by_risk_rating.query
        hash_key, range_condition = filters.risk_rating, None
        others.pop("risk_rating")
        forward = False
    elif filters.status:
        index, query = "by-status", Customer.by_status.query
        hash_key, range_condition = filters.status, None
        others.pop("status")
        forward = False
    else:
        raise ValidationFailed("Say which customers to list.", errors={"__all__": [
            "Give at least one filter: status, risk_rating, next_review_before, name_prefix or external_reference."]})

    results = query(
        hash_key,
        range_condition,
        filter_condition=matches(list(others.values())),
        scan_index_forward=forward,
        limit=limit,
        last_evaluated_key=_cursor_load(cursor, index),
    )
    page = list(results)
    next_key = results.last_evaluated_key if len(page) == limit else None
    return CustomerPage(results=page, next_cursor=_cursor_dump(next_key, index), served_by=index)


def _python_matches(customer: Customer, filters: CustomerFilters, name_norm: str | None) -> bool:
    if filters.status and customer.status != filters.status:
        return False
    if filters.risk_rating and customer.risk_rating != filters.risk_rating:
        return False
    if filters.next_review_before and not (
        customer.next_review_date and customer.next_review_date < filters.next_review_before.isoformat()
    ):
        return False
    if filters.owner is not None and customer.integration != filters.owner:
        return False
    return not (name_norm and not customer.name_norm.startswith(name_norm))


def related_party_list(*, customer_id: str, consistent: bool = False) -> list[RelatedParty]:
    """Every party of a customer, oldest first (party ids are ULIDs)."""
    return list(RelatedParty.query(
        customer_id, RelatedParty.party_id.startswith(PARTY_PREFIX), consistent_read=consistent
    ))


def related_party_get(*, customer_id: str, party_id: str, consistent: bool = False) -> RelatedParty:
    if not party_id.startswith(PARTY_PREFIX):
        raise RelatedPartyNotFound(f"No related party {party_id} on customer {customer_id}; check the ids.")
    try:
        return RelatedParty.get(customer_id, party_id, consistent_read=consistent)
    except RelatedParty.DoesNotExist:
        raise RelatedPartyNotFound(
            f"No related party {party_id} on customer {customer_id}; check the ids."
        ) from None


def related_party_head_get(*, customer_id: str) -> RelatedParty:
    """The head item whose version serialises writes to one customer's parties (new if absent)."""
    try:
        return RelatedParty.get(customer_id, PARTY_HEAD, consistent_read=True)
    except RelatedParty.DoesNotExist:
        return RelatedParty(customer_id, PARTY_HEAD)


@dataclass(frozen=True)
class OwnershipPathStep:
    node_id: str
    name: str
    percentage: float  # of the next step down the path (the last step's: of the customer)


@dataclass(frozen=True)
class OwnershipPath:
    steps: list[OwnershipPathStep]  # from the owner down to the customer's direct holder
    product: float  # % of the customer held along this path


@dataclass(frozen=True)
class OwnershipOwner:
    node: OwnerNode
    recorded_on: str
    effective_percentage: float
    beneficial_owner: bool
    merged_party_ids: list[str]  # every record merged into this owner; empty when it was recorded once
    paths: list[OwnershipPath]


@dataclass
class OwnershipView:
    customer: Customer
    nodes: dict[str, OwnerNode]
    holders_of: dict[str, str]  # node -> the customer whose record holds it
    declared_beneficial_owners: list[str]
    result: OwnershipResult
    customers_loaded: int
    incomplete: bool  # MAX_OWNERSHIP_CUSTOMERS reached: linked customers beyond it were not read
    unidentified_limit: float = 100.0  # settings.CDD_UBO_UNIDENTIFIED_MAX

    @property
    def unidentified_above_limit(self) -> bool:
        return self.result.unidentified_share > self.unidentified_limit

    def name_of(self, node_id: str) -> str:
        node = self.nodes.get(node_id)
        return node.name if node else node_id

    def owners(self) -> list[OwnershipOwner]:
        """Everyone holding the customer, once each (merged records as one), largest share first."""
        result = self.result
        owners = []
        for node_id in sorted(result.effective, key=lambda n: (-result.effective[n], n)):
            paths = [
                OwnershipPath(
                    steps=[OwnershipPathStep(path[k], self.name_of(path[k]),
                                             round(result.edge_percentages[(path[k], path[k - 1])], 4))
                           for k in range(len(path) - 1, 0, -1)],
                    product=round(share, 4),
                )
                for path, share in result.paths.get(node_id, [])
            ]
            node = self.nodes.get(node_id) or OwnerNode(node_id, "legal_entity", node_id)
            owners.append(OwnershipOwner(
                node=node, recorded_on=self.holders_of.get(node_id, self.customer.customer_id),
                effective_percentage=round(result.effective[node_id], 4),
                beneficial_owner=node_id in result.beneficial_owners,
                merged_party_ids=list(result.merged.get(node_id, ())), paths=paths,
            ))
        return owners


def party_node_id(party: RelatedParty) -> str:
    """A party that is itself a customer is that customer's node, so chains continue through it."""
    return party.linked_customer_id or party.party_id


def ownership_get(*, customer_id: str) -> OwnershipView:
    """The ownership graph of a customer (its parties, and those of linked entity customers), computed."""
    customer = customer_get(customer_id=customer_id)
    nodes: dict[str, OwnerNode] = {
        customer.customer_id: OwnerNode(customer.customer_id, customer.customer_type, customer.legal_name)
    }
    holders_of: dict[str, str] = {customer.customer_id: customer.customer_id}
    holdings: list[Holding] = []
    declared: list[str] = []
    pending: list[str] = [customer.customer_id]
    loaded: set[str] = set()
    incomplete = False
    while pending:
        current = pending.pop(0)
        if current in loaded:
            continue
        if len(loaded) >= MAX_OWNERSHIP_CUSTOMERS:
            incomplete = True
            break
        loaded.add(current)
        parties = related_party_list(customer_id=current)
        by_id = {party.party_id: party for party in parties}
        for party in parties:
            node = party_node_id(party)
            if node not in nodes:
                kind = party.party_type or "individual"
                identity = (person_identity(name_norm=party.name_norm or name_normalise(party.name or ""),
                                            date_of_birth=party.date_of_birth) if kind == "individual" else None)
                nodes[node] = OwnerNode(node, kind, party.name or node,
                                        tuple(str(role) for role in party.roles or []), identity=identity)
            holders_of.setdefault(node, current)
            if "beneficial_owner" in (party.roles or []) and node not in declared:
                declared.append(node)
            for holding in party.holding_list:
                parent = by_id.get(holding["parent_party_id"] or "")
                owned = party_node_id(parent) if parent is not None else current
                holdings.append(Holding(owner=node, owned=owned, percentage=float(holding["percentage"])))
            if party.linked_customer_id and party.linked_customer_id not in loaded:
                pending.append(party.linked_customer_id)
    result = ownership_compute(
        root=customer.customer_id, nodes=nodes, holdings=holdings, threshold=float(settings.CDD_UBO_THRESHOLD)
    )
    # A person recorded twice and declared on either record is declared once, as the merged owner.
    declared = list(dict.fromkeys(result.canonical(node) for node in declared))
    return OwnershipView(customer=customer, nodes=nodes, holders_of=holders_of, declared_beneficial_owners=declared,
                         result=result, customers_loaded=len(loaded), incomplete=incomplete,
                         unidentified_limit=float(settings.CDD_UBO_UNIDENTIFIED_MAX))


def ownership_summary(*, customer_id: str) -> dict[str, Any]:
    """How complex and how transparent a customer's ownership is, as inputs of the risk model.

    ``layers``: the longest chain of holdings; ``cycles``: how many circular holdings;
    ``unidentified_share``: % not traced to individuals; ``nominee_or_trust``: a holder's role
    (nominee, trustee), name or legal form suggests it holds for others; ``beneficial_owners``:
    computed ones; ``parties``: distinct parties in the graph (merged records count once).
    """
    view = ownership_get(customer_id=customer_id)
    result = view.result
    others = [node for node_id, node in view.nodes.items() if node_id != customer_id]
    linked = customers_get(customer_ids=[n.node_id for n in others if n.node_id.startswith(CUSTOMER_PREFIX)])
    # Every record counts here, merged or not: a second record may be the one that says "trustee".
    nominee_or_trust = any(
        nominee_or_trust_suggested(name=node.name, roles=node.roles,
                                   legal_form=linked[node.node_id].legal_form if node.node_id in linked else None)
        for node in others
    )
    return {
        "layers": result.layers,
        "cycles": len(result.cycles),
        "unidentified_share": result.unidentified_share,
        "nominee_or_trust": nominee_or_trust,
        "beneficial_owners": len(result.beneficial_owners),
        "parties": len([node for node in others if node.node_id not in result.aliases]),
    }
