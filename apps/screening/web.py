"""Alerts on screens: the side-by-side view of a hit, and the disposition actions behind its forms.

Used by the reviewer UI (the case page, web service) and the admin (alert queue and alert page,
admin service). The forms show what a person may try; the services decide what is allowed.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import DomainError
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER, user_roles
from apps.customers.display import country_names
from apps.screening.dynamo_models import FALSE_POSITIVE, NEEDS_INFORMATION, OPEN, PROPOSED, TRUE_MATCH
from apps.screening.selectors.alerts import AlertView
from apps.screening.services.alerts import (
    OUTCOME_LABELS,
    alert_disposition_decide,
    alert_disposition_propose,
    alert_memory_revoke,
)

STATUS_LABELS = {OPEN: "open", PROPOSED: "proposed", NEEDS_INFORMATION: "needs information",
                 FALSE_POSITIVE: "false positive", TRUE_MATCH: "true match"}
KIND_LABELS = {"primary": "primary name", "strong_alias": "alias", "weak_alias": "weak alias",
               "original_script": "original script", "former": "former name"}
FEATURE_LABELS = {"name_similarity": "Name", "phonetic": "Sound of the name", "name_kind": "Kind of list name",
                  "date_of_birth": "Date of birth", "country": "Nationality / country", "entity_type": "Type"}
_WORD = re.compile(r"(\w+)", re.UNICODE)


def _marked(text: str, tokens: set[str]) -> list[tuple[str, bool]]:
    """``text`` split into (segment, highlighted) where a word is one of the matched tokens."""
    out: list[tuple[str, bool]] = []
    for part in _WORD.split(text):
        if part:
            out.append((part, part.casefold() in tokens))
    return out


def _values(values: Any) -> str:
    items = [v for v in values or [] if v]
    return ", ".join(str(v) for v in items) if items else "—"


def alert_card(view: AlertView, user: Any) -> dict[str, Any]:
    """What a page shows of one alert, and which of its forms this user sees."""
    alert, state = view.alert, view.state
    entity = alert.entity or {}
    inputs = alert.subject_inputs or {}
    features = (alert.explanation or {}).get("features") or {}
    matched = (features.get("name_similarity") or {}).get("matched") or []
    query_tokens = {str(m.get("query", "")).casefold() for m in matched}
    list_tokens = {str(m.get("list", "")).casefold() for m in matched}
    names = entity.get("names") or []
    subject_names = [n for n in inputs.get("names") or [] if n]
    rows = [
        ("Name", [_marked(n, query_tokens) for n in subject_names],
         [(_marked(value, list_tokens if value == alert.matched_name else set()), KIND_LABELS.get(kind, kind),
           value == alert.matched_name) for value, kind in names]),
        ("Date of birth", inputs.get("date_of_birth") or "—", _values(entity.get("birth_dates"))),
        ("Nationality", _values(country_names(inputs.get("nationalities"))),
         _values(country_names(entity.get("nationalities")))),
        ("Countries", _values(country_names(inputs.get("countries"))), _values(country_names(entity.get("countries")))),
        ("Identifiers", _values(inputs.get("identifiers")),
         _values(f"{i[0]} {i[1]}" + (f" ({i[2]})" if len(i) > 2 and i[2] else "") for i in entity.get("identifiers") or [])),
        ("Type", inputs.get("type") or "—", entity.get("schema") or "—"),
    ]
    contributions = []
    for name, feature in features.items():
        detail = feature.get("result") or feature.get("value")
        contributions.append({"label": FEATURE_LABELS.get(name, name), "contribution": feature.get("contribution", 0),
                              "detail": detail if not isinstance(detail, (dict, list)) else ""})
    roles = user_roles(user)
    actor_key = Actor.from_user(user).key if getattr(user, "pk", None) else ""
    proposal = state.proposal or {}
    proposer = proposal.get("by")
    history = [e for e in AuditEvent.query(f"alert#{alert.alert_id}", AuditEvent.sk.startswith("E#")) if e.action]
    return {
        "alert": alert, "state": state, "status_label": STATUS_LABELS.get(state.status, state.status),
        "is_open": view.is_open, "rows": rows, "contributions": contributions,
        "entity_name": names[0][0] if names else alert.matched_name, "programs": _values(entity.get("programs")),
        "listed_on": entity.get("listed_on") or "—", "remarks": entity.get("remarks") or "",
        "subject_label": "customer" if alert.subject_type == "customer" else "related party",
        "proposal": proposal, "proposal_label": OUTCOME_LABELS.get(proposal.get("outcome", ""), ""),
        "decision": state.decision or {}, "memory": state.memory, "reopened": state.reopened,
        "history": history, "outcomes": [(k, v) for k, v in OUTCOME_LABELS.items()],
        "can_propose": ANALYST in roles and state.status in (OPEN, NEEDS_INFORMATION),
        "can_decide": bool({REVIEWER, SENIOR_REVIEWER} & roles) and state.status == PROPOSED
        and proposer != actor_key,
        "decide_needs_senior": proposal.get("outcome") == TRUE_MATCH and SENIOR_REVIEWER not in roles,
        "proposed_by_you": state.status == PROPOSED and proposer == actor_key,
        "can_revoke": SENIOR_REVIEWER in roles and state.status == FALSE_POSITIVE and bool(state.memory),
    }


def alert_action_run(request: HttpRequest, alert_id: str, action: str) -> None:
    """Do a disposition action from a form; the outcome becomes a message on the next page."""
    actor = Actor.from_user(request.user)
    rationale = request.POST.get("rationale", "")
    version = request.POST.get("version", "")
    expected = int(version) if version.isdigit() else None
    try:
        if action == "propose":
            alert_disposition_propose(alert_id=alert_id, actor=actor, outcome=request.POST.get("outcome", ""),
                                      rationale=rationale, expected_version=expected)
            done = "Proposal recorded; another reviewer decides it."
        elif action in ("confirm", "return"):
            alert_disposition_decide(alert_id=alert_id, actor=actor, confirm=action == "confirm", rationale=rationale,
                                     expected_version=expected)
            done = "Disposition confirmed." if action == "confirm" else "Proposal sent back to the analysts."
        elif action == "revoke":
            alert_memory_revoke(alert_id=alert_id, actor=actor, rationale=rationale, expected_version=expected)
            done = "False-positive memory revoked; the alert is open again."
        else:
            messages.error(request, f"Unknown action {action}.")
            return
    except DomainError as exc:
        messages.error(request, exc.text())
    else:
        messages.success(request, done)
