"""Four-eyes over the whole case, not its last submission: nobody who worked on a case decides it.

A person's roles change over a career (an analyst becomes a reviewer), so the rule is about what a
person did in this case, not about the roles they hold today.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import Group

from apps.audit.actors import Actor
from apps.core.errors import FourEyesViolation
from apps.reviews import services
from tests.documents import files
from tests.reviews.support import PLAIN, created

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


def _also(user: Any, *roles: str) -> Actor:
    """``user`` after a promotion: their earlier work stays theirs."""
    user.groups.add(*Group.objects.filter(name__in=roles))
    user._cdd_roles = None
    return Actor.from_user(user)


def _case(data: dict[str, Any] | None = None) -> Any:
    return services.case_get(case_id=f"onboarding-{created(data or PLAIN)}")


def test_the_first_preparer_cannot_approve_after_a_return_and_a_colleagues_resubmission(
        analyst: Any, analyst2: Any, reviewer: Any, senior_reviewer: Any) -> None:
    case = _case()
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst), summary="checked")
    services.case_return(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="address proof missing")
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst2), summary="address proof added")
    first_preparer = _also(analyst, "reviewer")
    with pytest.raises(FourEyesViolation, match="You submitted this case"):
        services.case_approve(case_id=case.case_id, reviewer=first_preparer, rationale="fine")
    with pytest.raises(FourEyesViolation, match="You returned this case"):
        services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="fine now")
    # the one who returned it may send it back again, and somebody who did not work on it decides
    services.case_return(case_id=case.case_id, reviewer=Actor.from_user(reviewer), rationale="still missing")
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst2), summary="now complete")
    assert services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(senior_reviewer),
                                 rationale="complete").status == "approved"
    stored = services.case_get(case_id=case.case_id)
    assert [(p["name"], p["did"]) for p in stored.participants] == [
        (analyst.username, "submitted"), (reviewer.username, "returned"), (analyst2.username, "submitted"),
        (reviewer.username, "returned"), (analyst2.username, "submitted")]


def test_whoever_uploaded_the_customers_evidence_cannot_decide_the_case(analyst: Any, analyst2: Any) -> None:
    from apps.documents import services as documents

    case = _case()
    documents.document_upload(customer_id=case.customer_id, file=io.BytesIO(files.pdf()), filename="passport.pdf",
                              meta=documents.DocumentMeta(document_type="passport"), actor=Actor.from_user(analyst))
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst2), summary="passport on file")
    with pytest.raises(FourEyesViolation, match="uploaded the passport"):
        services.case_reject(case_id=case.case_id, reviewer=_also(analyst, "reviewer"), rationale="no")
    assert services.case_get(case_id=case.case_id).status == "submitted"


def test_whoever_proposed_an_alert_disposition_cannot_decide_the_case(
        analyst: Any, analyst2: Any, senior_reviewer: Any) -> None:
    from apps.screening.selectors.alerts import alerts_of_customer
    from apps.screening.services.alerts import alert_disposition_decide, alert_disposition_propose

    # the listed person's name and a birth date a typing slip away: alerted (decades away would not be)
    case = _case({**PLAIN, "legal_name": "Qasem Soleimani", "date_of_birth": "1958-03-11"})
    alerts = alerts_of_customer(customer_id=case.customer_id)
    assert alerts, "a customer named like a listed person is alerted"
    for view in alerts:
        alert_disposition_propose(alert_id=view.alert_id, actor=Actor.from_user(analyst), outcome="false_positive",
                                  rationale="other father's name and place of birth; British teacher")
        alert_disposition_decide(alert_id=view.alert_id, actor=Actor.from_user(senior_reviewer), confirm=True,
                                 rationale="agreed")
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst2), summary="alerts cleared")
    with pytest.raises(FourEyesViolation, match="proposed the disposition of alert"):
        services.case_approve(case_id=case.case_id, reviewer=_also(analyst, "reviewer", "senior_reviewer"),
                              rationale="fine")
    assert services.case_approve(case_id=case.case_id, reviewer=Actor.from_user(senior_reviewer),
                                 rationale="alerts were false positives").status == "approved"


def test_whoever_waived_a_requirement_cannot_decide_the_case(analyst: Any, analyst2: Any) -> None:
    from apps.documents import services as documents
    from apps.documents.selectors import document_checklist

    documents.requirements_default_load(actor=Actor.system("tests"))
    case = _case()
    for item in document_checklist(customer_id=case.customer_id):
        documents.requirement_waive(customer_id=case.customer_id, code=item.code,
                                    reason="held on file from the previous relationship", actor=Actor.from_user(analyst))
    services.case_submit(case_id=case.case_id, analyst=Actor.from_user(analyst2), summary="all waived")
    with pytest.raises(FourEyesViolation, match="waived the"):
        services.case_approve(case_id=case.case_id, reviewer=_also(analyst, "reviewer"), rationale="fine")
    assert services.case_get(case_id=case.case_id).status == "submitted"
