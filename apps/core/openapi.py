"""Shared OpenAPI pieces: the error body every endpoint may return."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "code": serializers.CharField(),
        "message": serializers.CharField(),
        "errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()), required=False),
        "request_id": serializers.CharField(allow_null=True),
    },
)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


ERROR_RESPONSES = {
    400: error("Invalid input; `errors` names each field and its problem."),
    401: error("Missing, invalid, expired or revoked credentials."),
    403: error("The role or API key scope does not allow this."),
    429: error("Too many failed API-key attempts from this address (code `locked_out`); `Retry-After` says when "
               "to try again."),
}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """Describes ``Authorization: Api-Key <key>`` in the schema."""

    target_class = "apps.core.auth.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: object) -> dict[str, str]:
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "`Api-Key cdd_<prefix>_<secret>`, issued by a platform admin."}


class CddAutoSchema(AutoSchema):
    """Names nested serializers after their view (``CaseSubmitApi.InputSerializer`` becomes
    ``CaseSubmitApiInput``), so the house style of one ``InputSerializer`` per view never makes
    two endpoints share one schema component."""

    def get_serializer_name(self, serializer: Any, direction: Any) -> str:
        cls = serializer.__class__
        qualname = cls.__qualname__
        if "." in qualname and "<locals>" not in qualname:
            return qualname.replace(".", "")
        return str(super().get_serializer_name(serializer, direction))
