"""URLconf of the admin service: the Django admin for compliance analysts and platform admins."""

from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

from cdd.urls.health import favicon_urlpatterns
from cdd.urls.health import urlpatterns as health

admin.site.site_header = "CDD platform administration"
admin.site.site_title = "CDD admin"
admin.site.index_title = "Compliance administration"

urlpatterns = [
    *health,
    *favicon_urlpatterns,
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
]
