"""Health endpoints, mounted by every HTTP service for the load balancer."""

from django.urls import path

from apps.core.health import healthz, readyz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
