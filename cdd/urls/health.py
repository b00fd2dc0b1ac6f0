"""Health endpoints, mounted by every HTTP service for the load balancer, and the favicon every service serves."""

from django.urls import path

from apps.core.health import healthz, readyz
from apps.core.views_web import favicon

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]

# Not in ``urlpatterns``: the worker and beat mount that list alone and serve no browser.
favicon_urlpatterns = [path("favicon.ico", favicon, name="favicon")]
