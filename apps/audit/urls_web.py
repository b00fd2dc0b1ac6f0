"""Web UI routes of this app, mounted by cdd/urls/web.py: read-only pages for auditors, the customer file."""

from django.urls import path

from apps.audit import views_customer_file, views_web

urlpatterns = [
    path("audit/", views_web.audit_lookup, name="audit-web-lookup"),
    path("audit/objects/<str:object_type>/<str:object_id>/", views_web.audit_timeline, name="audit-web-timeline"),
    path("customers/<str:customer_id>/file/", views_customer_file.customer_file_create, name="customer-file-export"),
]
