"""The risk model's writes: versions under four-eyes, assessments, manual overrides, re-rating the book.

* The active model is the version the pointer names. A fresh installation gets the shipped model
  (``CDD_RISK_SHIPPED_MODEL``) as version 1, installed by the system and audited.
* A new version starts as a draft (a copy of the active one), is changed by analysts or senior
  reviewers, gets a what-if report over the book, and is published by a senior reviewer who neither
  created nor changed it. Publishing records the re-rating of the book in the same transaction.
* An assessment stores the model version, the inputs, each factor's contribution and the result;
  the customer's rating, CDD level and next review date change in the same transaction. A rating
  raised for a customer in a relationship opens a trigger review.
* A manual override is proposed with a reason and an expiry, confirmed by a senior reviewer who did
  not propose it, and ends on its expiry date (beat); it cannot lower a rating that an override rule
  of the model forced (a confirmed sanctions match).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import cancellation_codes, save_write, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import Conflict, Forbidden, FourEyesViolation, NotFound, PreconditionFailed, ValidationFailed
from apps.core.outbox import outbox_done_write, outbox_item_new, outbox_put, outbox_send
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.customers.errors import CustomerNotFound, StaleVersion
from apps.customers.models import Customer
from apps.customers.selectors import customer_get
from apps.customers.services import (
    IN_RELATIONSHIP,
    customer_risk_set_write,
    risk_request_new,
    trigger_case_request_new,
)
from apps.reviews.dynamo_models import (
    ACTIVE,
    ASSESSMENT_PREFIX,
    BOOK_SHARDS,
    CURRENT,
    DISCARDED,
    DRAFT,
    EXPIRED,
    MODEL_KEY,
    POINTER_VERSION,
    PROPOSED,
    PUBLISHED,
    REJECTED,
    SUPERSEDED,
    WITHDRAWN,
    RiskAssessment,
    RiskModelVersion,
    RiskOverride,
)
from apps.reviews.risk.countries import country_table
from apps.reviews.risk.inputs import risk_inputs_fingerprint, risk_inputs_gather
from apps.reviews.risk.scoring import (
    RANK,
    RATINGS,
    CompiledModel,
    ModelInvalid,
    RiskResult,
    WhatIf,
    model_compile,
    rating_raised,
)

logger = logging.getLogger(__name__)

RERATE_TOPIC = "reviews.risk_rerate_book"
REQUESTS_PER_TRANSACTION = 90
_compiled: dict[tuple[str, int], CompiledModel] = {}  # (table prefix, version): published versions never change


def _today() -> date:
    return utcnow().date()


def book_shard_of(customer_id: str) -> str:
    return f"book#{sum(customer_id.encode()) % BOOK_SHARDS}"


# --- model versions ---------------------------------------------------------------------------


def _version_get(version: int, *, consistent: bool = True) -> RiskModelVersion:
    try:
        return RiskModelVersion.get(MODEL_KEY, version, consistent_read=consistent)
    except RiskModelVersion.DoesNotExist:
        raise NotFound(f"No risk model version {version}.") from None


def risk_model_install() -> RiskModelVersion:
    """Install the shipped model as version 1 if no version is active yet (idempotent, audited)."""
    try:
        pointer = RiskModelVersion.get(MODEL_KEY, POINTER_VERSION, consistent_read=True)
        return _version_get(int(pointer.active_version or 0))
    except RiskModelVersion.DoesNotExist:
        pass
    definition = json.loads(Path(settings.CDD_RISK_SHIPPED_MODEL).read_text(encoding="utf-8"))
    model_compile(version=1, definition=definition, countries=country_table())  # refuse a broken shipped file
    now = utcnow()
    actor = Actor.system("risk.install")
    version = RiskModelVersion(MODEL_KEY, 1, status=PUBLISHED, definition=definition, created_by=actor.key,
                               created_by_name=actor.name, created_at=now, updated_at=now, published_by=actor.key,
                               published_by_name=actor.name, published_at=now,
                               note="The model shipped with the product.")
    pointer = RiskModelVersion(MODEL_KEY, POINTER_VERSION, active_version=1, updated_at=now)
    with contextlib.suppress(TransactWriteError):  # another process installed it first
        audit_event_record(
            entry=AuditEntry(actor=actor, action="risk_model.installed", object_type="risk_model",
                             object_id=MODEL_KEY, after={"version": 1}, reason="no risk model was active",
                             data={"source": str(Path(settings.CDD_RISK_SHIPPED_MODEL).name)}),
            writes=[save_write(version, RiskModelVersion.model_version.does_not_exist()),
                    save_write(pointer, RiskModelVersion.model_version.does_not_exist())],
        )
    pointer = RiskModelVersion.get(MODEL_KEY, POINTER_VERSION, consistent_read=True)
    return _version_get(int(pointer.active_version or 1))


def risk_model_active() -> CompiledModel:
    """The published model every assessment uses now (one GetItem for the pointer; versions are cached)."""
    try:
        pointer = RiskModelVersion.get(MODEL_KEY, POINTER_VERSION, consistent_read=True)
        number = int(pointer.active_version or 0)
    except RiskModelVersion.DoesNotExist:
        number = int(risk_model_install().model_version)
    return risk_model_compiled(number)


def risk_model_compiled(version: int) -> CompiledModel:
    """A version, ready to score (published versions never change, so they are compiled once per process)."""
    key = (str(settings.CDD_TABLE_PREFIX), version)
    if key in _compiled:
        return _compiled[key]
    record = _version_get(version)
    model = model_compile(version=version, definition=dict(record.definition or {}), countries=country_table())
    if record.status in (PUBLISHED, SUPERSEDED):
        _compiled[key] = model
    return model


def risk_model_versions() -> list[RiskModelVersion]:
    """Every version, newest first (one Query)."""
    return [v for v in RiskModelVersion.query(MODEL_KEY, scan_index_forward=False)
            if int(v.model_version) != POINTER_VERSION]


def _editor_check(actor: Actor) -> None:
    if ANALYST not in actor.roles and SENIOR_REVIEWER not in actor.roles:
        raise Forbidden("Only analysts and senior reviewers edit the risk model.")


def risk_model_draft_create(*, actor: Actor, note: str) -> RiskModelVersion:
    """Start a new version as a copy of the active one (one draft at a time)."""
    _editor_check(actor)
    if not note.strip():
        raise ValidationFailed("Say what the new version is for.", errors={"note": ["required"]})
    active = risk_model_active()
    versions = risk_model_versions()
    drafts = [v for v in versions if v.status == DRAFT]
    if drafts:
        raise Conflict(f"Version {int(drafts[0].model_version)} is already a draft; change it or discard it.",
                       code="draft_exists")
    number = max(int(v.model_version) for v in versions) + 1 if versions else 2
    now = utcnow()
    draft = RiskModelVersion(MODEL_KEY, number, status=DRAFT, definition=active.definition, note=note.strip(),
                             created_by=actor.key, created_by_name=actor.name, edited_by=[actor.key],
                             created_at=now, updated_at=now)
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action="risk_model.draft_created", object_type="risk_model",
                             object_id=MODEL_KEY, after={"version": number, "from_version": active.version},
                             reason=note.strip()),
            writes=[save_write(draft, RiskModelVersion.model_version.does_not_exist())],
        )
    except TransactWriteError as exc:
        raise Conflict("Another draft was created at the same time; reload the page.", code="draft_exists") from exc
    return draft


def risk_model_draft_update(*, actor: Actor, version: int, definition: Any, note: str | None,
                            expected_lock: int | None = None) -> RiskModelVersion:
    """Change a draft's definition; every problem is named by its place in the document."""
    _editor_check(actor)
    draft = _version_get(version)
    if draft.status != DRAFT:
        raise Conflict(f"Version {version} is {draft.status}; only a draft can change.", code="not_a_draft")
    if expected_lock is not None and draft.lock != expected_lock:
        raise PreconditionFailed(f"Version {version} changed since you opened it; reload it.")
    try:
        model_compile(version=version, definition=definition, countries=country_table())
    except ModelInvalid as exc:
        raise ValidationFailed("The model definition has problems: fix them and save again.",
                               errors={f"definition.{k}": v for k, v in exc.errors.items()}) from exc
    before = dict(draft.definition or {})
    changed = sorted(k for k in {*before, *definition} if before.get(k) != definition.get(k))
    draft.definition = definition
    if note is not None and note.strip():
        draft.note = note.strip()
    draft.edited_by = list(dict.fromkeys([*(str(e) for e in draft.edited_by or []), actor.key]))  # type: ignore[assignment,list-item]
    draft.updated_at = utcnow()
    draft.whatif = None  # a report describes the definition it was computed for
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action="risk_model.draft_changed", object_type="risk_model",
                             object_id=MODEL_KEY, before={k: before.get(k) for k in changed},
                             after={k: definition.get(k) for k in changed}, reason=note,
                             data={"version": version, "sections": changed}),
            writes=[save_write(draft)],
        )
    except TransactWriteError as exc:
        raise PreconditionFailed(f"Version {version} was changed by someone else; reload it.") from exc
    return draft


def risk_model_draft_discard(*, actor: Actor, version: int, reason: str) -> RiskModelVersion:
    _editor_check(actor)
    draft = _version_get(version)
    if draft.status != DRAFT:
        raise Conflict(f"Version {version} is {draft.status}; only a draft can be discarded.", code="not_a_draft")
    draft.status = DISCARDED
    draft.updated_at = utcnow()
    audit_event_record(
        entry=AuditEntry(actor=actor, action="risk_model.draft_discarded", object_type="risk_model",
                         object_id=MODEL_KEY, before={"status": DRAFT}, after={"status": DISCARDED}, reason=reason,
                         data={"version": version}),
        writes=[save_write(draft)],
    )
    return draft


def book_current_inputs(*, shards: range | None = None) -> Any:
    """Every assessed customer's current inputs and rating, shard by shard (Query per shard, no Scan)."""
    for shard in shards or range(BOOK_SHARDS):
        yield from RiskAssessment.by_book_shard.query(f"book#{shard}")


def _whatif_shard(shard: int, active: CompiledModel, proposed: CompiledModel) -> WhatIf:
    report = WhatIf()
    for item in book_current_inputs(shards=range(shard, shard + 1)):
        inputs = dict(item.inputs or {})
        report.add(active.rate(inputs), proposed.rate(inputs))
    return report


def risk_model_whatif(*, actor: Actor, version: int) -> dict[str, Any]:
    """How the book would move from the active version to ``version``: stored on the draft for its publisher.

    The shards are read side by side (the reads wait on DynamoDB; the scoring is ~20 us a customer).
    """
    _editor_check(actor)
    draft = _version_get(version)
    active = risk_model_active()
    proposed = model_compile(version=version, definition=dict(draft.definition or {}), countries=country_table())
    report = WhatIf()
    with ThreadPoolExecutor(max_workers=BOOK_SHARDS) as pool:
        for part in pool.map(lambda shard: _whatif_shard(shard, active, proposed), range(BOOK_SHARDS)):
            report.merge(part)
    result = {**report.as_dict(), "against_version": active.version, "computed_at": utcnow().isoformat(),
              "computed_by": actor.name, "for_definition": _definition_digest(draft.definition)}
    if draft.status == DRAFT:
        draft.whatif = result
        try:
            audit_event_record(
                entry=AuditEntry(actor=actor, action="risk_model.whatif_computed", object_type="risk_model",
                                 object_id=MODEL_KEY,
                                 data={"version": version, **{k: result[k] for k in ("total", "changed", "moves")}}),
                writes=[save_write(draft)],  # the version attribute refuses it if the draft changed meanwhile
            )
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" not in cancellation_codes(exc):
                raise  # contention or throttling: the outbox retries the item, the report is not dropped
            logger.info("what-if of version %s not kept: the draft changed meanwhile", version)
    return result


WHATIF_TOPIC = "reviews.risk_whatif"


def risk_model_whatif_request(*, actor: Actor, version: int) -> OutboxItem:
    """Ask a worker for the what-if report of a draft (a big book takes longer than a page may wait), audited."""
    _editor_check(actor)
    draft = _version_get(version)
    if draft.status != DRAFT:
        raise Conflict(f"Version {version} is {draft.status}; the what-if compares a draft.", code="not_a_draft")
    item = outbox_item_new(topic=WHATIF_TOPIC, group_key=f"risk_model#{version}",
                           payload={"version": version, "actor": actor.as_dict()})
    audit_event_record(
        entry=AuditEntry(actor=actor, action="risk_model.whatif_requested", object_type="risk_model",
                         object_id=MODEL_KEY, data={"version": version, "request": item.outbox_id}),
        writes=[outbox_put(item)],
    )
    outbox_send([item])
    return item


def risk_model_whatif_process(*, item: OutboxItem) -> dict[str, Any]:
    """The outbox handler of ``reviews.risk_whatif``: compute the report as the one who asked for it."""
    payload = item.payload or {}
    who = dict(payload.get("actor") or {})
    actor = Actor(kind="api_key" if who.get("kind") == "api_key" else "user", id=str(who.get("id", "")), name=str(who.get("name", "")),
                  roles=tuple(who.get("roles") or ()))
    report = risk_model_whatif(actor=actor, version=int(payload["version"]))
    return {"total": report["total"], "changed": report["changed"]}


def _definition_digest(definition: Any) -> str:
    return hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()[:16]


def risk_model_publish(*, actor: Actor, version: int, reason: str) -> RiskModelVersion:
    """Make a draft the active model (four-eyes: a senior reviewer who did not write it), then re-rate the book."""
    if SENIOR_REVIEWER not in actor.roles:
        raise Forbidden("A senior reviewer publishes a risk model version.")
    if not reason.strip():
        raise ValidationFailed("Say why this version should be published.", errors={"reason": ["required"]})
    draft = _version_get(version)
    if draft.status != DRAFT:
        raise Conflict(f"Version {version} is {draft.status}; only a draft can be published.", code="not_a_draft")
    authors: list[str | None] = [draft.created_by, *(str(e) for e in draft.edited_by or [])]
    if any(actor.is_actor(a) for a in authors):
        raise FourEyesViolation("You wrote or changed this version; another senior reviewer must publish it.")
    if not draft.whatif or draft.whatif.get("for_definition") != _definition_digest(draft.definition):
        raise Conflict("Run the what-if report on this version first, so its effect on the book can be judged.",
                       code="whatif_missing")
    pointer = RiskModelVersion.get(MODEL_KEY, POINTER_VERSION, consistent_read=True)
    previous = _version_get(int(pointer.active_version or 0))
    now = utcnow()
    draft.status, draft.published_by, draft.published_by_name, draft.published_at = (
        PUBLISHED, actor.key, actor.name, now)
    previous.status, previous.updated_at = SUPERSEDED, now
    pointer.active_version, pointer.updated_at = version, now
    jobs = [outbox_item_new(topic=RERATE_TOPIC, group_key=f"risk_model#{version}",
                            outbox_id=f"rerate_v{version}_s{shard}", payload={"version": version, "shard": shard})
            for shard in range(BOOK_SHARDS)]
    audit_event_record(
        entry=AuditEntry(actor=actor, action="risk_model.published", object_type="risk_model", object_id=MODEL_KEY,
                         before={"active_version": int(previous.model_version)}, after={"active_version": version},
                         reason=reason.strip(),
                         data={"whatif": {k: draft.whatif.get(k) for k in ("total", "changed", "moves")},
                               "authors": [a for a in authors if a], "rerate_jobs": len(jobs)}),
        writes=[save_write(draft), save_write(previous), save_write(pointer), *(outbox_put(j) for j in jobs)],
    )
    outbox_send(jobs)
    return draft


def risk_rerate_shard_process(*, item: OutboxItem) -> dict[str, Any]:
    """The outbox handler of a publication's re-rating: a risk request per customer of one book shard.

    Request ids derive from the version and the customer, so a redelivered or restarted shard records
    nothing twice; each chunk of requests is one transaction with its event on the model's chain.
    """
    payload = item.payload or {}
    version, shard = int(payload["version"]), int(payload["shard"])
    customer_ids = [i.customer_id for i in book_current_inputs(shards=range(shard, shard + 1))]
    recorded = already = 0
    actor = Actor.system("risk.rerate")
    for start in range(0, len(customer_ids), REQUESTS_PER_TRANSACTION):
        chunk = customer_ids[start:start + REQUESTS_PER_TRANSACTION]
        ids = {c: f"risk_v{version}_{c}" for c in chunk}
        existing = {o.outbox_id for o in OutboxItem.batch_get(list(ids.values()))}
        items = [risk_request_new(customer_id=c, trigger="model_published", outbox_id=ids[c], version=str(version))
                 for c in chunk if ids[c] not in existing]
        already += len(chunk) - len(items)
        if not items:
            continue
        audit_event_record(
            entry=AuditEntry(actor=actor, action="risk_model.rerate_chunk", object_type="risk_model",
                             object_id=f"{MODEL_KEY}#v{version}",
                             data={"shard": shard, "requests": len(items), "first": chunk[0], "last": chunk[-1]}),
            writes=[outbox_put(i) for i in items],
        )
        outbox_send(items)
        recorded += len(items)
    return {"shard": shard, "customers": len(customer_ids), "requested": recorded, "already_requested": already}


# --- assessments ------------------------------------------------------------------------------


def risk_assessment_current(*, customer_id: str) -> RiskAssessment | None:
    try:
        return RiskAssessment.get(customer_id, CURRENT, consistent_read=True)
    except RiskAssessment.DoesNotExist:
        return None


def risk_assessments_of(*, customer_id: str, limit: int = 20) -> list[RiskAssessment]:
    """A customer's assessments, newest first (one Query)."""
    return list(RiskAssessment.query(customer_id, RiskAssessment.assessment_id.startswith(ASSESSMENT_PREFIX),
                                     scan_index_forward=False, limit=limit))


def risk_override_active(*, customer_id: str, today: date) -> RiskOverride | None:
    for override in RiskOverride.query(customer_id, scan_index_forward=False, consistent_read=True):
        if override.status == ACTIVE and override.expires_on >= today.isoformat():
            return override
    return None


def _next_review(*, customer: Customer, years: float, today: date) -> date:
    """The cycle counts from the last review (or the start of the relationship); it never postpones a set date."""
    anchor_text = customer.last_review_date or (customer.created_at.date().isoformat() if customer.created_at
                                                else today.isoformat())
    computed = date.fromisoformat(anchor_text) + timedelta(days=round(365.25 * years))
    if customer.next_review_date:
        return min(computed, date.fromisoformat(customer.next_review_date))
    return computed


def _apply_override(result: RiskResult, override: RiskOverride | None, model: CompiledModel) -> dict[str, Any] | None:
    if override is None:
        return None
    forced = [o for o in result.overrides if not o.get("at_least") or RANK[o["rating"]] > RANK[override.rating]]
    if RANK[override.rating] < RANK[result.rating] and forced:
        return {"override_id": override.override_id, "rating": override.rating, "applied": False,
                "why": f"not applied: the model's rule '{forced[0]['rule']}' holds the rating at {result.rating}"}
    result.rating = override.rating
    result.cdd_level = model.cdd_levels[override.rating]
    result.review_years = model.review_years[override.rating]
    return {"override_id": override.override_id, "rating": override.rating, "applied": True,
            "reason": override.reason, "expires_on": override.expires_on, "confirmed_by": override.decided_by_name}


def risk_assess(*, customer_id: str, trigger: str, actor: Actor, item: OutboxItem | None = None,
                today: date | None = None) -> RiskAssessment | None:
    """Rate a customer under the active model and record it with the customer's new rating (None: unchanged)."""
    today = today or _today()
    customer = customer_get(customer_id=customer_id, consistent=True)
    model = risk_model_active()
    inputs = risk_inputs_gather(customer=customer, today=today)
    result = model.assess(inputs)
    model_rating = result.rating  # after the model's rules, before a manual rating
    override = risk_override_active(customer_id=customer_id, today=today)
    manual = _apply_override(result, override, model)
    fingerprint = risk_inputs_fingerprint({**inputs, "_override": manual, "_model": model.version})
    current = risk_assessment_current(customer_id=customer_id)
    next_review = _next_review(customer=customer, years=result.review_years, today=today)
    unchanged = (current is not None and current.inputs_fingerprint == fingerprint
                 and current.rating == customer.risk_rating and current.next_review_date == next_review.isoformat())
    if unchanged:
        return None  # the outbox marks the request done
    now = utcnow()
    assessment_id = f"{ASSESSMENT_PREFIX}{ULID()}"
    previous_rating = customer.risk_rating
    common: dict[str, Any] = {"model_version": model.version, "trigger": trigger, "inputs": inputs,
              "inputs_fingerprint": fingerprint, "result": result.as_dict(), "score": result.score,
              "model_rating": model_rating,
              "rating": result.rating, "cdd_level": result.cdd_level, "next_review_date": next_review.isoformat(),
              "previous_rating": previous_rating, "manual_override": manual, "created_at": now,
              "created_by": actor.key}
    record = RiskAssessment(customer_id, assessment_id, **common)
    copy = current or RiskAssessment(customer_id, CURRENT)
    for name, value in common.items():
        setattr(copy, name, value)
    copy.current_id, copy.book_shard = assessment_id, book_shard_of(customer_id)
    writes = [save_write(record, RiskAssessment.assessment_id.does_not_exist()), save_write(copy)]
    summary = {"assessment_id": assessment_id, "model_version": model.version, "score": result.score,
               "rating": result.rating, "cdd_level": result.cdd_level, "trigger": trigger,
               "overrides": [o["rule"] for o in result.overrides if o.get("changed")],
               "manual_override": manual.get("override_id") if manual else None}
    reason = f"risk assessment ({trigger}) under model version {model.version}"
    outcome = customer_risk_set_write(customer_id=customer_id, risk_rating=result.rating,
                                      cdd_level=result.cdd_level, next_review_date=next_review,
                                      assessment_id=assessment_id, actor=actor, reason=reason,
                                      expected_version=customer.version)
    followups: list[OutboxItem] = []
    if outcome is not None:
        write, entry = outcome
        writes.append(write)
        entry = AuditEntry(actor=entry.actor, action=entry.action, object_type=entry.object_type,
                           object_id=entry.object_id, before=entry.before, after=entry.after, reason=entry.reason,
                           data={**(entry.data or {}), **summary})
        if rating_raised(previous_rating, result.rating) and customer.status in IN_RELATIONSHIP:
            followups.append(trigger_case_request_new(
                customer_id=customer_id, event="risk.rating_raised", outbox_id=f"trg_{assessment_id}",
                reason=f"Risk rating raised from {previous_rating} to {result.rating} ({trigger}).",
                assessment_id=assessment_id))
    else:
        entry = AuditEntry(actor=actor, action="risk.assessed", object_type="customer", object_id=customer_id,
                           reason=reason, data=summary)
    if item is not None:
        writes.append(outbox_done_write(item, summary))
    try:
        audit_event_record(entry=entry, writes=[*writes, *(outbox_put(f) for f in followups)])
    except TransactWriteError as exc:
        codes = cancellation_codes(exc)
        if "ConditionalCheckFailed" in codes:
            # The customer changed while we read (its own change asks for a new assessment), or another
            # delivery of this request recorded it first: nothing is lost either way.
            raise StaleVersion(f"Customer {customer_id} changed while its risk was assessed.") from exc
        raise
    outbox_send(followups)
    return record


def risk_assess_process(*, item: OutboxItem) -> dict[str, Any]:
    """The outbox handler of ``reviews.risk_assess``: rate the customer once the request's inputs stand."""
    payload = item.payload or {}
    customer_id = str(payload["customer_id"])
    try:
        record = risk_assess(customer_id=customer_id, trigger=str(payload.get("trigger") or "request"),
                             actor=Actor.system("risk"), item=item)
    except CustomerNotFound:
        return {"skipped": "the customer no longer exists"}
    except StaleVersion:
        # The customer changed between the read and the write: assess again with what it is now.
        record = risk_assess(customer_id=customer_id, trigger=str(payload.get("trigger") or "request"),
                             actor=Actor.system("risk"), item=item)
    if record is None:
        return {"unchanged": True}
    return {"assessment_id": record.assessment_id, "rating": record.rating}


def risk_reassess_request(*, customer_id: str, actor: Actor, reason: str) -> OutboxItem:
    """Ask for a new assessment now (an analyst, or a job), audited."""
    if actor.kind == "user" and not ({ANALYST, REVIEWER, SENIOR_REVIEWER} & set(actor.roles)):
        raise Forbidden("Only analysts and reviewers ask for a new risk assessment.")
    customer_get(customer_id=customer_id)
    request = risk_request_new(customer_id=customer_id, trigger="on_demand")
    audit_event_record(
        entry=AuditEntry(actor=actor, action="risk.requested", object_type="customer", object_id=customer_id,
                         reason=reason, data={"request": request.outbox_id}),
        writes=[outbox_put(request)],
    )
    outbox_send([request])
    return request


# --- manual overrides -------------------------------------------------------------------------


def risk_override_propose(*, customer_id: str, rating: str, reason: str, expires_on: date, actor: Actor,
                          today: date | None = None) -> RiskOverride:
    """Propose a manual rating with its reason and expiry; a senior reviewer confirms it."""
    if ANALYST not in actor.roles and REVIEWER not in actor.roles and SENIOR_REVIEWER not in actor.roles:
        raise Forbidden("Only analysts and reviewers propose a manual risk rating.")
    today = today or _today()
    errors: dict[str, list[str]] = {}
    if rating not in RATINGS:
        errors["rating"] = [f"One of: {', '.join(RATINGS)}."]
    if not reason.strip():
        errors["reason"] = ["Say why the model's rating does not fit this customer."]
    limit = today + timedelta(days=int(settings.CDD_RISK_OVERRIDE_MAX_DAYS))
    if expires_on <= today or expires_on > limit:
        errors["expires_on"] = [f"A date after today and at most {limit.isoformat()} "
                                f"({settings.CDD_RISK_OVERRIDE_MAX_DAYS} days)."]
    if errors:
        raise ValidationFailed("The override is not valid.", errors=errors)
    customer_get(customer_id=customer_id)
    pending = [o for o in RiskOverride.query(customer_id, consistent_read=True) if o.status == PROPOSED]
    if pending:
        raise Conflict(f"Override {pending[0].override_id} is waiting for a senior reviewer; decide it first.",
                       code="override_pending")
    now = utcnow()
    override = RiskOverride(customer_id, f"ro_{ULID()}", status=PROPOSED, rating=rating, reason=reason.strip(),
                            expires_on=expires_on.isoformat(), proposed_by=actor.key, proposed_by_name=actor.name,
                            created_at=now)
    audit_event_record(
        entry=AuditEntry(actor=actor, action="risk.override_proposed", object_type="customer", object_id=customer_id,
                         after=override.as_dict(), reason=reason.strip(), data={"override_id": override.override_id}),
        writes=[save_write(override, RiskOverride.override_id.does_not_exist())],
    )
    return override


def risk_override_decide(*, customer_id: str, override_id: str, confirm: bool, reason: str,
                         actor: Actor) -> RiskOverride:
    """A senior reviewer who did not propose it confirms (the rating applies until its expiry) or rejects it."""
    if SENIOR_REVIEWER not in actor.roles:
        raise Forbidden("A senior reviewer confirms a manual risk rating.")
    if not reason.strip():
        raise ValidationFailed("A reason is required.", errors={"reason": ["say why"]})
    try:
        override = RiskOverride.get(customer_id, override_id, consistent_read=True)
    except RiskOverride.DoesNotExist:
        raise NotFound(f"No override {override_id} on customer {customer_id}.") from None
    if override.status != PROPOSED:
        raise Conflict(f"Override {override_id} is {override.status}; only a proposal is decided.",
                       code="override_not_proposed")
    if actor.is_actor(override.proposed_by):
        raise FourEyesViolation("You proposed this override; another senior reviewer must decide it (four-eyes).")
    now = utcnow()
    writes = []
    withdrawn: list[str] = []
    if confirm:
        for other in RiskOverride.query(customer_id, consistent_read=True):
            if other.status == ACTIVE:
                other.status, other.expiry_bucket = WITHDRAWN, None
                writes.append(save_write(other))
                withdrawn.append(other.override_id)
        override.status, override.expiry_bucket = ACTIVE, ACTIVE
    else:
        override.status = REJECTED
    override.decided_by, override.decided_by_name, override.decided_at = actor.key, actor.name, now
    override.decision_reason = reason.strip()
    followups = [risk_request_new(customer_id=customer_id, trigger="override_confirmed")] if confirm else []
    audit_event_record(
        entry=AuditEntry(actor=actor, action="risk.override_confirmed" if confirm else "risk.override_rejected",
                         object_type="customer", object_id=customer_id, before={"status": PROPOSED},
                         after=override.as_dict(), reason=reason.strip(),
                         data={"override_id": override_id, "withdrawn": withdrawn}),
        writes=[save_write(override), *writes, *(outbox_put(f) for f in followups)],
    )
    outbox_send(followups)
    return override


def risk_overrides_expire(*, today: date | None = None) -> int:
    """End the active overrides whose expiry date has passed and rate those customers again (beat)."""
    today = today or _today()
    actor = Actor.system("risk.override_expiry")
    ended = 0
    for hit in RiskOverride.by_expiry.query(ACTIVE, RiskOverride.expires_on < today.isoformat()):
        override = RiskOverride.get(hit.customer_id, hit.override_id, consistent_read=True)
        if override.status != ACTIVE:
            continue
        override.status, override.expiry_bucket = EXPIRED, None
        request = risk_request_new(customer_id=override.customer_id, trigger="override_expired",
                                   outbox_id=f"risk_{override.override_id}_expired")
        try:
            audit_event_record(
                entry=AuditEntry(actor=actor, action="risk.override_expired", object_type="customer",
                                 object_id=override.customer_id, before={"status": ACTIVE},
                                 after={"status": EXPIRED}, reason=f"expired on {override.expires_on}",
                                 data={"override_id": override.override_id}),
                writes=[save_write(override), outbox_put(request)],
            )
        except TransactWriteError:
            continue  # a concurrent run ended it
        outbox_send([request])
        ended += 1
    return ended
