"""Platform API routes, mounted under /api/v1/."""

from django.urls import include, path

from apps.core.apis import ApiIndexApi, DiagnosticPingDetailApi, DiagnosticPingSendApi

urlpatterns = [
    path("", ApiIndexApi.as_view(), name="api-index"),
    path("diagnostics/ping", DiagnosticPingSendApi.as_view(), name="diagnostic-ping-send"),
    path("diagnostics/ping/<str:ping_id>", DiagnosticPingDetailApi.as_view(), name="diagnostic-ping-detail"),
    path("webhooks/", include("apps.core.webhooks.urls_api")),
]
