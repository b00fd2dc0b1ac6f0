"""Dispositions of alerts, under four-eyes. The rules live here, not in views or templates:

* an analyst proposes an outcome — true match, false positive, needs information — with a rationale;
* a reviewer who is not the proposer confirms the proposal or sends it back; a proposed true match
  needs a senior reviewer;
* a confirmed false positive is remembered with fingerprints of both sides (``subjects.py``); a
  senior reviewer may revoke that memory, which re-opens the alert;
* a confirmed true match marks the customer (``confirmed_match_alerts``), which makes every case
  of the customer need a senior reviewer and its onboarding case rejectable only (reviews).

Every step is audited on the alert's chain and on the customer's, in the transaction of the change.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from pynamodb.exceptions import TransactWriteError

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import cancellation_codes, utcnow
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import Conflict, Forbidden, FourEyesViolation, PreconditionFailed, ValidationFailed
from apps.core.outbox import outbox_put, outbox_send
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.customers.services import (
    customer_match_confirm_write,
    customer_moved_check,
    decided_again_when_customer_moved,
    risk_request_new,
    trigger_case_request_new,
)
from apps.screening.dynamo_models import (
    FALSE_POSITIVE,
    NEEDS_INFORMATION,
    OPEN,
    OUTCOMES,
    PROPOSED,
    TRUE_MATCH,
)
from apps.screening.selectors.alerts import AlertView, alert_get
from apps.screening.services.subjects import entity_fingerprint, entity_material, subject_fingerprint

OUTCOME_LABELS = {TRUE_MATCH: "true match", FALSE_POSITIVE: "false positive", NEEDS_INFORMATION: "needs information"}


def _rationale(rationale: str) -> str:
    if not rationale or not rationale.strip():
        raise ValidationFailed("A rationale is required.", errors={"rationale": ["say why"]})
    return rationale.strip()


def _version(view: AlertView, expected_version: int | None) -> None:
    if expected_version is not None and view.state.version != expected_version:
        raise PreconditionFailed(f"Alert {view.alert_id} changed since you read it (version {view.state.version}); "
                                 "reload it.")


def _commit(*, view: AlertView, actor: Actor, action: str, before: dict[str, Any], reason: str,
            data: dict[str, Any], extra_writes: list[Any] | None = None,
            extra_entries: list[AuditEntry] | None = None, followups: list[OutboxItem] | None = None) -> AlertView:
    state = view.state
    after = state.as_dict()
    # raised_on: the day the alert was raised or last reopened (the MI's open-alert ageing, docs/mi.md).
    raised_on = str((state.reopened or {}).get("at") or view.alert.created_at.isoformat())[:10]
    common = {"alert_id": view.alert_id, "subject_id": view.alert.subject_id, "list": view.alert.list_key,
              "list_entity_id": view.alert.list_entity_id, "raised_on": raised_on, **data}
    entry = AuditEntry(actor=actor, action=action, object_type="alert", object_id=view.alert_id,
                       before=before, after=after, reason=reason, data=common)
    on_customer = AuditEntry(actor=actor, action=action, object_type="customer", object_id=view.alert.customer_id,
                             reason=reason, data=common)
    # One event per chain: where the customer itself changes (a confirmed true match), that change's
    # event is the customer's record of the decision.
    also = extra_entries or [on_customer]
    followups = list(followups or [])
    try:
        audit_event_record(entry=entry, writes=[lambda tx: tx.save(state), *(extra_writes or []),
                                                *(outbox_put(f) for f in followups)], also=also)
    except TransactWriteError as exc:
        customer_moved_check(exc, customer_written=bool(extra_writes))
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise PreconditionFailed(f"Alert {view.alert_id} was changed by someone else; reload it.") from exc
        raise
    outbox_send(followups)
    return view


def alert_disposition_propose(*, alert_id: str, actor: Actor, outcome: str, rationale: str,
                              expected_version: int | None = None) -> AlertView:
    """An analyst proposes how to close an alert; a different reviewer decides."""
    if ANALYST not in actor.roles:
        raise Forbidden("Only analysts propose dispositions.")
    if outcome not in OUTCOMES:
        raise ValidationFailed("Unknown outcome.", errors={"outcome": [f"one of {', '.join(OUTCOMES)}"]})
    reason = _rationale(rationale)
    view = alert_get(alert_id=alert_id)
    _version(view, expected_version)
    if view.state.status not in (OPEN, NEEDS_INFORMATION):
        raise Conflict(f"Alert {alert_id} is {view.state.status.replace('_', ' ')}; only open alerts take a proposal.",
                       code="alert_not_open")
    before = view.state.as_dict()
    now = utcnow()
    view.state.proposal = {"outcome": outcome, "rationale": reason, "by": actor.key, "by_name": actor.name,
                           "at": now.isoformat()}
    view.state.status_set(PROPOSED, now)
    return _commit(view=view, actor=actor, action="alert.disposition_proposed", before=before, reason=reason,
                   data={"outcome": outcome})


@decided_again_when_customer_moved
def alert_disposition_decide(*, alert_id: str, actor: Actor, confirm: bool, rationale: str,
                             expected_version: int | None = None) -> AlertView:
    """A reviewer (never the proposer) confirms the proposal or sends it back; true matches need a senior."""
    if REVIEWER not in actor.roles and SENIOR_REVIEWER not in actor.roles:
        raise Forbidden("Only reviewers decide dispositions.")
    reason = _rationale(rationale)
    view = alert_get(alert_id=alert_id)
    _version(view, expected_version)
    state = view.state
    if state.status != PROPOSED or not state.proposal:
        raise Conflict(f"Alert {alert_id} has no proposal to decide (it is {state.status.replace('_', ' ')}).",
                       code="no_proposal")
    proposal = dict(state.proposal)
    if actor.is_actor(proposal.get("by")):
        raise FourEyesViolation("You proposed this disposition; another reviewer must decide it (four-eyes).")
    outcome = proposal["outcome"]
    if confirm and outcome == TRUE_MATCH and SENIOR_REVIEWER not in actor.roles:
        raise Forbidden("A true match is confirmed by a senior reviewer.")
    before = state.as_dict()
    now = utcnow()
    decision = {"outcome": outcome if confirm else "returned", "rationale": reason, "by": actor.key,
                "by_name": actor.name, "at": now.isoformat(), "proposal": proposal}
    state.decision = decision
    extra_writes: list[Any] = []
    extra_entries: list[AuditEntry] | None = None
    pep_lists = set(settings.CDD_RISK_PEP_LISTS)
    if not confirm:
        state.proposal = None
        state.status_set(OPEN, now)
        action = "alert.disposition_returned"
    else:
        action = "alert.disposition_confirmed"
        state.status_set(outcome, now)
        if outcome == FALSE_POSITIVE:
            state.memory = {
                "subject_fingerprint": subject_fingerprint(view.alert.subject_inputs or {}),
                "entity_fingerprint": entity_fingerprint(view.alert.entity or {}),
                "subject": view.alert.subject_inputs, "entity": entity_material(view.alert.entity or {}),
                "list_version_id": view.alert.list_version_id, "at": now.isoformat(), "by": actor.key,
                "by_name": actor.name,
            }
        elif outcome == TRUE_MATCH and view.alert.list_key not in pep_lists:
            # A match on a PEP list makes the customer a PEP (the risk model reads it), not a sanctioned party.
            write, customer_entry = customer_match_confirm_write(customer_id=view.alert.customer_id,
                                                                 alert_id=alert_id, actor=actor, rationale=reason)
            extra_writes.append(write)
            extra_entries = [customer_entry]
    # A closed alert changes the customer's risk (an open alert, a confirmed match): rate it again; a confirmed
    # match on a customer in a relationship also opens a trigger review.
    followups = []
    if confirm:
        followups.append(risk_request_new(customer_id=view.alert.customer_id, trigger="alert_disposition",
                                          alert_id=alert_id))
        if outcome == TRUE_MATCH:
            pep = view.alert.list_key in pep_lists
            followups.append(trigger_case_request_new(
                customer_id=view.alert.customer_id, alert_id=alert_id,
                event="screening.pep_match_confirmed" if pep else "screening.true_match_confirmed",
                reason=f"A {'PEP' if pep else 'sanctions'} match was confirmed on {view.alert.list_key} "
                       f"{view.alert.list_entity_id}."))
    return _commit(view=view, actor=actor, action=action, before=before, reason=reason,
                   data={"outcome": decision["outcome"], "proposed_by": proposal.get("by_name")},
                   extra_writes=extra_writes, extra_entries=extra_entries, followups=followups)


def alert_memory_revoke(*, alert_id: str, actor: Actor, rationale: str,
                        expected_version: int | None = None) -> AlertView:
    """A senior reviewer revokes a false positive's memory: the alert is open again."""
    if SENIOR_REVIEWER not in actor.roles:
        raise Forbidden("Only a senior reviewer revokes a false-positive memory.")
    reason = _rationale(rationale)
    view = alert_get(alert_id=alert_id)
    _version(view, expected_version)
    state = view.state
    if state.status != FALSE_POSITIVE or not state.memory:
        raise Conflict(f"Alert {alert_id} holds no false-positive memory.", code="no_memory")
    before = state.as_dict()
    now = utcnow()
    state.reopened = {"at": now.isoformat(), "reason": f"false-positive memory revoked by {actor.name}: {reason}",
                      "changes": [], "memory": state.memory}
    state.memory, state.proposal = None, None
    state.status_set(OPEN, now)
    return _commit(view=view, actor=actor, action="alert.memory_revoked", before=before, reason=reason, data={})

