"""API routes of this app, mounted under /api/v1/ by cdd/urls/api.py. Read-only: GET, plus creating exports (the trail's, a customer's file)."""

from django.urls import path

from apps.audit.apis import (
    AuditEventDetailApi,
    AuditEventsByActionApi,
    AuditEventsByActorApi,
    AuditExportCreateApi,
    AuditTimelineApi,
    CustomerFileCreateApi,
)

urlpatterns = [
    path("audit/objects/<str:object_type>/<str:object_id>/events", AuditTimelineApi.as_view(),
         name="audit-object-timeline"),
    path("audit/actors/<str:actor_key>/events", AuditEventsByActorApi.as_view(), name="audit-events-by-actor"),
    path("audit/actions/<str:action>/events", AuditEventsByActionApi.as_view(), name="audit-events-by-action"),
    path("audit/events/<str:event_id>", AuditEventDetailApi.as_view(), name="audit-event-detail"),
    path("audit/exports", AuditExportCreateApi.as_view(), name="audit-export-create"),
    # The customer's file: everything a regulator asks for about one customer (apps/audit/customer_file.py).
    path("customers/<str:customer_id>/file", CustomerFileCreateApi.as_view(), name="customer-file-create"),
]
