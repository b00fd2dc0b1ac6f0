"""Local development only: every service's URLs in one process."""

from django.contrib import admin
from django.urls import path

from cdd.urls import api, web

handler404 = api.handler404
handler500 = api.handler500

urlpatterns = [
    *api.urlpatterns,
    path("admin/", admin.site.urls),
    *[p for p in web.urlpatterns if p not in api.urlpatterns[:2]],
]
