"""API routes of this app, mounted under /api/v1/ by cdd/urls/api.py."""

from django.urls import URLPattern, URLResolver, path

from apps.screening import apis_alerts
from apps.screening.apis_screening import ScreeningCompareApi, ScreeningSearchApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("screening/search", ScreeningSearchApi.as_view(), name="screening-search"),
    path("screening/compare", ScreeningCompareApi.as_view(), name="screening-compare"),
    path("customers/<str:customer_id>/alerts", apis_alerts.CustomerAlertListApi.as_view(), name="customer-alerts"),
    path("customers/<str:customer_id>/screenings", apis_alerts.CustomerScreeningApi.as_view(),
         name="customer-screenings"),
    path("alerts/<str:alert_id>", apis_alerts.AlertDetailApi.as_view(), name="alert-detail"),
    path("alerts/<str:alert_id>/proposal", apis_alerts.AlertProposalApi.as_view(), name="alert-proposal"),
    path("alerts/<str:alert_id>/decision", apis_alerts.AlertDecisionApi.as_view(), name="alert-decision"),
    path("alerts/<str:alert_id>/memory/revoke", apis_alerts.AlertMemoryRevokeApi.as_view(),
         name="alert-memory-revoke"),
]
