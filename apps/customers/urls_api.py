"""API routes of this app, mounted under /api/v1/ by cdd/urls/api.py."""

from django.urls import URLPattern, URLResolver, path

from apps.customers.apis import (
    CustomerCollectionApi,
    CustomerDetailApi,
    CustomerOwnershipApi,
    CustomerProfileApi,
    RelatedPartyCollectionApi,
    RelatedPartyDetailApi,
)

urlpatterns: list[URLPattern | URLResolver] = [
    path("customers", CustomerCollectionApi.as_view(), name="customers"),
    path("customers/<str:customer_id>", CustomerDetailApi.as_view(), name="customer-detail"),
    path("customers/<str:customer_id>/profile", CustomerProfileApi.as_view(), name="customer-profile"),
    path("customers/<str:customer_id>/ownership", CustomerOwnershipApi.as_view(), name="customer-ownership"),
    path("customers/<str:customer_id>/related-parties", RelatedPartyCollectionApi.as_view(),
         name="customer-related-parties"),
    path("customers/<str:customer_id>/related-parties/<str:party_id>", RelatedPartyDetailApi.as_view(),
         name="customer-related-party-detail"),
]
