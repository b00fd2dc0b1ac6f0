"""Web UI routes of this app (evidence on the case page), mounted by cdd/urls/web.py."""

from django.urls import URLPattern, URLResolver, path

from apps.documents import views_web

urlpatterns: list[URLPattern | URLResolver] = [
    path("evidence/<str:customer_id>/upload", views_web.evidence_upload_view, name="evidence-upload"),
    path("evidence/<str:customer_id>/request", views_web.evidence_request_view, name="evidence-request"),
    path("evidence/<str:customer_id>/requirements/<str:code>/<str:action>", views_web.evidence_waiver_view,
         name="evidence-waiver"),
    path("evidence/<str:customer_id>/documents/<str:document_id>/preview", views_web.document_preview_view,
         name="document-preview"),
    path("evidence/<str:customer_id>/documents/<str:document_id>/<str:action>",
         views_web.evidence_document_action_view, name="evidence-document-action"),
]
