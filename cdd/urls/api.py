"""URLconf of the api service: the REST API, its schema and its offline Swagger UI.

The schema and the UI are public on purpose (docs/security.md, "API schema"): they are the contract the
bank's integrators build against, hold no data, and every operation they list needs an API key or a session.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.core.errors import json_404, json_500
from cdd.urls.health import favicon_urlpatterns
from cdd.urls.health import urlpatterns as health

API_APPS = ("core", "customers", "screening", "documents", "reviews", "audit")

urlpatterns = [
    *health,
    *favicon_urlpatterns,
    *[path("api/v1/", include(f"apps.{app}.urls_api")) for app in API_APPS],
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves the UI's set-up script as a file, so the CSP needs no inline script.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema", template_name="core/swagger_ui.html"),
         name="swagger-ui"),
]

handler404 = json_404
handler500 = json_500
