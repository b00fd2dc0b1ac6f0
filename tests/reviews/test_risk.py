"""The risk model rates customers after screening and whenever an input changes, explains every rating,
and changes only under four-eyes: drafts published by another senior reviewer, manual overrides
confirmed by one. The worker's part runs through the outbox (``outbox_drain``), as in the screening tests."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import Conflict, Forbidden, FourEyesViolation, ValidationFailed
from apps.core.outbox import outbox_drain
from apps.customers.selectors import customer_get
from apps.customers.services import customer_create, customer_update
from apps.reviews.risk import services as risk
from apps.reviews.risk.scoring import model_problems
from tests.reviews.support import PLAIN, created, settle, today

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

def factor(view: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in view["factors"] if f["factor"] == name)


def test_a_plain_customer_is_rated_low_after_screening_with_every_factor_explained(api: APIClient) -> None:
    customer_id = created(PLAIN)
    view = api.get(f"/api/v1/customers/{customer_id}/risk").json()
    assert (view["rating"], view["cdd_level"], view["model_version"]) == ("low", "simplified", 1)
    created_on = date.fromisoformat(customer_get(customer_id=customer_id).created_at.date().isoformat())
    assert view["next_review_date"] == (created_on + timedelta(days=round(365.25 * 5))).isoformat()
    assert {f["factor"] for f in view["factors"]} >= {"customer_type", "countries", "occupation", "products",
                                                      "channels", "pep", "screening", "relationship"}
    assert sum(f["contribution"] for f in view["factors"]) == pytest.approx(view["score"])
    customer = customer_get(customer_id=customer_id)
    assert (customer.risk_rating, customer.cdd_level, customer.risk_assessment_id) == (
        "low", "simplified", view["assessment_id"])
    actions = [e.action for e in AuditEvent.query(f"customer#{customer_id}")]
    assert "customer.risk_rated" in actions


def test_an_iran_resident_is_high_risk_by_the_fatf_rule_and_needs_enhanced_due_diligence(api: APIClient) -> None:
    customer_id = created({**PLAIN, "legal_name": "Parvin Ahmadi Tehrani", "country_of_residence": "IR",
                           "nationalities": ["IR"]})
    view = api.get(f"/api/v1/customers/{customer_id}/risk").json()
    countries = factor(view, "countries")
    assert countries["contribution"] == 40 and "residence IR" in countries["detail"]
    assert (view["rating"], view["cdd_level"]) == ("high", "enhanced")
    assert view["next_review_date"] <= (today() + timedelta(days=366)).isoformat()


def test_a_declared_pep_is_at_least_high_whatever_the_score(api: APIClient) -> None:
    customer_id = created({**PLAIN, "legal_name": "Marguerite Delacroix-Fontaine", "pep_status": "pep",
                           "occupation": "Member of parliament"})
    view = api.get(f"/api/v1/customers/{customer_id}/risk").json()
    assert factor(view, "pep")["value"] == "pep"
    assert view["rating"] == "high"
    assert [o["rule"] for o in view["overrides"]] == ["pep"] or view["score_rating"] == "high"


def test_a_change_of_an_input_rates_the_customer_again(api: APIClient) -> None:
    customer_id = created(PLAIN)
    assert customer_get(customer_id=customer_id).risk_rating == "low"
    customer = customer_get(customer_id=customer_id)
    customer_update(customer_id=customer_id, expected_version=customer.version, actor=Actor.system("tests"),
                    changes={"products": ["private_banking"], "channels": ["introducer"]})
    settle(customer_id)
    view = api.get(f"/api/v1/customers/{customer_id}/risk").json()
    assert view["rating"] == "medium" and view["trigger"] == "customer_changed"
    assert view["history"][0]["rating"] == "low"


def test_an_unchanged_customer_is_not_assessed_twice(system_actor: Actor) -> None:
    customer_id = created(PLAIN)
    before = len(risk.risk_assessments_of(customer_id=customer_id))
    assert risk.risk_assess(customer_id=customer_id, trigger="tests", actor=system_actor) is None
    assert len(risk.risk_assessments_of(customer_id=customer_id)) == before


def test_an_unassessed_customer_answers_404_with_what_to_wait_for(api: APIClient) -> None:
    customer = customer_create(actor=Actor.system("tests"), integration="tests", data=PLAIN)
    response = api.get(f"/api/v1/customers/{customer.customer_id}/risk")
    assert response.status_code == 404
    assert "screening completes" in response.json()["message"]


def _actor(user: Any) -> Actor:
    return Actor.from_user(user)


def test_a_new_model_version_is_published_by_another_senior_after_a_what_if(
        api: APIClient, analyst: Any, senior_reviewer: Any, django_user_model: Any) -> None:
    low = created(PLAIN)
    online = created({**PLAIN, "legal_name": "Oskar Lindqvist-Berg", "channels": ["online"]})
    assert customer_get(customer_id=online).risk_rating == "low"  # 5 + 8 = 13 < 15
    draft = risk.risk_model_draft_create(actor=_actor(analyst), note="online onboarding is riskier")
    definition = dict(draft.definition)
    definition["factors"] = {**definition["factors"],
                             "channels": {**definition["factors"]["channels"],
                                          "points": {**definition["factors"]["channels"]["points"], "online": 20}}}
    draft = risk.risk_model_draft_update(actor=_actor(analyst), version=int(draft.model_version),
                                         definition=definition, note="online 8 -> 20")
    version = int(draft.model_version)
    with pytest.raises(FourEyesViolation):
        risk.risk_model_publish(actor=Actor(kind="user", id=str(analyst.pk), name=analyst.username,
                                            roles=("senior_reviewer",), user_id=analyst.pk),
                                version=version, reason="mine")
    with pytest.raises(Conflict, match="what-if"):
        risk.risk_model_publish(actor=_actor(senior_reviewer), version=version, reason="judged")
    report = risk.risk_model_whatif(actor=_actor(senior_reviewer), version=version)
    assert report["total"] == 2 and report["changed"] == 1
    assert {"from": "low", "to": "medium", "customers": 1} in report["moves"]
    risk.risk_model_publish(actor=_actor(senior_reviewer), version=version, reason="judged on the what-if")
    outbox_drain(group_key=f"risk_model#{version}")
    settle(online)
    settle(low)
    assert customer_get(customer_id=online).risk_rating == "medium"
    assert customer_get(customer_id=low).risk_rating == "low"
    view = api.get(f"/api/v1/customers/{online}/risk").json()
    assert (view["model_version"], view["trigger"]) == (version, "model_published")
    # A redelivered re-rating records no second request.
    assert risk.risk_rerate_shard_process(item=type("I", (), {"payload": {"version": version, "shard": int(
        risk.book_shard_of(online).split("#")[1])}})())["requested"] == 0


def test_a_what_if_that_meets_a_busy_table_is_retried_not_dropped(
        analyst: Any, senior_reviewer: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from pynamodb.exceptions import CancellationReason, TransactWriteError

    created(PLAIN)
    draft = risk.risk_model_draft_create(actor=_actor(analyst), note="try")
    version = int(draft.model_version)
    record = risk.audit_event_record

    class Busy(TransactWriteError):
        cancellation_reasons = [CancellationReason("TransactionConflict")]  # type: ignore[assignment]

    def busy(**kwargs: Any) -> Any:
        if kwargs["entry"].action == "risk_model.whatif_computed":
            raise Busy("busy")
        return record(**kwargs)

    monkeypatch.setattr(risk, "audit_event_record", busy)
    with pytest.raises(TransactWriteError):  # the outbox item stays pending and is retried
        risk.risk_model_whatif(actor=_actor(senior_reviewer), version=version)
    monkeypatch.setattr(risk, "audit_event_record", record)
    risk.risk_model_whatif(actor=_actor(senior_reviewer), version=version)
    risk.risk_model_publish(actor=_actor(senior_reviewer), version=version, reason="judged on the what-if")


def test_a_broken_definition_is_refused_naming_the_place(analyst: Any) -> None:
    draft = risk.risk_model_draft_create(actor=_actor(analyst), note="try")
    broken = {**draft.definition, "bands": [{"rating": "low", "below": 20}, {"rating": "medium", "below": 10},
                                            {"rating": "high"}]}
    with pytest.raises(ValidationFailed) as refused:
        risk.risk_model_draft_update(actor=_actor(analyst), version=int(draft.model_version), definition=broken,
                                     note=None)
    assert "definition.bands.1.below" in refused.value.errors
    assert model_problems({"factors": {"nonsense": {}}})["factors.nonsense"]


def test_a_manual_override_needs_a_senior_who_did_not_propose_it_and_expires(
        analyst: Any, senior_reviewer: Any, reviewer: Any) -> None:
    customer_id = created(PLAIN)
    expires = today() + timedelta(days=90)
    with pytest.raises(ValidationFailed):
        risk.risk_override_propose(customer_id=customer_id, rating="high", reason="", expires_on=expires,
                                   actor=_actor(analyst))
    override = risk.risk_override_propose(customer_id=customer_id, rating="high", reason="adverse media: fraud probe",
                                          expires_on=expires, actor=_actor(analyst))
    with pytest.raises(Forbidden):
        risk.risk_override_decide(customer_id=customer_id, override_id=override.override_id, confirm=True,
                                  reason="ok", actor=_actor(reviewer))
    risk.risk_override_decide(customer_id=customer_id, override_id=override.override_id, confirm=True,
                              reason="agreed", actor=_actor(senior_reviewer))
    settle(customer_id)
    customer = customer_get(customer_id=customer_id)
    assert (customer.risk_rating, customer.cdd_level) == ("high", "enhanced")
    current = risk.risk_assessment_current(customer_id=customer_id)
    assert current is not None and current.model_rating == "low" and current.manual_override["applied"] is True
    assert risk.risk_overrides_expire(today=expires + timedelta(days=1)) == 1
    settle(customer_id)
    assert customer_get(customer_id=customer_id).risk_rating == "low"


def test_a_confirmed_match_on_a_pep_list_makes_a_pep_not_a_sanctioned_party(
        api: APIClient, analyst: Any, senior_reviewer: Any, settings: Any) -> None:
    from apps.screening.selectors.alerts import alerts_of_customer
    from apps.screening.services.alerts import alert_disposition_decide, alert_disposition_propose

    settings.CDD_RISK_PEP_LISTS = ["un_sc"]  # the bank's own PEP list would be named here
    customer_id = created({**PLAIN, "legal_name": "Qasem Soleimani", "date_of_birth": "1957-03-11",
                           "nationalities": ["GB"], "country_of_residence": "GB"})
    [un] = [v for v in alerts_of_customer(customer_id=customer_id) if v.alert.list_key == "un_sc"]
    alert_disposition_propose(alert_id=un.alert_id, actor=_actor(analyst), outcome="true_match",
                              rationale="the same person")
    alert_disposition_decide(alert_id=un.alert_id, actor=_actor(senior_reviewer), confirm=True, rationale="agreed")
    settle(customer_id)
    assert customer_get(customer_id=customer_id).confirmed_match_alerts == []
    pep = factor(api.get(f"/api/v1/customers/{customer_id}/risk").json(), "pep")
    assert (pep["value"], pep["detail"]) == ("pep", "pep (confirmed match on un_sc)")
