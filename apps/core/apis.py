"""Platform API: diagnostic pings through the worker queue."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.core.diagnostics import diagnostic_ping_get, diagnostic_ping_send
from apps.core.openapi import ERROR_RESPONSES
from apps.core.roles import PLATFORM_ADMIN


class PingOutputSerializer(serializers.Serializer):
    ping_id = serializers.CharField()
    sent_at = serializers.DateTimeField()
    executed_at = serializers.DateTimeField(allow_null=True)
    worker = serializers.CharField(allow_null=True)


class DiagnosticPingSendApi(APIView):
    """Queue a diagnostic task; poll it to see a worker execute it from SQS."""
    integration_scope = "unrelated"

    required_roles = {PLATFORM_ADMIN}
    required_scopes = {"POST": "tasks:write"}

    @extend_schema(request=None, responses={202: PingOutputSerializer, **ERROR_RESPONSES}, tags=["platform"])
    def post(self, request: Request) -> Response:
        ping = diagnostic_ping_send(actor=Actor.from_request(request))
        return Response(PingOutputSerializer(ping).data, status=202)


class DiagnosticPingDetailApi(APIView):
    integration_scope = "unrelated"
    required_roles = {PLATFORM_ADMIN}
    required_scopes = {"GET": "tasks:write"}

    @extend_schema(responses={200: PingOutputSerializer, 404: OpenApiResponse(description="Unknown ping"),
                              **ERROR_RESPONSES}, tags=["platform"])
    def get(self, request: Request, ping_id: str) -> Response:
        return Response(PingOutputSerializer(diagnostic_ping_get(ping_id=ping_id)).data)


class ApiIndexApi(APIView):
    """The API's front door: what it is, where its schema and docs are, and how to authenticate."""

    public = True
    authentication_classes: list[type] = []

    class OutputSerializer(serializers.Serializer):
        name = serializers.CharField()
        version = serializers.CharField()
        authentication = serializers.CharField()
        links = serializers.DictField(child=serializers.CharField())

    @extend_schema(responses={200: OutputSerializer}, tags=["platform"], auth=[])
    def get(self, request: Request) -> Response:
        base = request.build_absolute_uri("/").rstrip("/")

        def link(path: str) -> str:  # kept verbatim: "{customer_id}" is a URI template, not to be escaped
            return base + path

        return Response(self.OutputSerializer({
            "name": settings.SPECTACULAR_SETTINGS["TITLE"],
            "version": settings.SPECTACULAR_SETTINGS["VERSION"],
            "authentication": "Send 'Authorization: Api-Key <key>' (a platform admin issues keys) or use a "
                              "signed-in session. Errors are JSON: {code, message, errors, request_id}.",
            "links": {
                "schema": link(reverse("schema")),
                "docs": link(reverse("swagger-ui")),
                "customers": link("/api/v1/customers"),
                "customer": link("/api/v1/customers/{customer_id}"),
                "customer_documents": link("/api/v1/customers/{customer_id}/documents"),
                "screening_search": link("/api/v1/screening/search"),
                "cases": link("/api/v1/cases"),
                "audit_exports": link("/api/v1/audit/exports"),
                "health": link("/healthz"),
                "readiness": link("/readyz"),
            },
        }).data)
