"""Screening API: search one name against the lists; compare two names."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.fields import StrictFloatField, StrictIntegerField
from apps.core.openapi import ERROR_RESPONSES
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.screening.batch import MAX_NAME_LENGTH, PAIR_SCHEMAS
from apps.screening.matching import ENTITY_TYPES
from apps.screening.services.screening import screening_compare, screening_search

SCREENING_ROLES = {ANALYST, REVIEWER, SENIOR_REVIEWER}


class ScreeningSearchApi(APIView):
    """Screen one name (with optional type, date of birth and country) against the lists."""
    integration_scope = "unrelated"

    required_roles = SCREENING_ROLES
    required_scopes = {"POST": "screening:read"}

    class InputSerializer(serializers.Serializer):
        name = serializers.CharField(max_length=MAX_NAME_LENGTH, trim_whitespace=True)
        entity_type = serializers.ChoiceField(choices=ENTITY_TYPES, required=False, default="unknown")
        date_of_birth = serializers.CharField(
            required=False, allow_blank=True, max_length=10, help_text="YYYY, YYYY-MM or YYYY-MM-DD"
        )
        country = serializers.CharField(
            required=False,
            allow_blank=True,
            max_length=100,
            help_text="ISO 3166-1 alpha-2 code (either case) or a country name",
        )
        threshold = StrictFloatField(
            required=False, min_value=0.0, max_value=1.0, help_text="default: CDD_SCREENING_THRESHOLD"
        )
        limit = StrictIntegerField(required=False, min_value=1, max_value=100, default=10)

    class OutputSerializer(serializers.Serializer):
        class HitSerializer(serializers.Serializer):
            class EntitySerializer(serializers.Serializer):
                schema = serializers.CharField()
                primary_name = serializers.CharField()
                birth_dates = serializers.ListField(child=serializers.CharField())
                nationalities = serializers.ListField(child=serializers.CharField())
                programs = serializers.ListField(child=serializers.CharField())

            list = serializers.CharField(source="entity.list")
            list_entity_id = serializers.CharField(source="entity.source_id")
            name = serializers.CharField(help_text="the list name that matched")
            score = serializers.FloatField()
            entity = EntitySerializer()
            explanation = serializers.DictField(help_text="each feature's contribution and the values behind it")

        decision = serializers.ChoiceField(choices=["alert", "clear"])
        threshold = serializers.FloatField()
        algorithm = serializers.CharField()
        list_source = serializers.CharField()
        list_versions = serializers.DictField(child=serializers.CharField())
        hits = HitSerializer(many=True)

    @extend_schema(
        operation_id="screening_search",
        request=InputSerializer,
        responses={200: OutputSerializer, **ERROR_RESPONSES},
        tags=["screening"],
        examples=[
            OpenApiExample(
                "A person",
                value={"name": "Yasir ABBAS", "entity_type": "person", "date_of_birth": "1978-08-22", "country": "SY"},
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        data = self._validated(request)
        result = screening_search(**data)
        return Response(self.OutputSerializer(result).data)

    def _validated(self, request: Request) -> dict[str, Any]:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        return dict(serializer.validated_data)


class ScreeningCompareApi(APIView):
    """Score two names against each other, with the explanation of the score."""
    integration_scope = "unrelated"

    required_roles = SCREENING_ROLES
    required_scopes = {"POST": "screening:read"}

    class InputSerializer(serializers.Serializer):
        name1 = serializers.CharField(max_length=MAX_NAME_LENGTH)
        name2 = serializers.CharField(max_length=MAX_NAME_LENGTH)
        schema = serializers.ChoiceField(
            choices=PAIR_SCHEMAS, required=False, default="LegalEntity", help_text="followthemoney schema"
        )
        threshold = StrictFloatField(
            required=False, min_value=0.0, max_value=1.0, help_text="default: CDD_SCREENING_THRESHOLD"
        )

    class OutputSerializer(serializers.Serializer):
        score = serializers.FloatField()
        match = serializers.BooleanField()
        threshold = serializers.FloatField()
        algorithm = serializers.CharField()
        explanation = serializers.DictField()

    @extend_schema(
        operation_id="screening_compare",
        request=InputSerializer,
        responses={200: OutputSerializer, **ERROR_RESPONSES},
        tags=["screening"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = screening_compare(**serializer.validated_data)
        return Response(self.OutputSerializer(result).data)
