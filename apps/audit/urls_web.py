"""Web UI routes of this app, mounted by cdd/urls/web.py: read-only pages for auditors."""

from django.urls import path

from apps.audit import views_web

urlpatterns = [
    path("audit/", views_web.audit_lookup, name="audit-web-lookup"),
    path("audit/objects/<str:object_type>/<str:object_id>/", views_web.audit_timeline, name="audit-web-timeline"),
]
