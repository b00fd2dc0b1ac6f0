"""Webhook routes, mounted under /api/v1/webhooks/ (apps/core/urls_api.py)."""

from django.urls import path

from apps.core.webhooks.apis import (
    WebhookDeliveryReplayApi,
    WebhookEndpointCollectionApi,
    WebhookEndpointDeliveriesApi,
    WebhookEndpointDetailApi,
    WebhookEndpointSecretRotateApi,
    WebhookEventCatalogueApi,
)

urlpatterns = [
    path("endpoints", WebhookEndpointCollectionApi.as_view(), name="webhook-endpoints"),
    path("endpoints/<str:endpoint_id>", WebhookEndpointDetailApi.as_view(), name="webhook-endpoint"),
    path("endpoints/<str:endpoint_id>/rotate-secret", WebhookEndpointSecretRotateApi.as_view(),
         name="webhook-endpoint-rotate-secret"),
    path("endpoints/<str:endpoint_id>/deliveries", WebhookEndpointDeliveriesApi.as_view(),
         name="webhook-endpoint-deliveries"),
    path("deliveries/<str:delivery_id>/replay", WebhookDeliveryReplayApi.as_view(), name="webhook-delivery-replay"),
    path("events", WebhookEventCatalogueApi.as_view(), name="webhook-events"),
]
