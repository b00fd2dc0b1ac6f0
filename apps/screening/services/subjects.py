"""Screening customers and their related parties: requests, runs and alerts.

A subject is a customer (``subject_id`` "customer") or one of its related parties (its party id).
The customers service records a screening request (an outbox item, topic ``screening.subject``)
in the transaction of every write that needs one; ``customer_screening_request`` records them on
demand. A worker runs ``screening_subject_process`` for each request:

1. the run id is ``run_<outbox id>``: a redelivered or re-queued request finds its run and stops;
2. the subject is read as it is now (a later change has its own request; screening the current
   data is always right), every name is screened against the active list versions;
3. in ONE transaction: the run, each hit's alert (one per subject and list entity: created, or
   updated in place), each alert's state, the request marked done, and the audit events — on the
   customer's chain (what the run found) and on the chain of each alert raised or re-opened.

A confirmed false positive stays quiet while both sides are unchanged: its memory holds
fingerprints of the subject's screened fields and of the list entry. When either changes
materially (a name or alias, a date of birth, a nationality), the alert is re-opened with what changed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from pynamodb.exceptions import TransactWriteError

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import cancellation_codes, save_write, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import Forbidden
from apps.core.outbox import outbox_done_write, outbox_put, outbox_send
from apps.core.roles import ANALYST
from apps.customers.errors import CustomerNotFound, RelatedPartyNotFound
from apps.customers.models import Customer, RelatedParty
from apps.customers.selectors import customer_get, related_party_get, related_party_list
from apps.customers.services import risk_request_new, screening_request_new
from apps.screening.dynamo_models import (
    BOOK,
    FALSE_POSITIVE,
    OPEN,
    OPEN_STATUSES,
    Alert,
    AlertState,
    ScreeningRun,
    ScreeningSubject,
)
from apps.screening.index_provider import screening_index_load
from apps.screening.lists.normalized import entity_to_dict
from apps.screening.matching import ALGORITHM_VERSION, Hit, Query

logger = logging.getLogger(__name__)

CUSTOMER_SUBJECT = "customer"
# A run turns at most this many hits into alerts (one transaction holds them all; more than a
# handful of distinct listed entities for one subject means the subject's data needs a look).
MAX_ALERTS_PER_RUN = 20
REQUESTS_PER_TRANSACTION = 90
ENTITY_TYPE = {"individual": "person", "legal_entity": "organization"}


@dataclass(frozen=True)
class Subject:
    customer_id: str
    subject_id: str
    subject_type: str  # customer | related_party
    name: str
    inputs: dict[str, Any]


def subject_key(customer_id: str, subject_id: str) -> str:
    return f"{customer_id}#{subject_id}"


def alert_id_for(*, customer_id: str, subject_id: str, list_key: str, entity_id: str) -> str:
    """The one alert of a subject and a list entity, whatever run finds it."""
    digest = hashlib.sha256(f"{customer_id}|{subject_id}|{list_key}|{entity_id}".encode()).hexdigest()
    return f"al_{digest[:26]}"


def _inputs_of_customer(customer: Customer) -> dict[str, Any]:
    return {
        "type": customer.customer_type,
        "names": [customer.legal_name, *(customer.other_names or []), *(customer.former_names or [])],
        "date_of_birth": customer.date_of_birth or customer.incorporation_date,
        "nationalities": list(customer.nationalities or []),
        "countries": [c for c in (customer.country_of_residence, customer.jurisdiction) if c],
        "identifiers": [r for r in (customer.registration_number, customer.lei) if r],
    }


def _inputs_of_party(party: RelatedParty) -> dict[str, Any]:
    return {
        "type": party.party_type or "individual",
        "names": [party.name or "", *(party.other_names or [])],
        "date_of_birth": party.date_of_birth,
        "nationalities": list(party.nationalities or []),
        "countries": [c for c in (party.country_of_residence, party.jurisdiction) if c],
        "identifiers": [r for r in (party.registration_number,) if r],
    }


def subject_load(*, customer_id: str, subject_id: str) -> Subject | None:
    """The subject as it is now; None if it no longer exists (a removed party)."""
    try:
        if subject_id == CUSTOMER_SUBJECT:
            customer = customer_get(customer_id=customer_id, consistent=True)
            return Subject(customer_id, subject_id, "customer", customer.legal_name, _inputs_of_customer(customer))
        party = related_party_get(customer_id=customer_id, party_id=subject_id, consistent=True)
    except (CustomerNotFound, RelatedPartyNotFound):
        return None
    return Subject(customer_id, subject_id, "related_party", party.name or "", _inputs_of_party(party))


def _casefolded(values: Any) -> list[str]:
    return sorted({" ".join(str(v).split()).casefold() for v in values or [] if v})


def subject_fingerprint(inputs: dict[str, Any]) -> str:
    """What makes a subject the same for the false-positive memory: names, birth date, nationalities, type."""
    material = {"names": _casefolded(inputs.get("names")), "dob": inputs.get("date_of_birth") or "",
                "nationalities": sorted(inputs.get("nationalities") or []), "type": inputs.get("type")}
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def entity_material(entity: dict[str, Any]) -> dict[str, Any]:
    return {"names": _casefolded(n[0] for n in entity.get("names") or []),
            "birth_dates": sorted(entity.get("birth_dates") or []),
            "nationalities": sorted(entity.get("nationalities") or [])}


def entity_fingerprint(entity: dict[str, Any]) -> str:
    """What makes a list entry the same for the memory: its names and aliases, birth dates, nationalities."""
    return hashlib.sha256(json.dumps(entity_material(entity), sort_keys=True).encode()).hexdigest()


def memory_changes(memory: dict[str, Any], inputs: dict[str, Any], entity: dict[str, Any]) -> list[str]:
    """In words, what changed on either side since the false positive was confirmed (empty: nothing)."""
    changes: list[str] = []
    then_subject, then_entity = memory.get("subject") or {}, memory.get("entity") or {}
    if memory.get("subject_fingerprint") != subject_fingerprint(inputs):
        for name, label in (("names", "names"), ("date_of_birth", "date of birth"),
                            ("nationalities", "nationalities"), ("type", "type")):
            old, new = then_subject.get(name), inputs.get(name)
            if (_casefolded(old) if name == "names" else old) != (_casefolded(new) if name == "names" else new):
                changes.append(f"subject {label}: {old!r} → {new!r}")
    if memory.get("entity_fingerprint") != entity_fingerprint(entity):
        now = entity_material(entity)
        for name, label in (("names", "names and aliases"), ("birth_dates", "dates of birth"),
                            ("nationalities", "nationalities")):
            old = then_entity.get(name)
            if old != now[name]:
                added = sorted(set(now[name]) - set(old or []))
                removed = sorted(set(old or []) - set(now[name]))
                changes.append(f"list entry {label}: added {added}, removed {removed}")
    return changes or ["the subject or the list entry changed"]


def subject_queries(inputs: dict[str, Any]) -> list[Query]:
    entity_type = ENTITY_TYPE.get(inputs.get("type") or "")
    country = next(iter([*(inputs.get("nationalities") or []), *(inputs.get("countries") or [])]), None)
    names = list(dict.fromkeys(n.strip() for n in inputs.get("names") or [] if n and n.strip()))
    return [Query(name=name, entity_type=entity_type, date_of_birth=inputs.get("date_of_birth") or None,
                  country=country) for name in names]


def _subject_removed(*, customer_id: str, subject_id: str) -> None:
    """The book forgets a removed party (the customer-side index drops it at its next refresh)."""
    key = subject_key(customer_id, subject_id)
    try:
        row = ScreeningSubject.get(key, consistent_read=True)
    except ScreeningSubject.DoesNotExist:
        return
    now = utcnow()
    row.update(actions=[ScreeningSubject.removed.set(True),
                        ScreeningSubject.updated_key.set(f"{now.isoformat()}#{key}")])


def subject_row(subject: Subject, now: Any) -> ScreeningSubject:
    key = subject_key(subject.customer_id, subject.subject_id)
    return ScreeningSubject(key, customer_id=subject.customer_id, subject_id=subject.subject_id, name=subject.name,
                            inputs=subject.inputs, removed=False, book=BOOK, updated_key=f"{now.isoformat()}#{key}")


def _screen(subject: Subject, *, fresh: bool = False
            ) -> tuple[list[Hit], dict[str, str], str, float, float | None]:
    """Every name of the subject against the lists: the best hit per list entity, best first.

    Also the seconds spent getting the list index when this run had to build or load it (else None).
    """
    current, load_seconds = screening_index_load(fresh=fresh)
    threshold = float(settings.CDD_SCREENING_THRESHOLD)
    best: dict[str, Hit] = {}
    for query in subject_queries(subject.inputs):
        for hit in current.index.screen(query, threshold=threshold, limit=MAX_ALERTS_PER_RUN).hits:
            key = hit.entity.key
            if key not in best or hit.score > best[key].score:
                best[key] = hit
    hits = sorted(best.values(), key=lambda h: -h.score)[:MAX_ALERTS_PER_RUN]
    return hits, dict(current.versions), current.source, threshold, load_seconds


def _run_exists(key: str, run_id: str) -> bool:
    try:
        ScreeningRun.get(key, run_id, consistent_read=True)
    except ScreeningRun.DoesNotExist:
        return False
    return True


def screening_subject_process(*, item: OutboxItem) -> dict[str, Any]:
    """The outbox handler of ``screening.subject``: screen one subject once per request."""
    payload = item.payload or {}
    customer_id, subject_id = str(payload["customer_id"]), str(payload["subject_id"])
    key, run_id = subject_key(customer_id, subject_id), f"run_{item.outbox_id}"
    if _run_exists(key, run_id):
        return _job_counted(item, {"run_id": run_id, "replayed": True})
    subject = subject_load(customer_id=customer_id, subject_id=subject_id)
    if subject is None:
        _subject_removed(customer_id=customer_id, subject_id=subject_id)
        return _job_counted(item, {"run_id": None, "skipped": "the subject no longer exists"})
    started = time.perf_counter()
    hits, versions, source, threshold, load_seconds = _screen(
        subject, fresh=payload.get("trigger") in ("list_change", "full_rescreen"))
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    index_load_ms = round(load_seconds * 1000, 1) if load_seconds is not None else None
    outcome = _record(item=item, subject=subject, run_id=run_id, hits=hits, versions=versions, source=source,
                      threshold=threshold, duration_ms=duration_ms, index_load_ms=index_load_ms,
                      trigger=str(payload.get("trigger") or "request"))
    logger.info("screened %s %s: %d hit(s) %s", customer_id, subject_id, len(hits), outcome)
    return {"run_id": run_id, **outcome}


def _record(*, item: OutboxItem, subject: Subject, run_id: str, hits: list[Hit], versions: dict[str, str],
            source: str, threshold: float, duration_ms: float, trigger: str,
            index_load_ms: float | None = None) -> dict[str, Any]:
    now = utcnow()
    actor = Actor.system("screening")
    ids = {h.entity.key: alert_id_for(customer_id=subject.customer_id, subject_id=subject.subject_id,
                                      list_key=h.entity.list, entity_id=h.entity.source_id) for h in hits}
    alerts = {a.alert_id: a for a in Alert.batch_get(list(ids.values()), consistent_read=True)} if ids else {}
    states = {s.alert_id: s for s in AlertState.batch_get(list(ids.values()), consistent_read=True)} if ids else {}
    previous = [a for a in Alert.by_customer.query(subject.customer_id)
                if a.subject_id == subject.subject_id and a.hit_in_last_run and a.alert_id not in ids.values()]
    writes: list[Any] = []
    run_hits: list[dict[str, Any]] = []
    also: list[AuditEntry] = []
    counts = {"raised": 0, "updated": 0, "reopened": 0, "suppressed": 0}
    for hit in hits:
        alert_id = ids[hit.entity.key]
        entity = entity_to_dict(hit.entity)
        alert = alerts.get(alert_id) or Alert(
            alert_id, customer_id=subject.customer_id, subject_id=subject.subject_id,
            subject_type=subject.subject_type, list_key=hit.entity.list, list_entity_id=hit.entity.source_id,
            first_run_id=run_id, created_at=now, created_key=f"{now.isoformat()}#{alert_id}")
        alert.subject_name, alert.subject_inputs = subject.name, subject.inputs
        alert.list_version_id = versions.get(hit.entity.list, "snapshot")
        alert.entity, alert.matched_name, alert.score = entity, hit.name, round(hit.score, 4)
        alert.explanation, alert.algorithm, alert.threshold = hit.explanation, ALGORITHM_VERSION, threshold
        alert.last_run_id, alert.hit_in_last_run, alert.updated_at = run_id, True, now
        writes.append(save_write(alert))
        state = states.get(alert_id)
        if state is None:
            state = AlertState(alert_id, customer_id=subject.customer_id, subject_id=subject.subject_id,
                               subject_name=subject.name, list_key=hit.entity.list,
                               list_entity_id=hit.entity.source_id, score=alert.score, created_at=now,
                               entity_key=hit.entity.key)
            state.status_set(OPEN, now)
            writes.append(save_write(state, AlertState.alert_id.does_not_exist()))
            outcome = "raised"
            also.append(AuditEntry(actor=actor, action="alert.raised", object_type="alert", object_id=alert_id,
                                   after={"status": OPEN, "score": alert.score},
                                   data={"customer_id": subject.customer_id, "subject_id": subject.subject_id,
                                         "list": hit.entity.list, "list_entity_id": hit.entity.source_id,
                                         "run_id": run_id, "list_version_id": alert.list_version_id,
                                         "raised_on": now.date().isoformat()}))
        elif state.status == FALSE_POSITIVE and state.memory:
            memory = state.memory
            if (memory.get("subject_fingerprint") == subject_fingerprint(subject.inputs)
                    and memory.get("entity_fingerprint") == entity_fingerprint(entity)):
                outcome = "suppressed"
            else:
                changes = memory_changes(memory, subject.inputs, entity)
                state.reopened = {"at": now.isoformat(), "reason": "changed since it was cleared as a false positive",
                                  "changes": changes, "memory": memory}
                state.memory, state.proposal, state.score = None, None, alert.score
                state.status_set(OPEN, now)
                writes.append(save_write(state))
                outcome = "reopened"
                also.append(AuditEntry(actor=actor, action="alert.reopened", object_type="alert", object_id=alert_id,
                                       before={"status": FALSE_POSITIVE}, after={"status": OPEN},
                                       reason="; ".join(changes),
                                       data={"customer_id": subject.customer_id, "run_id": run_id,
                                             "raised_on": now.date().isoformat()}))
        else:
            outcome = "updated"
            if state.status in OPEN_STATUSES and state.score != alert.score:
                state.score = alert.score
                state.updated_at = now
                writes.append(save_write(state))
        counts[outcome] += 1
        run_hits.append({"alert_id": alert_id, "list": hit.entity.list, "list_entity_id": hit.entity.source_id,
                         "name": hit.name, "score": alert.score, "outcome": outcome})
    for alert in previous:
        alert.hit_in_last_run, alert.updated_at = False, now
        writes.append(save_write(alert))
    run = ScreeningRun(subject_key(subject.customer_id, subject.subject_id), run_id, customer_id=subject.customer_id,
                       subject_id=subject.subject_id, subject_type=subject.subject_type, subject_name=subject.name,
                       trigger=trigger, inputs=subject.inputs, list_source=source, list_versions=versions,
                       algorithm=ALGORITHM_VERSION, threshold=threshold, duration_ms=duration_ms, hits=run_hits,
                       created_at=now)
    result = {**counts, "hits": len(hits), "no_longer_hit": len(previous)}
    # The risk model reads screening outcomes: rate the customer again once this run stands.
    risk = risk_request_new(customer_id=subject.customer_id, trigger="screening_completed",
                            outbox_id=f"risk_{run_id}")
    # A request of a full re-screening stays pending here: it is marked done with its job's count after this
    # commits (``_job_counted``), so that a worker killed in between leaves it to be sent and counted again.
    done = [] if _job_of(item) else [outbox_done_write(item, result)]
    writes = [save_write(run, ScreeningRun.run_id.does_not_exist()), *writes, save_write(subject_row(subject, now)),
              *done, outbox_put(risk)]
    entry = AuditEntry(actor=actor, action="screening.completed", object_type="customer",
                       object_id=subject.customer_id, reason=f"screening request {item.outbox_id} ({trigger})",
                       data={"subject_id": subject.subject_id, "subject_name": subject.name, "run_id": run_id,
                             "list_versions": versions, "algorithm": ALGORITHM_VERSION, "threshold": threshold,
                             **counts, "hits": len(hits), "duration_ms": duration_ms,
                             # duration_ms includes building or loading the list index when this run had to
                             # (a worker's first screening, a new list version): the MI counts those apart.
                             "index_loaded": index_load_ms is not None, "index_load_ms": index_load_ms or 0,
                             "alerts": [h["alert_id"] for h in run_hits if h["outcome"] != "suppressed"]})
    try:
        audit_event_record(entry=entry, writes=writes, also=also)
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            # another delivery of this request recorded the run first
            return _job_counted(item, {"replayed": True})
        raise
    outbox_send([risk])
    return _job_counted(item, result)


def _job_of(item: OutboxItem) -> str | None:
    job_id = (item.payload or {}).get("job_id")
    return str(job_id) if job_id else None


def _job_counted(item: OutboxItem, result: dict[str, Any]) -> dict[str, Any]:
    """A request of a full re-screening is counted for its job, exactly once, as it is marked done."""
    job_id = _job_of(item)
    if job_id:
        from apps.screening.services.rescreen import rescreen_job_screened

        rescreen_job_screened(job_id=job_id, item=item, result=result)
    return result


def customer_screening_request(*, customer_id: str, actor: Actor, trigger: str = "on_demand") -> list[OutboxItem]:
    """Screen a customer and every one of its related parties again (on demand), audited.

    People need the analyst role; an integration's key is admitted by its scope at the API.
    """
    if actor.kind == "user" and ANALYST not in actor.roles:
        raise Forbidden("Only analysts ask for a new screening.")
    customer_get(customer_id=customer_id)
    parties = related_party_list(customer_id=customer_id)
    items = [screening_request_new(customer_id=customer_id, subject_id=CUSTOMER_SUBJECT, trigger=trigger)]
    items += [screening_request_new(customer_id=customer_id, subject_id=p.party_id, trigger=trigger) for p in parties]
    # One transaction holds at most 100 items (the event and its chain head take two).
    chunks = [items[i:i + REQUESTS_PER_TRANSACTION] for i in range(0, len(items), REQUESTS_PER_TRANSACTION)]
    for number, chunk in enumerate(chunks, start=1):
        audit_event_record(
            entry=AuditEntry(actor=actor, action="screening.requested", object_type="customer", object_id=customer_id,
                             data={"requests": [i.outbox_id for i in chunk], "subjects": len(items),
                                   "trigger": trigger, "part": f"{number} of {len(chunks)}"}),
            writes=[outbox_put(item) for item in chunk],
        )
        outbox_send(chunk)
    return items
