"""Every write to customers and related parties: validate, write with its audit event in one
transaction, and record in that same transaction the work the write implies (outbox items:
screen this customer or party, open the onboarding case), handed to the workers after the commit.

Customers sits below screening and reviews: it never imports them. They call the functions at the
end of this module (``customer_status_decide_write``, ``customer_match_confirm_write``) to change a
customer inside their own transactions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record, audit_read_record
from apps.core.dynamo import cancellation_codes, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import Conflict, PreconditionFailed, ServiceUnavailable, ValidationFailed
from apps.core.outbox import outbox_item_new, outbox_put, outbox_send
from apps.customers.errors import (
    ExternalReferenceTaken,
    IdempotencyKeyClaimed,
    PartiesBusy,
    PartyHasHolders,
    StaleVersion,
)
from apps.customers.idempotency import IdempotencyClaim, idempotency_write
from apps.customers.models import (
    CUSTOMER_PREFIX,
    PARTY_PREFIX,
    REVIEW_BUCKET,
    Customer,
    CustomerExternalRef,
    RelatedParty,
)
from apps.customers.name_index import (
    CUSTOMER_SUBJECT,
    IndexWrites,
    customer_entries,
    name_index_writes,
    party_entries,
)
from apps.customers.selectors import (
    customer_get,
    customer_get_by_external_reference,
    external_ref_key,
    related_party_get,
    related_party_head_get,
    related_party_list,
)
from apps.customers.validation import (
    CDD_LEVELS,
    CUSTOMER_TYPES,
    DECIDED_STATUSES,
    INITIAL_STATUSES,
    LEGAL_ENTITY,
    PARTY_ROLES,
    PEP_STATUSES,
    REACTIVATED_FROM,
    RISK_RATINGS,
    STATUSES,
    country_problem,
    future_date_problem,
    lei_problem,
    name_normalise,
    name_prefix_key,
    ownership_sum_problem,
    partial_date_problem,
    percentage_problem,
    status_transition_problem,
    type_problems,
)

Write = Callable[[TransactWrite], None]


def _save(record: Any, condition: Any = None) -> Write:
    def write(tx: TransactWrite) -> None:
        tx.save(record, condition=condition)

    return write


def _delete(record: Any) -> Write:
    def write(tx: TransactWrite) -> None:
        tx.delete(record)

    return write

# Fields a PATCH may change; customer_type and external_reference are fixed at creation,
# risk_rating and cdd_level are set by the risk model through customer_risk_set.
CUSTOMER_EDITABLE = frozenset({
    "legal_name", "other_names", "former_names", "date_of_birth", "nationalities", "country_of_residence",
    "occupation", "registration_number", "jurisdiction", "lei", "legal_form", "industry_code",
    "incorporation_date", "addresses", "identity_documents", "products", "channels", "status", "next_review_date",
    "pep_status", "operating_countries",
})
PARTY_EDITABLE = frozenset({
    "roles", "name", "other_names", "date_of_birth", "nationalities", "country_of_residence",
    "registration_number", "jurisdiction", "ownership_percentage", "parent_party_id", "holdings",
    "linked_customer_id",
})
# What older clients send for a party's one holding; ``holdings`` replaces them.
PARTY_LEGACY_HOLDING = ("ownership_percentage", "parent_party_id")
# Changes to these fields of a party mean it must be screened again.
PARTY_SCREENED = frozenset({"name", "other_names", "date_of_birth", "nationalities", "country_of_residence",
                            "registration_number", "jurisdiction"})
PARTY_WRITE_ATTEMPTS = 4
# Changes to these fields of a party change who owns or controls the customer (risk, trigger review).
PARTY_OWNERSHIP = frozenset({"roles", "ownership_percentage", "parent_party_id", "holdings", "linked_customer_id",
                             "nationalities", "country_of_residence", "jurisdiction", "name"})
# Changes to these fields of a customer mean it must be screened again.
CUSTOMER_SCREENED = frozenset({"legal_name", "other_names", "former_names", "date_of_birth", "nationalities",
                               "country_of_residence", "jurisdiction", "registration_number", "customer_type"})
# Changes to these fields of a customer are inputs of the risk model: it rates the customer again.
CUSTOMER_RISK_INPUTS = frozenset({"customer_type", "legal_form", "nationalities", "country_of_residence",
                                  "jurisdiction", "occupation", "industry_code", "products", "channels", "pep_status",
                                  "operating_countries", "addresses", "status"})
SCREENING_TOPIC = "screening.subject"
ONBOARDING_TOPIC = "reviews.onboarding_case"
RISK_TOPIC = "reviews.risk_assess"
TRIGGER_CASE_TOPIC = "reviews.trigger_case"
# Customers in a relationship get a trigger review when something material happens; a prospect's or an
# onboarding customer's onboarding case covers it.
IN_RELATIONSHIP = frozenset({"active", "suspended", "dormant"})


def screening_request_new(*, customer_id: str, subject_id: str, trigger: str, outbox_id: str | None = None,
                          **context: str) -> OutboxItem:
    """The outbox item that asks a worker to screen one subject (the customer, or one of its parties).

    ``outbox_id``: a deterministic id, for jobs whose redelivery must not request twice; ``context`` goes
    into the payload (the list version or job that asked).
    """
    return outbox_item_new(topic=SCREENING_TOPIC, group_key=customer_id, outbox_id=outbox_id,
                           payload={"customer_id": customer_id, "subject_id": subject_id, "trigger": trigger,
                                    **context})


# Cancellation codes and errors that mean "the database could not do it now", not "your data is wrong".
RETRYABLE = frozenset({"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded",
                       "TransactionInProgressException", "ThrottlingException", "InternalServerError",
                       "ProvisionedThroughputExceededException", "RequestLimitExceeded"})


def _storage_error(exc: TransactWriteError) -> Exception:
    """A 503 the client can retry for a transient database failure; the original error otherwise."""
    codes = {code for code in cancellation_codes(exc) if code}
    cause = exc.cause_response_code
    if (codes and codes <= RETRYABLE) or (not codes and cause != "TransactionCanceledException"):
        return ServiceUnavailable(
            "The database did not complete the write. Retry: a POST with the same Idempotency-Key, "
            "a PATCH or DELETE after reading the record again."
        )
    return exc


def _failed(message: str, errors: dict[str, list[str]]) -> ValidationFailed:
    return ValidationFailed(f"{message}: check {', '.join(sorted(errors))}.", errors=errors)


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _add(errors: dict[str, list[str]], name: str, problem: str | None) -> None:
    if problem:
        errors.setdefault(name, []).append(problem)


def customer_values_problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """Every field-level problem of a customer's full set of values (``{}`` when it is valid)."""
    errors: dict[str, list[str]] = {}
    if values.get("customer_type") not in CUSTOMER_TYPES:
        _add(errors, "customer_type", f"Must be one of: {', '.join(CUSTOMER_TYPES)}.")
        return errors
    if values.get("status") not in STATUSES:
        _add(errors, "status", f"Must be one of: {', '.join(STATUSES)}.")
    if values.get("legal_name") and not name_normalise(values["legal_name"]):
        _add(errors, "legal_name", "A name needs at least one letter or digit.")
    for name in ("date_of_birth", "incorporation_date"):
        if values.get(name):
            _add(errors, name, partial_date_problem(values[name]))
    for name in ("country_of_residence", "jurisdiction"):
        if values.get(name):
            _add(errors, name, country_problem(values[name]))
    for i, country in enumerate(values.get("nationalities") or []):
        _add(errors, f"nationalities.{i}", country_problem(country))
    for i, address in enumerate(values.get("addresses") or []):
        _add(errors, f"addresses.{i}.country", country_problem(address.get("country", "")))
    for i, document in enumerate(values.get("identity_documents") or []):
        if document.get("issuing_country"):
            _add(errors, f"identity_documents.{i}.issuing_country", country_problem(document["issuing_country"]))
    if values.get("lei"):
        _add(errors, "lei", lei_problem(values["lei"]))
    if values.get("pep_status") and values["pep_status"] not in PEP_STATUSES:
        _add(errors, "pep_status", f"Must be one of: {', '.join(PEP_STATUSES)} (or null).")
    for i, country in enumerate(values.get("operating_countries") or []):
        _add(errors, f"operating_countries.{i}", country_problem(country))
    for name, problem in type_problems(customer_type=values["customer_type"], values=values).items():
        errors.setdefault(name, []).extend(problem)
    return errors


def _customer_fill(customer: Customer, values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        setattr(customer, name, value)
    customer.name_norm = name_normalise(customer.legal_name)
    customer.name_prefix = name_prefix_key(customer.name_norm)
    customer.review_bucket = REVIEW_BUCKET if customer.next_review_date else None


def _normalised_input(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in data.items():
        if name == "next_review_date":
            value = _iso(value)
        elif name in ("addresses", "identity_documents") and value is not None:
            value = [{k: _iso(v) for k, v in dict(item).items() if v not in (None, "")} for item in value]
        elif name in ("other_names", "former_names", "nationalities", "products", "channels",
                      "operating_countries") and value is None:
            value = []
        out[name] = value
    return out


def risk_request_new(*, customer_id: str, trigger: str, outbox_id: str | None = None, **context: str) -> OutboxItem:
    """The outbox item that asks the risk model to rate a customer again (an input of it changed)."""
    return outbox_item_new(topic=RISK_TOPIC, group_key=customer_id, outbox_id=outbox_id,
                           payload={"customer_id": customer_id, "trigger": trigger, **context})


def trigger_case_request_new(*, customer_id: str, event: str, reason: str, outbox_id: str | None = None,
                             **context: str) -> OutboxItem:
    """The outbox item that opens a trigger review of a customer (or adds the event to the one open)."""
    return outbox_item_new(topic=TRIGGER_CASE_TOPIC, group_key=customer_id, outbox_id=outbox_id,
                           payload={"customer_id": customer_id, "event": event, "reason": reason, **context})


def customer_create(
    *, actor: Actor, data: Mapping[str, Any], integration: str, idempotency: IdempotencyClaim | None = None
) -> Customer:
    """Create a customer with its audit event (and external reference guard) in one transaction."""
    values = _normalised_input(data)
    values.setdefault("status", "prospect")
    errors = customer_values_problems(values)
    if values["status"] not in INITIAL_STATUSES and "status" not in errors:
        _add(errors, "status", f"A new customer starts as one of: {', '.join(INITIAL_STATUSES)}.")
    if values.get("next_review_date"):
        _add(errors, "next_review_date", future_date_problem(date.fromisoformat(values["next_review_date"])))
    if errors:
        raise _failed("The customer is not valid", errors)

    now = utcnow()
    customer = Customer(f"{CUSTOMER_PREFIX}{ULID()}", integration=integration, created_at=now, updated_at=now,
                        created_by=actor.key)
    _customer_fill(customer, values)
    writes: list[Write] = [_save(customer, Customer.customer_id.does_not_exist())]
    reference = customer.external_reference
    if reference:
        guard = CustomerExternalRef(external_ref_key(integration=integration, external_reference=reference),
                                    customer_id=customer.customer_id, created_at=now)
        writes.append(_save(guard, CustomerExternalRef.ref_key.does_not_exist()))
    idempotency_at = len(writes)
    if idempotency is not None:
        writes.append(idempotency_write(claim=idempotency, resource_type="customer",
                                        resource_id=customer.customer_id, status_code=201))
    # The follow-up work commits with the customer: nothing created goes unscreened or without its case.
    followups = [screening_request_new(customer_id=customer.customer_id, subject_id="customer", trigger="created"),
                 outbox_item_new(topic=ONBOARDING_TOPIC, group_key=customer.customer_id,
                                 payload={"customer_id": customer.customer_id})]
    # The name-token index commits with the customer too (only puts: the positions above stay as they are).
    index = name_index_writes(customer_id=customer.customer_id, subject=CUSTOMER_SUBJECT, integration=integration,
                              before={}, after=customer_entries(customer.as_dict()))
    followups += index.followups
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action="customer.created", object_type="customer",
                             object_id=customer.customer_id, before=None, after=customer.as_dict(),
                             data={"integration": integration, "followups": [i.outbox_id for i in followups]}),
            writes=[*writes, *(outbox_put(item) for item in followups), *index.puts],
        )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        claimed = "ConditionalCheckFailed"
        if idempotency is not None and len(codes) > idempotency_at and codes[idempotency_at] == claimed:
            raise IdempotencyKeyClaimed from exc
        if reference and len(codes) > 1 and codes[1] == claimed:
            existing = customer_get_by_external_reference(integration=integration, external_reference=reference)
            which = f" ({existing.customer_id})" if existing else ""
            raise ExternalReferenceTaken(
                f"Another customer{which} already has external reference '{reference}'; "
                "read it instead of creating a new one.",
                errors={"external_reference": ["Already used by another customer of this integration."]},
            ) from exc
        raise _storage_error(exc) from exc
    outbox_send(followups)
    return customer


def _customer_write(*, customer: Customer, before: dict[str, Any], actor: Actor, action: str,
                    reason: str | None = None) -> Customer:
    """Save a changed customer with its audit event; a concurrent write makes it a 412.

    A change of a screened field records a screening request in the same transaction.
    """
    customer.updated_at = utcnow()
    after = customer.as_dict()
    changed = {name for name in after if after[name] != before.get(name)}
    followups = ([screening_request_new(customer_id=customer.customer_id, subject_id="customer", trigger="changed")]
                 if changed & CUSTOMER_SCREENED else [])
    if changed & CUSTOMER_RISK_INPUTS and action == "customer.updated":
        followups.append(risk_request_new(customer_id=customer.customer_id, trigger="customer_changed"))
    if "status" in changed and before.get("status") in REACTIVATED_FROM and customer.status == "active":
        followups.append(trigger_case_request_new(
            customer_id=customer.customer_id, event="customer.reactivated",
            reason=f"Made active again after being {before.get('status')}: review the relationship."))
    index = name_index_writes(customer_id=customer.customer_id, subject=CUSTOMER_SUBJECT,
                              integration=customer.integration, before=customer_entries(before),
                              after=customer_entries(after))
    followups += index.followups
    data: dict[str, Any] = {"fields": sorted(changed)}
    if followups:
        data["followups"] = [i.outbox_id for i in followups]
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action=action, object_type="customer", object_id=customer.customer_id,
                             before={k: before.get(k) for k in changed}, after={k: after[k] for k in changed},
                             reason=reason, data=data),
            # pynamodb adds the version check; the index's deletes go first in the request, whatever the order here
            writes=[*index.deletes, _save(customer), *(outbox_put(item) for item in followups), *index.puts],
        )
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)[index.skip:]
        if codes and codes[0] == "ConditionalCheckFailed":
            raise StaleVersion(
                f"Customer {customer.customer_id} was changed by someone else while you wrote; "
                "GET it again (new ETag) and reapply your change."
            ) from exc
        raise _storage_error(exc) from exc
    outbox_send(followups)
    return customer


def _version_check(*, kind: str, record_id: str, current: int | None, expected: int) -> None:
    if current != expected:
        raise StaleVersion(
            f"{kind} {record_id} has changed since you read it (your version {expected}, current {current}); "
            "GET it again (new ETag) and reapply your change."
        )


def customer_update(*, customer_id: str, expected_version: int, changes: Mapping[str, Any], actor: Actor) -> Customer:
    """Apply a partial update if the caller saw the current version (If-Match); audit field by field."""
    unknown = sorted(set(changes) - CUSTOMER_EDITABLE)
    if unknown:
        raise _failed("These fields cannot be changed", {name: ["This field cannot be changed."] for name in unknown})
    customer = customer_get(customer_id=customer_id, consistent=True)
    _version_check(kind="Customer", record_id=customer_id, current=customer.version, expected=expected_version)
    before = customer.as_dict()
    values = _normalised_input(changes)
    merged = {**before, **values}
    errors = customer_values_problems(merged)
    errors = {name: problems for name, problems in errors.items() if name.split(".")[0] in values}
    if "legal_name" in values and not values["legal_name"]:
        _add(errors, "legal_name", "A customer needs a legal name.")
    reactivation = values.get("status") == "active" and customer.status in REACTIVATED_FROM
    if values.get("status") in DECIDED_STATUSES and values["status"] != customer.status and "status" not in errors \
            and not reactivation:
        _add(errors, "status", f"'{values['status']}' is set by a reviewer's decision on the onboarding case, "
                               "not by a change to the customer: submit the case for review.")
    if "status" in values and "status" not in errors:
        _add(errors, "status", status_transition_problem(customer.status, values["status"]))
    if values.get("next_review_date") and values["next_review_date"] != before["next_review_date"]:
        _add(errors, "next_review_date", future_date_problem(date.fromisoformat(values["next_review_date"])))
    if errors:
        raise _failed("The change is not valid", errors)
    if all(before.get(name) == value for name, value in values.items()):
        return customer  # nothing changes: no write, no event, same ETag
    _customer_fill(customer, values)
    return _customer_write(customer=customer, before=before, actor=actor, action="customer.updated")


def customer_risk_set_write(*, customer_id: str, risk_rating: str, cdd_level: str, next_review_date: date | None,
                            assessment_id: str, actor: Actor, reason: str,
                            expected_version: int | None = None) -> tuple[Write, AuditEntry] | None:
    """The write and customer-chain event of a risk assessment's outcome (None: nothing on the customer changes).

    Only the reviews app's risk service calls this, inside the transaction that stores the assessment, so
    the customer's rating and the assessment that explains it never disagree. ``expected_version``: the
    customer version the assessment read; a change since then fails the transaction and the risk is rated again.
    """
    errors: dict[str, list[str]] = {}
    if risk_rating not in RISK_RATINGS:
        _add(errors, "risk_rating", f"Must be one of: {', '.join(RISK_RATINGS)}.")
    if cdd_level not in CDD_LEVELS:
        _add(errors, "cdd_level", f"Must be one of: {', '.join(CDD_LEVELS)}.")
    if errors:
        raise _failed("The risk outcome is not valid", errors)
    customer = customer_get(customer_id=customer_id, consistent=True)
    if expected_version is not None and customer.version != expected_version:
        raise StaleVersion(f"Customer {customer_id} changed while its risk was assessed; assess it again.")
    before = customer.as_dict()
    _customer_fill(customer, {"risk_rating": risk_rating, "cdd_level": cdd_level,
                              "next_review_date": _iso(next_review_date)})
    changed = {k for k in ("risk_rating", "cdd_level", "next_review_date") if before[k] != getattr(customer, k)}
    if not changed:
        return None
    customer.risk_assessment_id = assessment_id
    customer.updated_at = utcnow()
    entry = AuditEntry(actor=actor, action="customer.risk_rated", object_type="customer", object_id=customer_id,
                       before={k: before[k] for k in sorted(changed)},
                       after={k: getattr(customer, k) for k in sorted(changed)}, reason=reason,
                       data={"assessment_id": assessment_id, "fields": sorted(changed)})
    return _save(customer), entry


def customer_review_done_write(*, customer_id: str, review_date: date, next_review_date: date, actor: Actor,
                               case_id: str, reason: str) -> tuple[Write, AuditEntry]:
    """A review was approved: the customer's last and next review dates, in the decision's transaction."""
    customer = customer_get(customer_id=customer_id, consistent=True)
    before = {"last_review_date": customer.last_review_date, "next_review_date": customer.next_review_date}
    _customer_fill(customer, {"last_review_date": review_date.isoformat(),
                              "next_review_date": next_review_date.isoformat()})
    customer.updated_at = utcnow()
    after = {"last_review_date": customer.last_review_date, "next_review_date": customer.next_review_date}
    entry = AuditEntry(actor=actor, action="customer.reviewed", object_type="customer", object_id=customer_id,
                       before=before, after=after, reason=reason, data={"case_id": case_id})
    return _save(customer), entry


def customer_risk_set(*, customer_id: str, risk_rating: str, cdd_level: str, next_review_date: date | None,
                      actor: Actor, reason: str, assessment_id: str = "manual") -> Customer:
    """Record a risk outcome on its own (migrations, tests); the risk service writes it with its assessment."""
    outcome = customer_risk_set_write(customer_id=customer_id, risk_rating=risk_rating, cdd_level=cdd_level,
                                      next_review_date=next_review_date, assessment_id=assessment_id, actor=actor,
                                      reason=reason)
    if outcome is not None:
        write, entry = outcome
        try:
            audit_event_record(entry=entry, writes=[write])
        except TransactWriteError as exc:
            raise _storage_error(exc) from exc
    return customer_get(customer_id=customer_id, consistent=True)


def customer_profile_view(*, customer_id: str, actor: Actor) -> tuple[Customer, list[RelatedParty]]:
    """The full profile (customer and its related parties); a sensitive read, so it is audited."""
    customer = customer_get(customer_id=customer_id)
    parties = related_party_list(customer_id=customer_id)
    audit_read_record(actor=actor, action="customer.viewed", object_type="customer", object_id=customer_id,
                      data={"view": "profile", "related_parties": len(parties)})
    return customer, parties


# --- related parties -------------------------------------------------------------------------


def _holdings_resolve(*, current: Mapping[str, Any], changes: Mapping[str, Any]
                      ) -> tuple[dict[str, Any], bool, dict[str, list[str]]]:
    """A party's holdings and the two legacy fields after ``changes``; whether the client used the legacy fields.

    An older client's ``ownership_percentage``/``parent_party_id`` describe the first holding: they
    replace it and keep the others. ``holdings`` replaces every holding. Both at once is a problem.
    """
    errors: dict[str, list[str]] = {}
    current_holdings = list(current.get("holdings") or [])
    # Without a share, parent_party_id may still relate the party to an entity party (as its director).
    relation = None if current_holdings else current.get("parent_party_id")
    if changes.get("holdings") is not None:
        for name in PARTY_LEGACY_HOLDING:
            if changes.get(name) is not None:
                _add(errors, name, "Send holdings or ownership_percentage/parent_party_id, not both: "
                                   "holdings replaces them.")
        holdings = [{"parent_party_id": item.get("parent_party_id") or None, "percentage": item.get("percentage")}
                    for item in changes["holdings"]]
        legacy = False
    elif any(name in changes for name in PARTY_LEGACY_HOLDING):
        first = current_holdings[0] if current_holdings else None
        percentage = changes["ownership_percentage"] if "ownership_percentage" in changes else (
            first["percentage"] if first else current.get("ownership_percentage"))
        parent = changes["parent_party_id"] if "parent_party_id" in changes else (
            first["parent_party_id"] if first else current.get("parent_party_id"))
        rest = current_holdings[1:]
        holdings = [{"parent_party_id": parent or None, "percentage": percentage}, *rest] if percentage is not None \
            else rest
        relation, legacy = parent, True
    else:
        holdings, legacy = current_holdings, True
    if holdings:
        resolved = {"holdings": holdings, "ownership_percentage": holdings[0]["percentage"],
                    "parent_party_id": holdings[0]["parent_party_id"]}
    else:
        resolved = {"holdings": [], "ownership_percentage": None, "parent_party_id": relation or None}
    return resolved, legacy, errors


def _party_problems(*, values: Mapping[str, Any], customer_id: str, party_id: str | None,
                    parties: list[RelatedParty], legacy: bool = False) -> dict[str, list[str]]:
    """Field problems of a party's full set of values among its customer's other parties.

    ``legacy``: the client sent ownership_percentage/parent_party_id, so problems of the first
    holding are named after those fields.
    """
    errors: dict[str, list[str]] = {}
    party_type = values.get("party_type")
    if party_type not in CUSTOMER_TYPES:
        _add(errors, "party_type", f"Must be one of: {', '.join(CUSTOMER_TYPES)}.")
        return errors
    if not values.get("name") or not name_normalise(values["name"]):
        _add(errors, "name", "A party needs a name with at least one letter or digit.")
    roles = values.get("roles") or []
    if not roles:
        _add(errors, "roles", f"Give at least one role: {', '.join(PARTY_ROLES)}.")
    for role in roles:
        if role not in PARTY_ROLES:
            _add(errors, "roles", f"'{role}' is not one of: {', '.join(PARTY_ROLES)}.")
    if values.get("date_of_birth"):
        if party_type == LEGAL_ENTITY:
            _add(errors, "date_of_birth", "This field does not apply to a legal entity.")
        else:
            _add(errors, "date_of_birth", partial_date_problem(values["date_of_birth"]))
    for name in ("country_of_residence", "jurisdiction"):
        if values.get(name):
            _add(errors, name, country_problem(values[name]))
    for i, country in enumerate(values.get("nationalities") or []):
        _add(errors, f"nationalities.{i}", country_problem(country))
    if party_type != LEGAL_ENTITY:
        for name in ("registration_number", "jurisdiction", "linked_customer_id"):
            if values.get(name):
                _add(errors, name, "This field does not apply to an individual.")
    holdings = list(values.get("holdings") or [])
    by_id = {party.party_id: party for party in parties}
    held: set[str | None] = set()
    for i, holding in enumerate(holdings):
        parent_id, percentage = holding.get("parent_party_id"), holding.get("percentage")
        if isinstance(percentage, bool) or not isinstance(percentage, int | float):
            _add(errors, f"holdings.{i}.percentage", "A holding needs a percentage, a number from 0 to 100.")
        else:
            _add(errors, f"holdings.{i}.percentage", percentage_problem(float(percentage)))
        if parent_id in held:
            _add(errors, f"holdings.{i}.parent_party_id", "Another holding of this party is of the same entity; "
                                                          "give one holding per entity, with its whole percentage.")
        held.add(parent_id)
        if parent_id:
            _add(errors, f"holdings.{i}.parent_party_id", _parent_problem(
                parent_id=parent_id, party_id=party_id, customer_id=customer_id, by_id=by_id))
    if "shareholder" in roles and not holdings:
        _add(errors, "holdings", "A shareholder needs at least one holding (an ownership percentage).")
    relation = values.get("parent_party_id")
    if relation and not holdings:
        _add(errors, "parent_party_id", _parent_problem(
            parent_id=relation, party_id=party_id, customer_id=customer_id, by_id=by_id))
    linked = values.get("linked_customer_id")
    if linked and party_type == LEGAL_ENTITY:
        if linked == customer_id:
            _add(errors, "linked_customer_id", "A customer cannot be its own related party.")
        else:
            try:
                other = customer_get(customer_id=linked)
            except Exception:  # noqa: BLE001 - any lookup failure is reported on the field
                _add(errors, "linked_customer_id", f"No customer {linked}; check the id.")
            else:
                if other.customer_type != LEGAL_ENTITY:
                    _add(errors, "linked_customer_id", f"Customer {linked} is an individual, not a legal entity.")
    for i, holding in enumerate(holdings):
        name = f"holdings.{i}.percentage"
        if name in errors or f"holdings.{i}.parent_party_id" in errors:
            continue
        # Every holding of this parent by the other parties, whichever of their holdings it is.
        others = [h["percentage"] for p in parties if p.party_id != party_id for h in p.holding_list
                  if h["parent_party_id"] == holding.get("parent_party_id")]
        _add(errors, name, ownership_sum_problem([*others, float(holding["percentage"])]))
    if legacy:
        for new, old in (("holdings.0.percentage", "ownership_percentage"),
                         ("holdings.0.parent_party_id", "parent_party_id"), ("holdings", "ownership_percentage")):
            if new in errors:
                errors.setdefault(old, []).extend(errors.pop(new))
    return errors


def _parent_problem(*, parent_id: str, party_id: str | None, customer_id: str,
                    by_id: Mapping[str, RelatedParty]) -> str | None:
    """Why the party ``party_id`` (None: a new one) cannot hold the entity party ``parent_id``, if it cannot."""
    parent = by_id.get(parent_id)
    if parent is None:
        return f"No related party {parent_id} on customer {customer_id}."
    if parent.party_type != LEGAL_ENTITY:
        return "Only a legal entity party can have holders."
    if parent_id == party_id:
        return "A party cannot hold itself."
    if party_id is not None and _descends_from(parent_id, party_id, by_id):
        return "That party is one of this party's own holders; the chain would loop."
    return None


def _held_by(party: RelatedParty) -> set[str]:
    """The entity parties that ``party`` holds (any holding) or relates to (parent_party_id)."""
    held = {str(h["parent_party_id"]) for h in party.holding_list if h["parent_party_id"]}
    return held | ({party.parent_party_id} if party.parent_party_id else set())


def _ownership_followups(*, customer: Customer, what: str) -> list[OutboxItem]:
    """A change of parties changes the risk (ownership, parties' countries); for a customer in a relationship an
    ownership change also opens a trigger review."""
    items = [risk_request_new(customer_id=customer.customer_id, trigger="parties_changed")]
    if customer.status in IN_RELATIONSHIP:
        items.append(trigger_case_request_new(customer_id=customer.customer_id, event="ownership.changed",
                                              reason=f"Ownership or control changed: {what}."))
    return items


def _descends_from(candidate: str, ancestor: str, by_id: Mapping[str, RelatedParty]) -> bool:
    """Is ``candidate`` (transitively, through any of its holdings) a holder of ``ancestor`` within one customer?"""
    seen: set[str] = set()
    pending = [candidate]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        party = by_id.get(current)
        for held in _held_by(party) if party else set():
            if held == ancestor:
                return True
            pending.append(held)
    return False


def _party_customer(customer_id: str) -> Customer:
    customer = customer_get(customer_id=customer_id, consistent=True)
    if customer.customer_type != LEGAL_ENTITY:
        raise ValidationFailed(
            f"Customer {customer_id} is an individual; related parties belong to legal entities.",
            errors={"customer_id": ["Related parties can be added to legal entity customers only."]},
        )
    return customer


def _party_commit(*, head: RelatedParty, writes: list[Write], entry: AuditEntry,
                  followups: list[OutboxItem] | None = None, index: IndexWrites | None = None) -> None:
    """Commit party writes with the head bump, the audit event, the follow-up work and the name index's diff;
    map the failed condition (the index's deletes go first in the request: their codes are skipped)."""
    index = index or IndexWrites()
    all_writes = [*index.deletes, *writes, _save(head), *(outbox_put(item) for item in followups or []),
                  *index.puts]
    try:
        audit_event_record(entry=entry, writes=all_writes)
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)[index.skip:]
        if len(codes) > len(writes) and codes[len(writes)] and not any(codes[: len(writes)]):
            raise PartiesBusy("Another change to this customer's parties committed first.") from exc
        raise _storage_error(exc) from exc


def related_party_add(*, customer_id: str, data: Mapping[str, Any], actor: Actor,
                      idempotency: IdempotencyClaim | None = None) -> RelatedParty:
    """Add a related party to a legal entity, checking holder sums against the current parties."""
    customer = _party_customer(customer_id)
    values = {name: value for name, value in data.items() if value is not None}
    for name in ("other_names", "nationalities", "roles"):
        values[name] = list(dict.fromkeys(values.get(name) or []))
    resolved, legacy, errors = _holdings_resolve(current={}, changes=values)
    if errors:
        raise _failed("The related party is not valid", errors)
    values.update(resolved)
    for attempt in range(PARTY_WRITE_ATTEMPTS):
        head = related_party_head_get(customer_id=customer_id)
        parties = related_party_list(customer_id=customer_id, consistent=True)
        errors = _party_problems(values=values, customer_id=customer_id, party_id=None, parties=parties,
                                 legacy=legacy)
        if errors:
            raise _failed("The related party is not valid", errors)
        now = utcnow()
        party = RelatedParty(customer_id, f"{PARTY_PREFIX}{ULID()}", created_at=now, updated_at=now)
        for name, value in values.items():
            setattr(party, name, value)
        party.name_norm = name_normalise(party.name or "")
        writes: list[Write] = [_save(party, RelatedParty.party_id.does_not_exist())]
        if idempotency is not None:
            writes.append(idempotency_write(claim=idempotency, resource_type="related_party",
                                            resource_id=f"{customer_id}/{party.party_id}", status_code=201))
        followups = [screening_request_new(customer_id=customer_id, subject_id=party.party_id, trigger="party_added"),
                     *_ownership_followups(customer=customer, what=f"{party.name} added as {', '.join(str(r) for r in party.roles)}")]
        index = name_index_writes(customer_id=customer_id, subject=party.party_id, integration=customer.integration,
                                  before={}, after=party_entries(party.as_dict()))
        followups += index.followups
        entry = AuditEntry(actor=actor, action="related_party.added", object_type="customer", object_id=customer_id,
                           before=None, after=party.as_dict(),
                           data={"party_id": party.party_id, "followups": [i.outbox_id for i in followups]})
        try:
            _party_commit(head=head, writes=writes, entry=entry, followups=followups, index=index)
        except PartiesBusy:
            if attempt + 1 == PARTY_WRITE_ATTEMPTS:
                raise
            continue
        except TransactWriteError as exc:
            codes = cancellation_codes(exc)
            if idempotency is not None and len(codes) > 1 and codes[1] == "ConditionalCheckFailed":
                raise IdempotencyKeyClaimed from exc
            raise _storage_error(exc) from exc
        outbox_send(followups)
        return party
    raise PartiesBusy("This customer's parties are being changed by others; try again.")  # pragma: no cover


def related_party_update(*, customer_id: str, party_id: str, expected_version: int, changes: Mapping[str, Any],
                         actor: Actor) -> RelatedParty:
    """Change a party if the caller saw its current version (If-Match); holder sums are re-checked."""
    unknown = sorted(set(changes) - PARTY_EDITABLE)
    if unknown:
        raise _failed("These fields cannot be changed", {name: ["This field cannot be changed."] for name in unknown})
    customer = _party_customer(customer_id)
    values = dict(changes)
    for name in ("other_names", "nationalities", "roles"):
        if name in values:
            values[name] = list(dict.fromkeys(values[name] or []))
    for attempt in range(PARTY_WRITE_ATTEMPTS):
        head = related_party_head_get(customer_id=customer_id)
        party = related_party_get(customer_id=customer_id, party_id=party_id, consistent=True)
        _version_check(kind="Related party", record_id=party_id, current=party.version, expected=expected_version)
        parties = related_party_list(customer_id=customer_id, consistent=True)
        before = party.as_dict()
        resolved, legacy, errors = _holdings_resolve(current=before, changes=values)
        if errors:
            raise _failed("The change is not valid", errors)
        write = {**values, **resolved}
        merged = {**before, **write}
        errors = _party_problems(values=merged, customer_id=customer_id, party_id=party_id, parties=parties,
                                 legacy=legacy)
        if errors:
            raise _failed("The change is not valid", errors)
        if all(before.get(name) == value for name, value in write.items()):
            return party
        for name, value in write.items():
            setattr(party, name, value)
        party.name_norm = name_normalise(party.name or "")
        party.updated_at = utcnow()
        after = party.as_dict()
        changed = sorted(name for name in after if after[name] != before.get(name))
        followups = ([screening_request_new(customer_id=customer_id, subject_id=party_id, trigger="party_changed")]
                     if PARTY_SCREENED & set(changed) else [])
        if set(changed) & PARTY_OWNERSHIP:
            followups += _ownership_followups(customer=customer, what=f"{party.name}: {', '.join(changed)} changed")
        index = name_index_writes(customer_id=customer_id, subject=party_id, integration=customer.integration,
                                  before=party_entries(before), after=party_entries(after))
        followups += index.followups
        entry = AuditEntry(actor=actor, action="related_party.updated", object_type="customer",
                           object_id=customer_id, before={k: before[k] for k in changed},
                           after={k: after[k] for k in changed},
                           data={"party_id": party_id, "fields": changed, "followups": [i.outbox_id for i in followups]})
        try:
            _party_commit(head=head, writes=[_save(party)], entry=entry, followups=followups, index=index)
        except PartiesBusy:
            if attempt + 1 == PARTY_WRITE_ATTEMPTS:
                raise
            continue
        except TransactWriteError as exc:
            if cancellation_codes(exc)[index.skip:][:1] == ["ConditionalCheckFailed"]:
                raise StaleVersion(
                    f"Related party {party_id} was changed by someone else while you wrote; GET it again."
                ) from exc
            raise _storage_error(exc) from exc
        outbox_send(followups)
        return party
    raise PartiesBusy("This customer's parties are being changed by others; try again.")  # pragma: no cover


def related_party_remove(*, customer_id: str, party_id: str, expected_version: int, actor: Actor) -> None:
    """Remove a party the caller saw at its current version; refused while it still has holders."""
    owner = customer_get(customer_id=customer_id)
    for attempt in range(PARTY_WRITE_ATTEMPTS):
        head = related_party_head_get(customer_id=customer_id)
        party = related_party_get(customer_id=customer_id, party_id=party_id, consistent=True)
        _version_check(kind="Related party", record_id=party_id, current=party.version, expected=expected_version)
        holders = [p.party_id for p in related_party_list(customer_id=customer_id, consistent=True)
                   if party_id in _held_by(p)]
        if holders:
            raise PartyHasHolders(
                f"Related party {party_id} still has holders ({', '.join(holders)}); remove or move them first."
            )
        index = name_index_writes(customer_id=customer_id, subject=party_id, integration=owner.integration,
                                  before=party_entries(party.as_dict()), after={})
        entry = AuditEntry(actor=actor, action="related_party.removed", object_type="customer", object_id=customer_id,
                           before=party.as_dict(), after=None, data={"party_id": party_id})
        try:
            # A delete goes before the puts in a DynamoDB transaction: after the index's deletes, it is first.
            followups = [*_ownership_followups(customer=customer_get(customer_id=customer_id),
                                               what=f"{party.name} removed"), *index.followups]
            _party_commit(head=head, writes=[_delete(party)], entry=entry, followups=followups, index=index)
        except PartiesBusy:
            if attempt + 1 == PARTY_WRITE_ATTEMPTS:
                raise
            continue
        except TransactWriteError as exc:
            if cancellation_codes(exc)[index.skip:][:1] == ["ConditionalCheckFailed"]:
                raise StaleVersion(
                    f"Related party {party_id} was changed by someone else while you removed it; GET it again."
                ) from exc
            raise _storage_error(exc) from exc
        outbox_send(followups)
        return
    raise PartiesBusy("This customer's parties are being changed by others; try again.")  # pragma: no cover


# --- changes other apps make to a customer inside their own transactions ------------------------

CUSTOMER_MOVED_ATTEMPTS = 4


class CustomerMoved(Exception):
    """A decision's own record was as its author saw it, but the customer written with it changed meanwhile."""


def customer_moved_check(exc: TransactWriteError, *, customer_written: bool) -> None:
    """Raise ``CustomerMoved`` when a transaction whose first write is the caller's record failed only on a later
    write's condition (the customer item, changed by the risk worker between the read and the commit)."""
    codes = cancellation_codes(exc)
    if customer_written and codes[:1] != ["ConditionalCheckFailed"] and "ConditionalCheckFailed" in codes:
        raise CustomerMoved from exc


def decided_again_when_customer_moved[T](decide: Callable[..., T]) -> Callable[..., T]:
    """Run a decision again, on the customer as it is now, when only the customer moved under it."""
    @functools.wraps(decide)
    def run(**kwargs: Any) -> T:
        for _ in range(CUSTOMER_MOVED_ATTEMPTS - 1):
            try:
                return decide(**kwargs)
            except CustomerMoved:
                continue
        try:
            return decide(**kwargs)
        except CustomerMoved:
            raise PreconditionFailed("The customer keeps changing under this decision; try again.") from None

    return run



def customer_status_decide_write(*, customer_id: str, status: str, actor: Actor, case_id: str,
                                 rationale: str, next_review_date: date | None = None) -> tuple[Write, AuditEntry]:
    """The write and customer-chain event that a reviewer's decision on the onboarding case makes.

    ``status`` is ``active`` (approved) or ``rejected``; only the reviews service calls this, inside
    the transaction that records the decision, so the case and the customer never disagree.
    """
    if status not in DECIDED_STATUSES:
        raise ValueError(f"{status!r} is not a decided status")
    customer = customer_get(customer_id=customer_id, consistent=True)
    problem = status_transition_problem(customer.status, status)
    if problem and customer.status != status:
        raise Conflict(f"Customer {customer_id} cannot become {status}: {problem}", code="customer_status")
    before = customer.as_dict()
    customer.status = status
    if status == "active" and next_review_date is not None:
        # Approval is the first review: the periodic cycle counts from it.
        _customer_fill(customer, {"last_review_date": utcnow().date().isoformat(),
                                  "next_review_date": next_review_date.isoformat()})
    customer.updated_at = utcnow()
    after = customer.as_dict()
    changed = [k for k in ("status", "last_review_date", "next_review_date") if before[k] != after[k]]
    entry = AuditEntry(actor=actor, action="customer.activated" if status == "active" else "customer.rejected",
                       object_type="customer", object_id=customer_id, before={k: before[k] for k in changed},
                       after={k: after[k] for k in changed}, reason=rationale, data={"case_id": case_id})
    return _save(customer), entry


def customer_match_confirm_write(*, customer_id: str, alert_id: str, actor: Actor,
                                 rationale: str) -> tuple[Write, AuditEntry]:
    """Mark a customer as having a confirmed sanctions match (a reviewer confirmed alert ``alert_id``)."""
    customer = customer_get(customer_id=customer_id, consistent=True)
    known: list[str] = [str(a) for a in customer.confirmed_match_alerts or []]
    alerts = list(dict.fromkeys([*known, alert_id]))
    before = {"confirmed_match_alerts": known}
    customer.confirmed_match_alerts = alerts  # type: ignore[assignment]
    customer.updated_at = utcnow()
    entry = AuditEntry(actor=actor, action="customer.match_confirmed", object_type="customer", object_id=customer_id,
                       before=before, after={"confirmed_match_alerts": alerts}, reason=rationale,
                       data={"alert_id": alert_id})
    return _save(customer), entry
