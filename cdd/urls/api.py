"""URLconf of the api service: the REST API, its schema and its offline Swagger UI."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.core.errors import json_404, json_500
from cdd.urls.health import urlpatterns as health

API_APPS = ("core", "customers", "screening", "documents", "reviews", "audit")

urlpatterns = [
    *health,
    *[path("api/v1/", include(f"apps.{app}.urls_api")) for app in API_APPS],
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
]

handler404 = json_404
handler500 = json_500
