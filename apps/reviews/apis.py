"""Case API: the queue, a case, and the analyst/reviewer transitions (four-eyes in the services)."""

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
from apps.core.integrations import integration_confined
from apps.core.openapi import ERROR_RESPONSES, error
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER
from apps.customers.access import CustomerOwned
from apps.reviews import services
from apps.reviews.models import STATUSES, Case
from apps.reviews.selectors import case_queue

READERS = {ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR}
DECIDERS = {REVIEWER, SENIOR_REVIEWER}


class CaseOutputSerializer(serializers.Serializer):
    case_id = serializers.CharField()
    customer_id = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    title = serializers.CharField()
    requires_senior = serializers.BooleanField()
    submitted_by = serializers.CharField(allow_null=True)
    submission_summary = serializers.CharField(allow_null=True)
    submitted_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.CharField(allow_null=True)
    decision = serializers.CharField(allow_null=True)
    rationale = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


def _expected_version(request: Request) -> int | None:
    return expected_version(request, what="a case")


def _case_response(case: Case, status: int = 200) -> Response:
    response = Response(CaseOutputSerializer(case).data, status=status)
    response["ETag"] = f'"{case.version}"'
    return response


class CaseListApi(APIView):
    integration_scope = "filtered"
    required_roles = READERS
    required_scopes = {"GET": "cases:read"}

    class CaseListFilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=STATUSES, default="submitted")
        limit = serializers.IntegerField(min_value=1, max_value=200, default=50)

    FilterSerializer = CaseListFilterSerializer

    @extend_schema(parameters=[FilterSerializer], responses={200: CaseOutputSerializer(many=True), **ERROR_RESPONSES},
                   tags=["cases"])
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        cases = case_queue(status=filters.validated_data["status"], limit=filters.validated_data["limit"],
                           integration=integration_confined(request))  # a confined key: its own customers only
        return Response(CaseOutputSerializer(cases, many=True).data)


class CaseDetailApi(CustomerOwned, APIView):
    required_roles = READERS
    required_scopes = {"GET": "cases:read"}

    def integration_customer_id(self, request: Request, kwargs: Mapping[str, Any]) -> str:
        return services.case_get(case_id=str(kwargs["case_id"])).customer_id

    def integration_object_not_found(self, kwargs: Mapping[str, Any]) -> Exception:
        return NotFound(f"No case {kwargs['case_id']}.")

    @extend_schema(responses={200: CaseOutputSerializer, **ERROR_RESPONSES, 404: error("No such case")},
                   tags=["cases"])
    def get(self, request: Request, case_id: str) -> Response:
        return _case_response(services.case_get(case_id=case_id))


class CaseSubmitApi(APIView):
    required_roles = {ANALYST}

    class CaseSubmitInputSerializer(serializers.Serializer):
        summary = serializers.CharField(max_length=4000)

    InputSerializer = CaseSubmitInputSerializer

    @extend_schema(request=InputSerializer, parameters=[OpenApiParameter("If-Match", str, "header", required=False)],
                   responses={200: CaseOutputSerializer, **ERROR_RESPONSES, 404: error("No such case"),
                              409: error("Not open"), 412: error("Stale If-Match")}, tags=["cases"])
    def post(self, request: Request, case_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = services.case_submit(case_id=case_id, analyst=Actor.from_request(request),
                                    summary=data.validated_data["summary"],
                                    expected_version=_expected_version(request))
        return _case_response(case)


class _DecisionApi(APIView):
    required_roles = DECIDERS
    decide: Any = None

    class CaseDecisionInputSerializer(serializers.Serializer):
        rationale = serializers.CharField(max_length=4000)

    InputSerializer = CaseDecisionInputSerializer

    @extend_schema(request=InputSerializer, parameters=[OpenApiParameter("If-Match", str, "header", required=False)],
                   responses={200: CaseOutputSerializer, **ERROR_RESPONSES, 404: error("No such case"),
                              409: error("Not submitted"), 412: error("Stale If-Match")}, tags=["cases"])
    def post(self, request: Request, case_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = type(self).decide(case_id=case_id, reviewer=Actor.from_request(request),
                                 rationale=data.validated_data["rationale"],
                                 expected_version=_expected_version(request))
        return _case_response(case)


class CaseApproveApi(_DecisionApi):
    decide = staticmethod(services.case_approve)


class CaseRejectApi(_DecisionApi):
    decide = staticmethod(services.case_reject)


class CaseReturnApi(_DecisionApi):
    decide = staticmethod(services.case_return)
