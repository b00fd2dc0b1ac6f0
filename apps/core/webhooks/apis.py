"""The webhooks API: /api/v1/webhooks/...

Endpoints are an integration's own objects: an API key (scope ``webhooks:manage``) sees and changes
only its integration's endpoints and their deliveries, whatever else its scopes allow; another
integration's endpoint answers 404 as if it did not exist. Platform admins signed in with a
session see every endpoint and register one for an integration they name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.core.errors import ValidationFailed
from apps.core.etags import expected_version
from apps.core.events import PUBLIC_TYPES
from apps.core.integrations import integration_confined
from apps.core.models import ApiKey
from apps.core.openapi import ERROR_RESPONSES, error
from apps.core.roles import INTEGRATION, PLATFORM_ADMIN, user_roles
from apps.core.webhooks import selectors, services
from apps.core.webhooks.models import DELIVERY_STATUSES, ENDPOINT_STATUSES, WebhookDelivery, WebhookEndpoint
from apps.core.webhooks.targets import url_problem

TAGS = ["webhooks"]
SCOPE = "webhooks:manage"
ADMINS = {PLATFORM_ADMIN}
NOT_FOUND = {404: error("No such endpoint or delivery (or it is another integration's).")}
CONFLICT = {409: error("The endpoint changed meanwhile, or the delivery is not dead, or its endpoint is disabled.")}
IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description='Optional: the ETag of your last read, e.g. "3"; a stale one is a 412.')


def _owner(request: Request) -> str | None:
    """The integration whose endpoints the caller reaches (an API key's own), or None for a platform admin."""
    if isinstance(request.auth, ApiKey):
        return str(request.user.get_username())
    return None


def _url_written_well(url: str) -> None:
    """The URL's problems as written (no DNS: the service checks the addresses), beside the other fields' problems."""
    problem = url_problem(url)
    if problem:
        raise serializers.ValidationError(f"the URL {problem}")


class StrictSerializer(serializers.Serializer):
    """Refuses fields it does not declare, naming each (a typo must not be silently dropped)."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = {str(name): [f"Unknown field '{name}'; see the API schema for this request's fields."]
                       for name in data if name not in self.fields}
            if unknown:
                raise serializers.ValidationError(unknown)
        return super().to_internal_value(data)


@extend_schema_field({"type": "string", "enum": list(PUBLIC_TYPES),
                      "description": "A public event type (GET /api/v1/webhooks/events)."},
                     component_name="WebhookEventType")
class EventTypeField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(PUBLIC_TYPES), **kwargs)
        self.error_messages["invalid_choice"] = (
            "'{input}' is not a public event type; see GET /api/v1/webhooks/events.")


@extend_schema_field({"type": "string", "enum": list(ENDPOINT_STATUSES)}, component_name="WebhookEndpointStatus")
class EndpointStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(ENDPOINT_STATUSES), **kwargs)


@extend_schema_field({"type": "string", "enum": list(DELIVERY_STATUSES)}, component_name="WebhookDeliveryStatus")
class DeliveryStatusField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=list(DELIVERY_STATUSES), **kwargs)


class SigningKeySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField(allow_null=True, help_text="Null: valid until the next rotation.")


class EndpointOutputSerializer(serializers.Serializer):
    id = serializers.CharField(source="endpoint_id")
    integration = serializers.CharField()
    confined = serializers.BooleanField(help_text="Receives events about its integration's own customers only.")
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    status = EndpointStatusField()
    signing_keys = SigningKeySerializer(many=True, help_text="When each secret was made and stops being valid; the "
                                                             "secrets themselves are shown only once.")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class EndpointCreatedSerializer(EndpointOutputSerializer):
    secret = serializers.CharField(help_text="The signing secret (whsec_...), shown this once: store it now.")


def _endpoint_body(endpoint: WebhookEndpoint, *, secret: str | None = None) -> dict[str, Any]:
    body = {**services.endpoint_as_dict(endpoint), "endpoint_id": endpoint.endpoint_id,
            "created_at": endpoint.created_at, "updated_at": endpoint.updated_at, "version": endpoint.version}
    data = dict(EndpointOutputSerializer(body).data)
    if secret is not None:
        data["secret"] = secret
    return data


def _etag(endpoint: WebhookEndpoint) -> str:
    return f'"{endpoint.version or 0}"'


class AttemptSerializer(serializers.Serializer):
    n = serializers.IntegerField(help_text="The attempt's number over the delivery's life (replays continue it).")
    at = serializers.DateTimeField()
    status_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField()
    response_excerpt = serializers.CharField(help_text="The first 500 characters of the answer.")
    error = serializers.CharField(allow_null=True)


class DeliveryOutputSerializer(serializers.Serializer):
    delivery_id = serializers.CharField()
    endpoint_id = serializers.CharField()
    event_id = serializers.CharField(help_text="The webhook-id header of every attempt.")
    event_type = serializers.CharField()
    customer_id = serializers.CharField(allow_null=True)
    status = DeliveryStatusField()
    attempt_count = serializers.IntegerField(help_text="Attempts since it was recorded or last replayed.")
    replays = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    dead_at = serializers.DateTimeField(allow_null=True)
    stopped_reason = serializers.CharField(
        allow_null=True, help_text="Why a dead delivery stopped without an attempt of its own (its endpoint was "
                                   "disabled or removed); null when its attempts ran out.")
    created_at = serializers.DateTimeField()
    attempts = AttemptSerializer(many=True)


class EndpointListSerializer(serializers.Serializer):
    results = EndpointOutputSerializer(many=True)


class DeliveryListSerializer(serializers.Serializer):
    results = DeliveryOutputSerializer(many=True)


def _delivery_body(delivery: WebhookDelivery) -> dict[str, Any]:
    return dict(DeliveryOutputSerializer({
        "delivery_id": delivery.delivery_id, "endpoint_id": delivery.endpoint_id, "event_id": delivery.event_id,
        "event_type": delivery.event_type, "customer_id": delivery.customer_id, "status": delivery.status,
        "attempt_count": int(delivery.attempt_count or 0), "replays": int(delivery.replays or 0),
        "next_attempt_at": delivery.next_attempt_at, "delivered_at": delivery.delivered_at,
        "dead_at": delivery.dead_at, "stopped_reason": delivery.stopped_reason,
        "created_at": delivery.created_at, "attempts": delivery.attempts or [],
    }).data)


class MethodRolesApi(APIView):
    integration_scope = "filtered"  # endpoints are the caller's integration's own: each view filters to them
    roles_by_method: Mapping[str, set[str]] = {}

    @property
    def required_roles(self) -> set[str]:
        method = self.request.method or "GET"
        return self.roles_by_method.get("GET" if method == "HEAD" else method, set())


class WebhookEndpointCollectionApi(MethodRolesApi):
    """GET: the caller's endpoints (a platform admin: every one). POST: register an endpoint."""

    roles_by_method = {"GET": ADMINS, "POST": ADMINS}
    required_scopes = {"GET": SCOPE, "POST": SCOPE}

    class CreateInputSerializer(StrictSerializer):
        url = serializers.CharField(max_length=2000, help_text="https:// only; public addresses only.",
                                    validators=[_url_written_well])
        events = serializers.ListField(child=EventTypeField(), min_length=1, max_length=len(PUBLIC_TYPES))
        description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
        integration = serializers.CharField(
            max_length=150, required=False,
            help_text="Platform admins only: the integration (service account) the endpoint belongs to. "
                      "An API key registers for its own integration.")

    class ListQuerySerializer(serializers.Serializer):
        integration = serializers.CharField(max_length=150, required=False,
                                            help_text="Platform admins: only this integration's endpoints.")

    @extend_schema(operation_id="webhooks_endpoints_list", tags=TAGS, parameters=[ListQuerySerializer],
                   responses={200: EndpointListSerializer, **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        query = self.ListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        owner = _owner(request) or query.validated_data.get("integration")
        endpoints = (selectors.webhook_endpoints_of_integration(integration=owner) if owner
                     else selectors.webhook_endpoints_all())
        return Response({"results": [_endpoint_body(e) for e in endpoints]})

    @extend_schema(operation_id="webhooks_endpoints_create", tags=TAGS, request=CreateInputSerializer,
                   description="Registers an endpoint and answers with its signing secret, shown this once. An "
                               "API key confined to its integration's customers registers a confined endpoint: "
                               "it receives events about those customers only.",
                   responses={201: EndpointCreatedSerializer, **ERROR_RESPONSES})
    def post(self, request: Request) -> Response:
        data = self.CreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        owner = _owner(request)
        if owner is not None:
            if values.get("integration") not in (None, owner):
                raise ValidationFailed("An API key registers endpoints for its own integration.", errors={
                    "integration": [f"leave it out or give '{owner}'"]})
            integration, confined = owner, integration_confined(request) is not None
        else:
            integration, confined = _integration_named(values.get("integration")), True
        endpoint, secret = services.webhook_endpoint_create(
            actor=Actor.from_request(request), integration=integration, confined=confined, url=values["url"],
            events=values["events"], description=values.get("description", ""))
        return Response(_endpoint_body(endpoint, secret=secret), status=201, headers={"ETag": _etag(endpoint)})


def _integration_named(name: str | None) -> str:
    """The integration a platform admin registers an endpoint for: an active integration service account."""
    if not name:
        raise ValidationFailed("Name the integration.", errors={"integration": [
            "required when a platform admin registers an endpoint: the integration's service account"]})
    user = get_user_model().objects.filter(username=name, is_active=True).first()
    if user is None or INTEGRATION not in user_roles(user):
        raise ValidationFailed("No such integration.", errors={"integration": [
            f"'{name}' is not an active integration service account"]})
    return name


class WebhookEndpointDetailApi(MethodRolesApi):
    """GET one endpoint (never its secret). PATCH its url, events, description or status."""

    roles_by_method = {"GET": ADMINS, "PATCH": ADMINS}
    required_scopes = {"GET": SCOPE, "PATCH": SCOPE}

    class UpdateInputSerializer(StrictSerializer):
        url = serializers.CharField(max_length=2000, required=False, validators=[_url_written_well])
        events = serializers.ListField(child=EventTypeField(), min_length=1, max_length=len(PUBLIC_TYPES),
                                       required=False)
        description = serializers.CharField(max_length=500, required=False, allow_blank=True)
        status = EndpointStatusField(required=False, help_text="disabled: no new deliveries, and pending ones stop.")

    @extend_schema(operation_id="webhooks_endpoints_retrieve", tags=TAGS,
                   responses={200: EndpointOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND})
    def get(self, request: Request, endpoint_id: str) -> Response:
        endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id, integration=_owner(request))
        return Response(_endpoint_body(endpoint), headers={"ETag": _etag(endpoint)})

    @extend_schema(operation_id="webhooks_endpoints_update", tags=TAGS, request=UpdateInputSerializer,
                   parameters=[IF_MATCH], responses={200: EndpointOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND,
                                                     **CONFLICT, 412: error("If-Match is stale.")})
    def patch(self, request: Request, endpoint_id: str) -> Response:
        data = self.UpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        if not data.validated_data:
            raise ValidationFailed("Nothing to change.", errors={"__all__": [
                "send one or more of url, events, description, status"]})
        endpoint = services.webhook_endpoint_update(
            endpoint_id=endpoint_id, actor=Actor.from_request(request), changes=data.validated_data,
            integration=_owner(request), expected_version=expected_version(request, what="the endpoint's"))
        return Response(_endpoint_body(endpoint), headers={"ETag": _etag(endpoint)})


class WebhookEndpointSecretRotateApi(MethodRolesApi):
    """A new signing secret, shown once; the previous one keeps signing for the overlap."""

    roles_by_method = {"POST": ADMINS}
    required_scopes = {"POST": SCOPE}

    class InputSerializer(StrictSerializer):
        overlap_hours = serializers.IntegerField(
            min_value=0, max_value=services.MAX_OVERLAP_HOURS, required=False,
            help_text="How long the previous secret stays valid (default 24); both sign meanwhile. 0 ends it now.")

    @extend_schema(operation_id="webhooks_endpoints_rotate_secret", tags=TAGS, request=InputSerializer,
                   responses={200: EndpointCreatedSerializer, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT})
    def post(self, request: Request, endpoint_id: str) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_secret_rotate(
            endpoint_id=endpoint_id, actor=Actor.from_request(request),
            overlap_hours=data.validated_data.get("overlap_hours"), integration=_owner(request))
        return Response(_endpoint_body(endpoint, secret=secret), headers={"ETag": _etag(endpoint)})


class WebhookEndpointDeliveriesApi(MethodRolesApi):
    """An endpoint's deliveries, newest first, each with its attempts."""

    roles_by_method = {"GET": ADMINS}
    required_scopes = {"GET": SCOPE}

    class QuerySerializer(serializers.Serializer):
        limit = serializers.IntegerField(min_value=1, max_value=100, default=50)

    @extend_schema(operation_id="webhooks_endpoints_deliveries", tags=TAGS, parameters=[QuerySerializer],
                   responses={200: DeliveryListSerializer, **ERROR_RESPONSES, **NOT_FOUND})
    def get(self, request: Request, endpoint_id: str) -> Response:
        query = self.QuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        endpoint = selectors.webhook_endpoint_get(endpoint_id=endpoint_id, integration=_owner(request))
        found = selectors.webhook_deliveries_of_endpoint(endpoint_id=endpoint.endpoint_id,
                                                         limit=query.validated_data["limit"])
        return Response({"results": [_delivery_body(d) for d in found]})


class WebhookDeliveryReplayApi(MethodRolesApi):
    """Send a dead delivery again (same webhook-id, fresh attempts, its history kept)."""

    roles_by_method = {"POST": ADMINS}
    required_scopes = {"POST": SCOPE}

    @extend_schema(operation_id="webhooks_deliveries_replay", tags=TAGS, request=None,
                   responses={202: DeliveryOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT})
    def post(self, request: Request, delivery_id: str) -> Response:
        delivery = services.webhook_delivery_replay(delivery_id=delivery_id, actor=Actor.from_request(request),
                                                    integration=_owner(request))
        return Response(_delivery_body(delivery), status=202)


class EventTypeOutputSerializer(serializers.Serializer):
    type = serializers.CharField(source="name")
    version = serializers.IntegerField()
    description = serializers.CharField()


class EventTypeListSerializer(serializers.Serializer):
    results = EventTypeOutputSerializer(many=True)


class WebhookEventCatalogueApi(APIView):
    """The event types an endpoint may subscribe to, with their versions."""

    integration_scope = "unrelated"
    required_roles = ADMINS
    required_scopes = {"GET": SCOPE}

    @extend_schema(operation_id="webhooks_events_list", tags=TAGS,
                   responses={200: EventTypeListSerializer, **ERROR_RESPONSES})
    def get(self, request: Request) -> Response:
        return Response({"results": EventTypeOutputSerializer(selectors.webhook_event_catalogue(), many=True).data})
