"""Local development only: every service's URLs in one process."""

from django.contrib import admin
from django.urls import path

from cdd.urls import api, web

# The web service's pages, except under /api/, where the API's JSON errors stay (apps.core.views_web).
handler403 = web.handler403
handler404 = web.handler404
handler500 = web.handler500

urlpatterns = [
    *api.urlpatterns,
    path("admin/", admin.site.urls),
    *[p for p in web.urlpatterns if p not in api.urlpatterns],  # the health and favicon patterns once
]
