"""Case work and four-eyes review. The rules live here, not in templates or views:

* only analysts submit; only reviewers decide; nobody decides a case they worked on: whoever
  submitted it (any submission, not only the last), returned it, uploaded or verified a document of
  its customer, or proposed the disposition of one of its customer's alerts while the case was open
  (``case_preparers``);
* a case flagged ``requires_senior`` (high-risk customer, escalation) needs a senior reviewer;
* approving and rejecting need a rationale; every transition is audited with it;
* a case cannot be submitted, nor approved, while its customer or a related party has an open
  alert or a screening request not yet done (screening);
* a customer with a confirmed sanctions match needs a senior reviewer on every case, and its
  onboarding case can only be rejected; so do customers under enhanced due diligence and reviews
  that were escalated as overdue;
* a case cannot be submitted before the risk model has rated its customer;
* every case is due when it opens (``CDD_CASE_SLA_DAYS`` by kind and the customer's rating; a periodic
  review on its review date);
* assignment: an analyst claims an open case, a reviewer a submitted one it may decide (a senior one
  when a senior must decide it, never one of its preparers); the assignee or a senior reviewer hands
  it over, to someone who could claim it, or unassigns it; while a case is assigned, only its assignee
  submits or decides it; submitting, returning and deciding end the assignment;
* notes are added by analysts and reviewers, never changed; each is an audit event too;
* deciding the onboarding case decides the customer: approved makes it ``active``, rejected makes
  it ``rejected``, in the same transaction as the decision (customers); approving an onboarding or
  periodic review sets the customer's last and next review dates from its rating.

Reviews stands above customers and screening and calls their services and selectors directly.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.conf import settings
from pynamodb.exceptions import TransactWriteError
from ulid import ULID

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.dynamo import cancellation_codes, save_write
from apps.core.dynamo_models import OutboxItem
from apps.core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    FourEyesViolation,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.customers.errors import CustomerNotFound
from apps.customers.models import Customer
from apps.customers.selectors import customer_get
from apps.customers.services import (
    customer_moved_check,
    customer_review_done_write,
    customer_status_decide_write,
    decided_again_when_customer_moved,
)
from apps.documents.selectors import document_list, document_waivers, evidence_complete_check
from apps.reviews.models import APPROVED, KIND_LABELS, KINDS, OPEN, REJECTED, SUBMITTED, Case, CaseNote
from apps.reviews.risk.services import risk_model_active
from apps.reviews.sla import sla_due_date
from apps.screening.selectors.alerts import alerts_of_customer, screening_blockers

HIGH_RISK = {"high", "prohibited"}


def _now() -> datetime:
    return datetime.now(tz=UTC)


def case_get(*, case_id: str) -> Case:
    try:
        return Case.get(case_id, consistent_read=True)
    except Case.DoesNotExist:
        raise NotFound(f"No case {case_id}.") from None


def _customer(customer_id: str) -> Customer | None:
    try:
        return customer_get(customer_id=customer_id, consistent=True)
    except CustomerNotFound:
        return None


def _customer_is_high_risk(customer: Customer | None) -> bool:
    return customer is not None and ((customer.risk_rating or "").lower() in HIGH_RISK
                                     or customer.cdd_level == "enhanced")


def case_heading(*, case: Case, customer: Customer | None) -> str:
    """What a case is called on a page: its kind and whose it is (cases opened before titles named the customer
    keep their stored title, and are shown this way too)."""
    if customer is None:
        return case.title
    return f"{KIND_LABELS.get(case.kind, case.kind)} — {customer.legal_name}"


def _due_date(*, kind: str, customer: Customer | None, opened: date) -> str:
    rating = customer.risk_rating if customer is not None else None
    return sla_due_date(table=settings.CDD_CASE_SLA_DAYS, kind=kind, rating=rating, opened=opened).isoformat()


def _due_fill(case: Case, customer: Customer | None = None) -> None:
    """Give a case opened before due dates existed its due date (from its opening) and its index key."""
    if not case.due_date:
        case.due_date = _due_date(kind=case.kind, customer=customer or _customer(case.customer_id),
                                  opened=case.created_at.date())
    case.due_key = f"{case.due_date}#{case.case_id}"


def _screening_clear(case: Case, doing: str) -> None:
    blockers = screening_blockers(customer_id=case.customer_id)
    if blockers:
        raise Conflict(
            f"Case {case.case_id} cannot be {doing} yet: {blockers.message()}. Disposition the alerts and let "
            "screening finish, then try again.", code="screening_open",
            errors={"alerts": blockers.open_alerts, "screening": blockers.pending + blockers.failing})


def _risk_rated(case: Case, doing: str) -> None:
    customer = _customer(case.customer_id)
    if customer is not None and not customer.risk_rating:
        raise Conflict(f"Case {case.case_id} cannot be {doing} yet: the customer has no risk rating. The risk "
                       "model rates it once screening completes; wait for it (or ask for a new assessment).",
                       code="risk_pending")


def case_open(*, customer_id: str, kind: str, actor: Actor, title: str, reason: str | None = None,
              case_id: str | None = None, due_date: str | None = None,
              triggers: list[dict[str, Any]] | None = None) -> Case:
    """Open a case for a customer; idempotent when ``case_id`` is given and already exists."""
    if kind not in KINDS:
        raise ValidationFailed("Unknown case kind.", errors={"kind": [f"must be one of {', '.join(KINDS)}"]})
    now = _now()
    customer = _customer(customer_id)
    case = Case(
        case_id or f"{kind}-{ULID()}", customer_id=customer_id, kind=kind, status=OPEN, title=title,
        requires_senior=_customer_is_high_risk(customer), opened_by=actor.key, opened_reason=reason,
        created_at=now, created_key=f"{now.isoformat()}#{customer_id}", updated_at=now,
        updated_key=now.isoformat(), due_date=due_date or _due_date(kind=kind, customer=customer, opened=now.date()),
        triggers=triggers or [],
    )
    case.due_key = f"{case.due_date}#{case.case_id}"
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
    """The onboarding case of a new customer (idempotent: one per customer), titled with the customer's name."""
    customer = _customer(customer_id)
    title = KIND_LABELS["onboarding"] + (f" — {customer.legal_name}" if customer is not None else "")
    return case_open(customer_id=customer_id, kind="onboarding", actor=actor, title=title,
                     reason="new customer", case_id=f"onboarding-{customer_id}")


def case_open_onboarding_process(*, item: OutboxItem) -> dict[str, str]:
    """The outbox handler of ``reviews.onboarding_case``, recorded with the customer's creation."""
    customer_id = str((item.payload or {})["customer_id"])
    case = case_open_onboarding(customer_id=customer_id, actor=Actor.system("onboarding"))
    return {"case_id": case.case_id}


def _transition(*, case: Case, expected_version: int | None, actor: Actor, action: str, new_status: str,
                reason: str | None, extra_writes: list[Any] | None = None, also: list[AuditEntry] | None = None,
                data: dict[str, Any] | None = None, **fields: object) -> Case:
    if expected_version is not None and case.version != expected_version:
        raise PreconditionFailed(f"Case {case.case_id} changed since you read it (version {case.version}); reload it.")
    before = case.as_dict()
    now = _now()
    case.status = new_status
    case.updated_at = now
    case.updated_key = now.isoformat()
    for name, value in fields.items():
        setattr(case, name, value)
    _due_fill(case)
    try:
        audit_event_record(
            entry=AuditEntry(actor=actor, action=action, object_type="case", object_id=case.case_id,
                             before=before, after=case.as_dict(), reason=reason,
                             data={"customer_id": case.customer_id, "kind": case.kind, **(data or {})}),
            writes=[lambda tx: tx.save(case), *(extra_writes or [])],
            also=also or [],
        )
    except TransactWriteError as exc:
        customer_moved_check(exc, customer_written=bool(extra_writes))
        if "ConditionalCheckFailed" in cancellation_codes(exc):
            raise PreconditionFailed(f"Case {case.case_id} (or its customer) was changed by someone else; "
                                     "reload it.") from exc
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
    _assignee_only(case, analyst, "submit")
    _screening_clear(case, "submitted")
    _risk_rated(case, "submitted")
    evidence_complete_check(customer_id=case.customer_id)  # each required document verified or waived
    return _transition(case=case, expected_version=expected_version, actor=analyst, action="case.submitted",
                       new_status=SUBMITTED, reason=summary, submitted_by=analyst.key,
                       participants=[*(case.participants or []), _participant(analyst, "submitted")],
                       submitted_by_name=analyst.name, submission_summary=summary, submitted_at=_now(),
                       decision=None, rationale=None, decided_by=None, decided_by_name=None, decided_at=None,
                       **_UNASSIGNED)


# Submitting and deciding end the assignment (the case leaves the worker's "my work").
_UNASSIGNED: dict[str, Any] = {"assignee": None, "assignee_name": None, "assigned_at": None}


def _assignee_only(case: Case, actor: Actor, doing: str) -> None:
    if case.assignee and not actor.is_actor(case.assignee):
        raise Conflict(f"Case {case.case_id} is assigned to {case.assignee_name}; only they can {doing} it. "
                       "Ask them to hand it over, or a senior reviewer to unassign it.", code="assigned_elsewhere")


def _participant(actor: Actor, did: str) -> dict[str, str]:
    return {"by": actor.key, "name": actor.name, "did": did, "at": _now().isoformat()}


def case_preparers(*, case: Case) -> dict[str, str]:
    """Who worked on ``case`` and how, by actor key: none of them may decide it (four-eyes).

    The case's own record keeps every submission and return; the evidence is read from the documents
    and alerts of its customer: files uploaded, documents verified, requirements waived, and alert
    dispositions proposed, since the case was opened.
    """
    found: dict[str, str] = {}

    def add(key: str | None, what: str) -> None:
        if key and key not in found:
            found[key] = what

    for entry in case.participants or []:
        add(entry.get("by"), f"{entry.get('did', 'worked on')} this case")
    add(case.submitted_by, "submitted this case")  # cases submitted before participants were recorded
    if case.decision == "returned":
        add(case.decided_by, "returned this case")
    opened = case.created_at
    for document in document_list(customer_id=case.customer_id):
        label = (document.document_type or "document").replace("_", " ")
        uploads = [(v.uploaded_by, v.uploaded_at) for v in document.versions or []]
        for by, at in [*uploads, (document.uploaded_by, document.uploaded_at)]:
            if at is not None and at >= opened:
                add(by, f"uploaded the {label} of this case's customer")
        if document.verified_at is not None and document.verified_at >= opened:
            add(document.verified_by, f"verified the {label} of this case's customer")
    for waiver in document_waivers(customer_id=case.customer_id).values():
        # Whoever waived evidence prepared the case as much as whoever uploaded it (withdrawn or not).
        if waiver.waived_at is not None and waiver.waived_at >= opened:
            add(waiver.waived_by, f"waived the {waiver.label.lower()} requirement of this case's customer")
        if waiver.withdrawn_at is not None and waiver.withdrawn_at >= opened:
            add(waiver.withdrawn_by, f"withdrew the waiver of the {waiver.label.lower()} requirement")
    for view in alerts_of_customer(customer_id=case.customer_id):
        proposals = [view.state.proposal or {}, {"by": (view.state.decision or {}).get("proposal_by"),
                                                 "at": (view.state.decision or {}).get("at")}]
        for proposal in proposals:
            proposed_at = str(proposal.get("at") or "")
            if proposal.get("by") and proposed_at >= opened.isoformat():
                add(proposal["by"], f"proposed the disposition of alert {view.alert_id}")
    return found


def _decide_checks(*, case: Case, reviewer: Actor, rationale: str, returning: bool = False) -> None:
    if REVIEWER not in reviewer.roles and SENIOR_REVIEWER not in reviewer.roles:
        raise Forbidden("Only reviewers decide cases.")
    if case.status != SUBMITTED:
        raise Conflict(f"Case {case.case_id} is {case.status}; only submitted cases can be decided.")
    _assignee_only(case, reviewer, "decide")
    if reviewer.is_actor(case.submitted_by):
        raise FourEyesViolation("You submitted this case; another reviewer must decide it (four-eyes).")
    for key, what in case_preparers(case=case).items():
        if reviewer.is_actor(key) and not (returning and what == "returned this case"):
            raise FourEyesViolation(f"You {what}; a reviewer who did not work on it must decide it (four-eyes).")
    # The customer's risk may have been rated high, or a match confirmed, since the case was opened: look again.
    senior_needed = case_senior_reason_now(case=case)
    if senior_needed and SENIOR_REVIEWER not in reviewer.roles:
        raise Forbidden(senior_needed)
    if not rationale.strip():
        raise ValidationFailed("A rationale is required.", errors={"rationale": ["say why you decided so"]})


def case_senior_reason_now(*, case: Case) -> str | None:
    """Why only a senior reviewer may decide ``case``, from its customer as it is now: what the decision services
    enforce and what the case page and the queue show (one answer, so the flag and the refusal cannot differ)."""
    return case_senior_reason(case=case, customer=_customer(case.customer_id))


def case_senior_reason(*, case: Case, customer: Customer | None) -> str | None:
    """Why only a senior reviewer may decide ``case`` given ``customer`` (None: any reviewer may)."""
    if customer is not None and customer.confirmed_match_alerts:
        return "The customer has a confirmed sanctions match: a senior reviewer must decide this case."
    if customer is not None and customer.cdd_level == "enhanced":
        return "The customer is under enhanced due diligence: a senior reviewer must decide this case."
    if case.escalated_at is not None:
        return "This review is overdue and was escalated: a senior reviewer must decide it."
    if case.requires_senior or (customer is not None and (customer.risk_rating or "").lower() in HIGH_RISK):
        return "This case is high risk: a senior reviewer must decide it."
    return None


def _next_review_from_rating(customer: Customer | None) -> date | None:
    """Today plus the review cycle of the customer's rating under the active risk model."""
    if customer is None or not customer.risk_rating:
        return None
    years = risk_model_active().review_years.get(customer.risk_rating)
    return _now().date() + timedelta(days=round(365.25 * years)) if years else None


def _customer_decision(case: Case, status: str, reviewer: Actor, rationale: str) -> dict[str, Any]:
    """The customer's change in the decision's transaction: onboarding decides its status (approval counts as
    its first review); an approved periodic review sets the last and next review dates from the rating."""
    customer = _customer(case.customer_id)
    if case.kind == "onboarding":
        write, entry = customer_status_decide_write(
            customer_id=case.customer_id, status=status, actor=reviewer, case_id=case.case_id, rationale=rationale,
            next_review_date=_next_review_from_rating(customer) if status == "active" else None)
        return {"extra_writes": [write], "also": [entry]}
    next_review = _next_review_from_rating(customer)
    if case.kind == "periodic_review" and status == "active" and next_review is not None:
        write, entry = customer_review_done_write(customer_id=case.customer_id, review_date=_now().date(),
                                                  next_review_date=next_review, actor=reviewer,
                                                  case_id=case.case_id, reason=rationale)
        return {"extra_writes": [write], "also": [entry]}
    return {}


@decided_again_when_customer_moved
def case_approve(*, case_id: str, reviewer: Actor, rationale: str, expected_version: int | None = None) -> Case:
    """Approve a case that another user submitted; four-eyes is enforced here. Onboarding: the customer is active."""
    case = case_get(case_id=case_id)
    _decide_checks(case=case, reviewer=reviewer, rationale=rationale)
    customer = _customer(case.customer_id)
    if case.kind == "onboarding" and customer is not None and customer.confirmed_match_alerts:
        raise Conflict(f"Case {case_id} cannot be approved: the customer has a confirmed sanctions match "
                       f"({', '.join(str(a) for a in customer.confirmed_match_alerts)}); it can only be rejected.",
                       code="confirmed_match")
    _screening_clear(case, "approved")
    return _transition(case=case, expected_version=expected_version, actor=reviewer, action="case.approved",
                       new_status=APPROVED, reason=rationale, decision="approved", rationale=rationale,
                       decided_by=reviewer.key, decided_by_name=reviewer.name, decided_at=_now(), **_UNASSIGNED,
                       **_customer_decision(case, "active", reviewer, rationale))


@decided_again_when_customer_moved
def case_reject(*, case_id: str, reviewer: Actor, rationale: str, expected_version: int | None = None) -> Case:
    """Reject a submitted case (refuse the relationship); four-eyes is enforced here. Onboarding: customer rejected."""
    case = case_get(case_id=case_id)
    _decide_checks(case=case, reviewer=reviewer, rationale=rationale)
    return _transition(case=case, expected_version=expected_version, actor=reviewer, action="case.rejected",
                       new_status=REJECTED, reason=rationale, decision="rejected", rationale=rationale,
                       decided_by=reviewer.key, decided_by_name=reviewer.name, decided_at=_now(), **_UNASSIGNED,
                       **_customer_decision(case, "rejected", reviewer, rationale))


def case_return(*, case_id: str, reviewer: Actor, rationale: str, expected_version: int | None = None) -> Case:
    """Send a submitted case back to the analysts with what is missing."""
    case = case_get(case_id=case_id)
    _decide_checks(case=case, reviewer=reviewer, rationale=rationale, returning=True)
    return _transition(case=case, expected_version=expected_version, actor=reviewer, action="case.returned",
                       new_status=OPEN, reason=rationale, decision="returned", rationale=rationale,
                       participants=[*(case.participants or []), _participant(reviewer, "returned")],
                       decided_by=reviewer.key, decided_by_name=reviewer.name, decided_at=_now(),
                       **_UNASSIGNED)  # back in the open queue, for any analyst to claim


# --- assignment -------------------------------------------------------------------------------------------------

def case_work_refusal(*, case: Case, person: Actor) -> DomainError | None:
    """Why ``person`` may not work ``case`` now (None: they may claim it or be handed it)."""
    if case.status != SUBMITTED:
        return _work_refusal(case, person, {}, None)
    return _work_refusal(case, person, case_preparers(case=case), case_senior_reason_now(case=case))


def _work_refusal(case: Case, person: Actor, preparers: dict[str, str], senior_needed: str | None,
                  ) -> DomainError | None:
    if case.status == OPEN:
        if ANALYST not in person.roles:
            return Forbidden(f"{person.name} is not an analyst: analysts work open cases.", code="not_eligible")
        return None
    if case.status == SUBMITTED:
        if not {REVIEWER, SENIOR_REVIEWER} & set(person.roles):
            return Forbidden(f"{person.name} is not a reviewer: reviewers take submitted cases.", code="not_eligible")
        for key, what in preparers.items():
            if person.is_actor(key):
                return FourEyesViolation(f"{person.name} {what}; a reviewer who did not work on it must decide it "
                                         "(four-eyes).")
        if senior_needed and SENIOR_REVIEWER not in person.roles:
            return Forbidden(f"{person.name} is not a senior reviewer. {senior_needed}", code="not_eligible")
        return None
    return Conflict(f"Case {case.case_id} is {case.status}; decided cases are not assigned.")


def _assign_write(*, case: Case, actor: Actor, action: str, reason: str | None, expected_version: int | None,
                  to: Actor | None) -> Case:
    data = {"from": case.assignee_name, "to": to.name if to else None}
    fields: dict[str, Any] = ({"assignee": to.key, "assignee_name": to.name, "assigned_at": _now()} if to
                              else dict(_UNASSIGNED))
    return _transition(case=case, expected_version=expected_version, actor=actor, action=action,
                       new_status=case.status, reason=reason, data=data, **fields)


def _may_reassign(case: Case, actor: Actor, doing: str) -> None:
    if not case.assignee:
        raise Conflict(f"Case {case.case_id} is not assigned to anyone; claim it instead.", code="not_assigned")
    if not actor.is_actor(case.assignee) and SENIOR_REVIEWER not in actor.roles:
        raise Forbidden(f"Case {case.case_id} is assigned to {case.assignee_name}: only they or a senior reviewer "
                        f"can {doing} it.")


def case_claim(*, case_id: str, actor: Actor, expected_version: int | None = None) -> Case:
    """Take an unassigned case to work on: an analyst an open one, a reviewer a submitted one they may decide."""
    case = case_get(case_id=case_id)
    refusal = case_work_refusal(case=case, person=actor)
    if refusal is not None:
        raise refusal
    if actor.is_actor(case.assignee):
        return case
    if case.assignee:
        raise Conflict(f"Case {case_id} is assigned to {case.assignee_name}; they can hand it over to you.",
                       code="assigned_elsewhere")
    return _assign_write(case=case, actor=actor, action="case.claimed", reason=None,
                         expected_version=expected_version, to=actor)


def case_hand_over(*, case_id: str, actor: Actor, to: Actor, reason: str = "",
                   expected_version: int | None = None) -> Case:
    """The assignee (or a senior reviewer) hands a case to someone else who may work it; never to a preparer."""
    case = case_get(case_id=case_id)
    _may_reassign(case, actor, "hand over")
    if to.is_actor(case.assignee):
        raise Conflict(f"Case {case_id} is already assigned to {to.name}.", code="already_assigned")
    refusal = case_work_refusal(case=case, person=to)
    if refusal is not None:
        raise type(refusal)(f"Case {case_id} cannot be handed to {to.name}: {refusal.message}", code=refusal.code)
    return _assign_write(case=case, actor=actor, action="case.handed_over", reason=reason.strip() or None,
                         expected_version=expected_version, to=to)


def case_unassign(*, case_id: str, actor: Actor, reason: str = "", expected_version: int | None = None) -> Case:
    """Put an assigned case back in the queue (its assignee, or a senior reviewer)."""
    case = case_get(case_id=case_id)
    _may_reassign(case, actor, "unassign")
    return _assign_write(case=case, actor=actor, action="case.unassigned", reason=reason.strip() or None,
                         expected_version=expected_version, to=None)


def case_hand_over_candidates(*, case: Case, people: list[Actor]) -> list[Actor]:
    """Of ``people``, those the case may be handed to now (not its assignee; the same rule as the hand-over)."""
    live = case.status == SUBMITTED
    preparers = case_preparers(case=case) if live else {}
    senior_needed = case_senior_reason_now(case=case) if live else None
    return [p for p in people
            if not p.is_actor(case.assignee) and _work_refusal(case, p, preparers, senior_needed) is None]


# --- notes ------------------------------------------------------------------------------------------------------

NOTE_MAX = 4000


def case_note_add(*, case_id: str, author: Actor, text: str) -> Case:
    """Add a note to a case (analysts and reviewers); notes are never edited or removed, and each is audited."""
    if not {ANALYST, REVIEWER, SENIOR_REVIEWER} & set(author.roles):
        raise Forbidden("Only analysts and reviewers add notes to cases.")
    text = text.strip()
    if not text:
        raise ValidationFailed("A note needs some text.", errors={"note": ["write the note"]})
    if len(text) > NOTE_MAX:
        raise ValidationFailed("The note is too long.", errors={"note": [f"at most {NOTE_MAX} characters"]})
    note_id, at = f"note_{ULID()}", _now().isoformat()
    for _attempt in range(3):  # a note never fails because someone else changed the case meanwhile
        case = case_get(case_id=case_id)
        note = CaseNote(case_id, note_id, customer_id=case.customer_id, by=author.key, name=author.name, at=at,
                        text=text)
        case.updated_at = _now()
        case.updated_key = case.updated_at.isoformat()
        _due_fill(case)
        try:
            audit_event_record(
                entry=AuditEntry(actor=author, action="case.note_added", object_type="case", object_id=case_id,
                                 reason=text, data={"customer_id": case.customer_id, "note_id": note_id}),
                # the note in its own table: the case's item does not grow with every note
                writes=[save_write(note, CaseNote.note_id.does_not_exist()), save_write(case)],
            )
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" in cancellation_codes(exc):
                continue
            raise
        return case
    raise PreconditionFailed(f"Case {case_id} keeps changing; add the note again.")


def cases_due_backfill(*, actor: Actor) -> dict[str, int]:
    """Offline (a Scan): give every case opened before due dates existed its due date, each audited once."""
    counts = {"set": 0, "already": 0, "changed_meanwhile": 0}
    for stale in Case.scan(Case.due_key.does_not_exist()):
        case = case_get(case_id=stale.case_id)
        if case.due_key:
            counts["already"] += 1
            continue
        _due_fill(case)
        try:
            audit_event_record(
                entry=AuditEntry(actor=actor, action="case.due_date_set", object_type="case", object_id=case.case_id,
                                 reason=f"due {case.due_date} (service level of its kind, from its opening)",
                                 data={"customer_id": case.customer_id, "due_date": case.due_date}),
                writes=[save_write(case)],
            )
        except TransactWriteError as exc:
            if "ConditionalCheckFailed" not in cancellation_codes(exc):
                raise
            counts["changed_meanwhile"] += 1  # its change gave it a due date, or the next run does
            continue
        counts["set"] += 1
    return counts
