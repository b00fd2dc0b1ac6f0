"""Risk API: a customer's assessment with every factor, and manual overrides under four-eyes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.core.openapi import ERROR_RESPONSES, error
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER
from apps.customers.access import CustomerOwned
from apps.reviews.risk import services
from apps.reviews.risk.scoring import RATINGS
from apps.reviews.risk.selectors import risk_view

READERS = {ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR}
TAGS = ["risk"]


class FactorSerializer(serializers.Serializer):
    factor = serializers.CharField()
    value = serializers.JSONField(help_text="The input the factor read, as the customer has it.")
    points = serializers.FloatField()
    weight = serializers.FloatField()
    contribution = serializers.FloatField(help_text="points x weight: this factor's part of the score.")
    detail = serializers.CharField()


class OverrideAppliedSerializer(serializers.Serializer):
    rule = serializers.CharField()
    rating = serializers.CharField()
    at_least = serializers.BooleanField(default=False, help_text="The rule sets a floor, not a rating.")
    why = serializers.CharField()
    summary = serializers.CharField(source="label", default="", help_text="The rule in words.")
    changed = serializers.BooleanField(default=True, help_text="Whether the rule changed what the score said.")


class OverrideSerializer(serializers.Serializer):
    override_id = serializers.CharField()
    status = serializers.CharField()
    rating = serializers.CharField()
    reason = serializers.CharField()
    expires_on = serializers.CharField()
    proposed_by = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True)
    decision_reason = serializers.CharField(allow_null=True)


class RiskOutputSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    assessment_id = serializers.CharField()
    rating = serializers.ChoiceField(choices=RATINGS)
    cdd_level = serializers.CharField()
    next_review_date = serializers.CharField(allow_null=True)
    model_version = serializers.IntegerField()
    score = serializers.FloatField()
    score_rating = serializers.CharField(help_text="What the bands say before the override rules.")
    model_rating = serializers.CharField(help_text="What the model says, before a manual override.")
    factors = FactorSerializer(many=True)
    overrides = OverrideAppliedSerializer(many=True, help_text="The model's override rules that hold for this customer.")
    manual_override = serializers.JSONField(allow_null=True)
    trigger = serializers.CharField()
    assessed_at = serializers.CharField()
    history = serializers.ListField(child=serializers.DictField(), help_text="Earlier assessments, newest first.")
    overrides_proposed_or_active = OverrideSerializer(many=True)


class CustomerRiskApi(CustomerOwned, APIView):
    required_roles = READERS
    required_scopes = {"GET": "customers:read"}

    @extend_schema(responses={200: RiskOutputSerializer, **ERROR_RESPONSES,
                              404: error("No such customer, or not assessed yet")}, tags=TAGS)
    def get(self, request: Request, customer_id: str) -> Response:
        return Response(RiskOutputSerializer(risk_view(customer_id)).data)


class RiskOverrideProposeApi(APIView):
    required_roles = {ANALYST, REVIEWER, SENIOR_REVIEWER}

    class RiskOverrideInputSerializer(serializers.Serializer):
        rating = serializers.ChoiceField(choices=RATINGS)
        reason = serializers.CharField(max_length=4000)
        expires_on = serializers.DateField()

    InputSerializer = RiskOverrideInputSerializer

    @extend_schema(request=InputSerializer, responses={201: OverrideSerializer, **ERROR_RESPONSES,
                                                       404: error("No such customer"),
                                                       409: error("Another override waits for a decision")},
                   tags=TAGS)
    def post(self, request: Request, customer_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        override = services.risk_override_propose(customer_id=customer_id, actor=Actor.from_request(request),
                                                  **data.validated_data)
        return Response(OverrideSerializer(override.as_dict()).data, status=201)


class RiskOverrideDecideApi(APIView):
    required_roles = {SENIOR_REVIEWER}

    class RiskOverrideDecisionSerializer(serializers.Serializer):
        confirm = serializers.BooleanField()
        reason = serializers.CharField(max_length=4000)

    InputSerializer = RiskOverrideDecisionSerializer

    @extend_schema(request=InputSerializer, responses={200: OverrideSerializer, **ERROR_RESPONSES,
                                                       404: error("No such override"),
                                                       409: error("Not a proposal")}, tags=TAGS)
    def post(self, request: Request, customer_id: str, override_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        override = services.risk_override_decide(customer_id=customer_id, override_id=override_id,
                                                 actor=Actor.from_request(request), **data.validated_data)
        return Response(OverrideSerializer(override.as_dict()).data)
