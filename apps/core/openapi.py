"""Shared OpenAPI pieces: the error body every endpoint may return."""

from __future__ import annotations

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
}
