"""Screening results through the API: a customer's alerts and runs, one alert side by side with the
list entry, dispositions under four-eyes (enforced in ``services/alerts.py``), on-demand screening."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.core.errors import NotFound
from apps.core.etags import expected_version
from apps.core.openapi import ERROR_RESPONSES, error
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.customers.access import CustomerOwned
from apps.customers.selectors import customer_get
from apps.screening.dynamo_models import ALERT_STATUSES, OUTCOMES
from apps.screening.selectors.alerts import AlertView, alert_get, alerts_of_customer, screening_runs_of_subject
from apps.screening.services.alerts import alert_disposition_decide, alert_disposition_propose, alert_memory_revoke
from apps.screening.services.subjects import customer_screening_request

READERS = {ANALYST, REVIEWER, SENIOR_REVIEWER}
TAGS = ["screening"]


class AlertSummarySerializer(serializers.Serializer):
    alert_id = serializers.CharField()
    customer_id = serializers.CharField()
    subject = serializers.DictField(help_text='{"subject_id": "customer" or a party id, "type", "name"}')
    list = serializers.CharField()
    list_entity_id = serializers.CharField()
    list_entity_name = serializers.CharField()
    matched_name = serializers.CharField()
    score = serializers.FloatField()
    status = serializers.ChoiceField(choices=ALERT_STATUSES)
    hit_in_last_run = serializers.BooleanField()
    version = serializers.IntegerField(help_text="Send as If-Match to propose or decide.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class AlertDetailSerializer(AlertSummarySerializer):
    subject_inputs = serializers.DictField(help_text="The subject's screened fields at the last run that hit.")
    list_entry = serializers.DictField(help_text="The list entry as the list version had it.")
    list_version_id = serializers.CharField()
    explanation = serializers.DictField(help_text="Each feature's contribution to the score and its values.")
    algorithm = serializers.CharField()
    threshold = serializers.FloatField()
    proposal = serializers.DictField(allow_null=True)
    decision = serializers.DictField(allow_null=True)
    false_positive_memory = serializers.DictField(allow_null=True)
    reopened = serializers.DictField(allow_null=True)
    delisted = serializers.DictField(allow_null=True, help_text="Set when the list entry left the list: review it.")
    first_run_id = serializers.CharField()
    last_run_id = serializers.CharField()


def alert_summary(view: AlertView) -> dict[str, Any]:
    alert, state = view.alert, view.state
    names = (alert.entity or {}).get("names") or [[alert.matched_name, "primary"]]
    return {
        "alert_id": alert.alert_id, "customer_id": alert.customer_id,
        "subject": {"subject_id": alert.subject_id, "type": alert.subject_type, "name": alert.subject_name},
        "list": alert.list_key, "list_entity_id": alert.list_entity_id, "list_entity_name": names[0][0],
        "matched_name": alert.matched_name, "score": float(alert.score), "status": state.status,
        "hit_in_last_run": bool(alert.hit_in_last_run), "version": int(state.version or 0),
        "created_at": alert.created_at, "updated_at": state.updated_at,
    }


def alert_detail(view: AlertView) -> dict[str, Any]:
    alert, state = view.alert, view.state
    return {**alert_summary(view), "subject_inputs": alert.subject_inputs, "list_entry": alert.entity,
            "list_version_id": alert.list_version_id, "explanation": alert.explanation, "algorithm": alert.algorithm,
            "threshold": float(alert.threshold), "proposal": state.proposal, "decision": state.decision,
            "false_positive_memory": state.memory, "reopened": state.reopened, "delisted": state.delisted,
            "first_run_id": alert.first_run_id, "last_run_id": alert.last_run_id}


def _alert_response(view: AlertView) -> Response:
    response = Response(AlertDetailSerializer(alert_detail(view)).data)
    response["ETag"] = f'"{view.state.version}"'
    return response


def _expected_version(request: Request) -> int | None:
    return expected_version(request, what="an alert")


class CustomerAlertListApi(CustomerOwned, APIView):
    """The customer's alerts and those of its related parties."""

    required_roles = READERS
    required_scopes = {"GET": "screening:read"}

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=ALERT_STATUSES, required=False)

    @extend_schema(parameters=[FilterSerializer], responses={200: AlertSummarySerializer(many=True), **ERROR_RESPONSES,
                                                             404: error("No such customer")},
                   tags=TAGS, operation_id="customer_alerts_list")
    def get(self, request: Request, customer_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        customer_get(customer_id=customer_id)
        views = alerts_of_customer(customer_id=customer_id, status=filters.validated_data.get("status"))
        return Response(AlertSummarySerializer([alert_summary(v) for v in views], many=True).data)


class RunSerializer(serializers.Serializer):
    run_id = serializers.CharField()
    subject_id = serializers.CharField()
    subject_name = serializers.CharField()
    trigger = serializers.CharField()
    inputs = serializers.DictField()
    list_source = serializers.CharField()
    list_versions = serializers.DictField(child=serializers.CharField())
    algorithm = serializers.CharField()
    threshold = serializers.FloatField()
    duration_ms = serializers.FloatField()
    hits = serializers.ListField(child=serializers.DictField())
    created_at = serializers.DateTimeField()


class CustomerScreeningApi(CustomerOwned, APIView):
    """GET: a subject's screening runs, newest first. POST: screen the customer and all its parties again."""

    @property
    def required_roles(self) -> set[str]:
        return READERS if self.request.method in ("GET", "HEAD") else {ANALYST}

    required_scopes = {"GET": "screening:read", "POST": "screening:write"}

    class FilterSerializer(serializers.Serializer):
        subject_id = serializers.CharField(default="customer", max_length=40,
                                           help_text='"customer" or a related party id')
        limit = serializers.IntegerField(min_value=1, max_value=200, default=50)

    class RequestedSerializer(serializers.Serializer):
        requests = serializers.ListField(child=serializers.DictField(), help_text="[{request_id, subject_id}]")

    @extend_schema(parameters=[FilterSerializer], responses={200: RunSerializer(many=True), **ERROR_RESPONSES,
                                                             404: error("No such customer")},
                   tags=TAGS, operation_id="customer_screenings_list")
    def get(self, request: Request, customer_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        customer_get(customer_id=customer_id)
        runs = screening_runs_of_subject(customer_id=customer_id, subject_id=filters.validated_data["subject_id"],
                                         limit=filters.validated_data["limit"])
        return Response(RunSerializer(runs, many=True).data)

    @extend_schema(request=None, responses={202: RequestedSerializer, **ERROR_RESPONSES,
                                            404: error("No such customer")},
                   tags=TAGS, operation_id="customer_screenings_request")
    def post(self, request: Request, customer_id: str) -> Response:
        items = customer_screening_request(customer_id=customer_id, actor=Actor.from_request(request))
        body = {"requests": [{"request_id": i.outbox_id, "subject_id": i.payload["subject_id"]} for i in items]}
        return Response(self.RequestedSerializer(body).data, status=202)


class AlertDetailApi(CustomerOwned, APIView):
    """One alert: the subject's data against the list entry's, the score and every feature's part."""

    required_roles = READERS
    required_scopes = {"GET": "screening:read"}

    def integration_customer_id(self, request: Request, kwargs: Mapping[str, Any]) -> str:
        return alert_get(alert_id=str(kwargs["alert_id"])).alert.customer_id

    def integration_object_not_found(self, kwargs: Mapping[str, Any]) -> Exception:
        return NotFound(f"No alert {kwargs['alert_id']}; check the id.")

    @extend_schema(responses={200: AlertDetailSerializer, **ERROR_RESPONSES, 404: error("No such alert")}, tags=TAGS)
    def get(self, request: Request, alert_id: str) -> Response:
        return _alert_response(alert_get(alert_id=alert_id))


IF_MATCH = OpenApiParameter("If-Match", str, "header", required=False, description="The alert's ETag.")


class AlertProposalApi(APIView):
    """An analyst proposes a disposition; a different reviewer decides it."""

    required_roles = {ANALYST}

    class InputSerializer(serializers.Serializer):
        outcome = serializers.ChoiceField(choices=OUTCOMES)
        rationale = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, parameters=[IF_MATCH],
                   responses={200: AlertDetailSerializer, **ERROR_RESPONSES, 404: error("No such alert"),
                              409: error("The alert is not open"), 412: error("Stale If-Match")},
                   tags=TAGS, operation_id="alert_disposition_propose")
    def post(self, request: Request, alert_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _alert_response(alert_disposition_propose(
            alert_id=alert_id, actor=Actor.from_request(request), outcome=data.validated_data["outcome"],
            rationale=data.validated_data["rationale"], expected_version=_expected_version(request)))


class AlertDecisionApi(APIView):
    """A reviewer who did not propose it confirms the proposal or sends it back (true matches: senior)."""

    required_roles = {REVIEWER, SENIOR_REVIEWER}

    class InputSerializer(serializers.Serializer):
        confirm = serializers.BooleanField(help_text="true: confirm the proposal; false: send it back")
        rationale = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, parameters=[IF_MATCH],
                   responses={200: AlertDetailSerializer, **ERROR_RESPONSES, 404: error("No such alert"),
                              409: error("No proposal to decide"), 412: error("Stale If-Match")},
                   tags=TAGS, operation_id="alert_disposition_decide")
    def post(self, request: Request, alert_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _alert_response(alert_disposition_decide(
            alert_id=alert_id, actor=Actor.from_request(request), confirm=data.validated_data["confirm"],
            rationale=data.validated_data["rationale"], expected_version=_expected_version(request)))


class AlertMemoryRevokeApi(APIView):
    """A senior reviewer revokes a false positive's memory; the alert is open again."""

    required_roles = {SENIOR_REVIEWER}

    class InputSerializer(serializers.Serializer):
        rationale = serializers.CharField(max_length=4000)

    @extend_schema(request=InputSerializer, parameters=[IF_MATCH],
                   responses={200: AlertDetailSerializer, **ERROR_RESPONSES, 404: error("No such alert"),
                              409: error("No false-positive memory"), 412: error("Stale If-Match")},
                   tags=TAGS, operation_id="alert_memory_revoke")
    def post(self, request: Request, alert_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return _alert_response(alert_memory_revoke(
            alert_id=alert_id, actor=Actor.from_request(request), rationale=data.validated_data["rationale"],
            expected_version=_expected_version(request)))
