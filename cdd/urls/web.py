"""URLconf of the web service: the reviewer UI and the auditors' read-only views."""

from django.urls import include, path

from apps.core import views_web
from cdd.urls.health import favicon_urlpatterns
from cdd.urls.health import urlpatterns as health

urlpatterns = [
    *health,
    *favicon_urlpatterns,
    path("login/", views_web.LoginView.as_view(), name="login"),
    path("logout/", views_web.logout_view, name="logout"),
    path("", views_web.home, name="home"),
    path("", include("apps.reviews.urls_web")),
    path("", include("apps.customers.urls_web")),
    path("", include("apps.documents.urls_web")),
    path("", include("apps.screening.urls_web")),
    path("", include("apps.audit.urls_web")),
    path("", include("apps.core.mi.urls_web")),
]

handler403 = views_web.handler403
handler404 = views_web.handler404
handler500 = views_web.handler500
