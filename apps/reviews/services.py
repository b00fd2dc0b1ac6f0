"""Case work and four-eyes review. The rules live here, not in templates or views:

* only analysts submit; only reviewers decide; nobody decides a case they submitted;
* a case flagged ``requires_senior`` (high-risk customer, escalation) needs a senior reviewer;
* approving and rejecting need a rationale; every transition is audited with it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import cancellation_codes
from apps.core.errors import Conflict, Forbidden, FourEyesViolation, NotFound, PreconditionFailed, ValidationFailed
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.reviews.models import APPROVED, KINDS, OPEN, REJECTED, SUBMITTED, Case

HIGH_RISK = {"high", "prohibited"}


def _now() -> datetime:
    return datetime.now(tz=UTC)


def case_get(*, case_id: str) -> Case:
    try:
        return Case.get(case_id, consistent_read=True)
    except Case.DoesNotExist:
        raise NotFound(f"No case {case_id}.") from None


def _customer_is_high_risk(customer_id: str) -> bool:
    try:
        from apps.customers.selectors import customer_get
    except ImportError:  # pragma: no cover - customers app always present in this codebase
        return False
    try:
        customer = customer_get(customer_id=customer_id)
    except Exception:  # noqa: BLE001 - an unknown customer is reported by the caller, not here
        return False
    return (customer.risk_rating or "").lower() in HIGH_RISK


def case_open(*, customer_id: str, kind: str, actor: Actor, title: str, reason: str | None = None,
              case_id: str | None = None) -> Case:
    """Open a case for a customer; idempotent when ``case_id`` is given and already exists."""
    if kind not in KINDS:
        raise ValidationFailed("Unknown case kind.", errors={"kind": [f"must be one of {', '.join(KINDS)}"]})
    now = _now()
    case = Case(
        case_id or f"{kind}-{ULID()}", customer_id=customer_id, kind=kind, status=OPEN, title=title,
        requires_senior=_customer_is_high_risk(customer_id), opened_by=actor.key, opened_reason=reason,
        created_at=now, created_key=f"{now.isoformat()}#{customer_id}", updated_at=now,
        updated_key=now.isoformat(),
    )
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action="case.opened", object_type="case", object_id=case.case_id,
                             after=case.as_dict(), reason=reason, data={"customer_id": customer_id}),
            writes=[lambda tx: tx.save(case, condition=Case.case_id.does_not_exist())],
        )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"] and case_id:
            return case_get(case_id=case_id)
        raise
    return case


def case_open_onboarding(*, customer_id: str, actor: Actor) -> Case:
    """The onboarding case of a new customer (the seam the customers service calls)."""
    return case_open(customer_id=customer_id, kind="onboarding", actor=actor, title="Onboarding due diligence",
                     reason="new customer", case_id=f"onboarding-{customer_id}")


def _transition(*, case: Case, expected_version: int | None, actor: Actor, action: str, new_status: str,
                reason: str | None, **fields: object) -> Case:
    if expected_version is not None and case.version != expected_version:
        raise PreconditionFailed(f"Case {case.case_id} changed since you read it (version {case.version}); reload it.")
    before = case.as_dict()
    now = _now()
    case.status = new_status
    case.updated_at = now
    case.updated_key = now.isoformat()
    for name, value in fields.items():
        setattr(case, name, value)
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action=action, object_type="case", object_id=case.case_id,
                             before=before, after=case.as_dict(), reason=reason,
                             data={"customer_id": case.customer_id}),
            writes=[lambda tx: tx.save(case)],
        )
    except TransactWriteError as exc:
        if cancellation_codes(exc)[:1] == ["ConditionalCheckFailed"]:
            raise PreconditionFailed(f"Case {case.case_id} was changed by someone else; reload it.") from exc
        raise
    return case


def case_submit(*, case_id: str, analyst: Actor, summary: str, expected_version: int | None = None) -> Case:
    """An analyst submits their completed work for review."""
    if ANALYST not in analyst.roles:
        raise Forbidden("Only analysts submit cases for review.")
    if not summary.strip():
        raise ValidationFailed("A summary is required.", errors={"summary": ["describe what you checked and found"]})
    case = case_get(case_id=case_id)
    if case.status != OPEN:
        raise Conflict(f"Case {case_id} is {case.status}; only open cases can be submitted.")
    return _transition(case=case, expected_version=expected_version, actor=analyst, action="case.submitted",
                       new_status=SUBMITTED, reason=summary, submitted_by=analyst.key,
                       submitted_by_name=analyst.name, submission_summary=summary, submitted_at=_now(),
                       decision=None, rationale=None, decided_by=None, decided_by_name=None, decided_at=None)


def _decide_checks(*, case: Case, reviewer: Actor, rationale: str) -> None:
    if REVIEWER not in reviewer.roles and SENIOR_REVIEWER not in reviewer.roles:
        raise Forbidden("Only reviewers decide cases.")
    if case.status != SUBMITTED:
        raise Conflict(f"Case {case.case_id} is {case.status}; only submitted cases can be decided.")
    if case.submitted_by == reviewer.key or (
        reviewer.user_id is not None and case.submitted_by == f"user:{reviewer.user_id}"
    ):
        raise FourEyesViolation("You submitted this case; another reviewer must decide it (four-eyes).")
    # The customer's risk may have been rated high since the case was opened: look again.
    if (case.requires_senior or _customer_is_high_risk(case.customer_id)) and SENIOR_REVIEWER not in reviewer.roles:
        raise Forbidden("This case is high risk: a senior reviewer must decide it.")
    if not rationale.strip():
        raise ValidationFailed("A rationale is required.", errors={"rationale": ["say why you decided so"]})


def case_approve(*, case_id: str, reviewer: Actor, rationale: str, expected_version: int | None = None) -> Case:
    """Approve a case that another user submitted; four-eyes is enforced here."""
    case = case_get(case_id=case_id)
    _decide_checks(case=case, reviewer=reviewer, rationale=rationale)
    return _transition(case=case, expected_version=expected_version, actor=reviewer, action="case.approved",
                       new_status=APPROVED, reason=rationale, decision="approved", rationale=rationale,
                       decided_by=reviewer.key, decided_by_name=reviewer.name, decided_at=_now())


def case_reject(*, case_id: str, reviewer: Actor, rationale: str, expected_version: int | None = None) -> Case:
    """Reject a submitted case (e.g. refuse the relationship); four-eyes is enforced here."""
    case = case_get(case_id=case_id)
    _decide_checks(case=case, reviewer=reviewer, rationale=rationale)
    return _transition(case=case, expected_version=expected_version, actor=reviewer, action="case.rejected",
                       new_status=REJECTED, reason=rationale, decision="rejected", rationale=rationale,
                       decided_by=reviewer.key, decided_by_name=reviewer.name, decided_at=_now())


def case_return(*, case_id: str, reviewer: Actor, rationale: str, expected_version: int | None = None) -> Case:
    """Send a submitted case back to the analysts with what is missing."""
    case = case_get(case_id=case_id)
    _decide_checks(case=case, reviewer=reviewer, rationale=rationale)
    return _transition(case=case, expected_version=expected_version, actor=reviewer, action="case.returned",
                       new_status=OPEN, reason=rationale, decision="returned", rationale=rationale,
                       decided_by=reviewer.key, decided_by_name=reviewer.name, decided_at=_now())
