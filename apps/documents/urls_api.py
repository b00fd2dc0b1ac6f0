"""API routes of this app, mounted under /api/v1/ by cdd/urls/api.py."""

from django.urls import URLPattern, URLResolver, path

from apps.documents import apis

_c = "customers/<str:customer_id>/documents"

urlpatterns: list[URLPattern | URLResolver] = [
    path(_c, apis.DocumentListApi.as_view(), name="document-list"),
    path(f"{_c}/upload", apis.DocumentUploadApi.as_view(), name="document-upload"),
    path(f"{_c}/uploads", apis.DocumentUploadStartApi.as_view(), name="document-upload-start"),
    path(f"{_c}/uploads/<str:upload_id>/complete", apis.DocumentUploadCompleteApi.as_view(),
         name="document-upload-complete"),
    path(f"{_c}/checklist", apis.DocumentChecklistApi.as_view(), name="document-checklist"),
    path(f"{_c}/requests", apis.DocumentRequestListApi.as_view(), name="document-request-list"),
    path(f"{_c}/requests/create", apis.DocumentRequestCreateApi.as_view(), name="document-request-create"),
    path(f"{_c}/requests/<str:request_id>/letter-link", apis.DocumentRequestLetterLinkApi.as_view(),
         name="document-request-letter-link"),
    path(f"{_c}/<str:document_id>", apis.DocumentDetailApi.as_view(), name="document-detail"),
    path(f"{_c}/<str:document_id>/verify", apis.DocumentVerifyApi.as_view(), name="document-verify"),
    path(f"{_c}/<str:document_id>/reject", apis.DocumentRejectApi.as_view(), name="document-reject"),
    path(f"{_c}/<str:document_id>/waive", apis.DocumentWaiveApi.as_view(), name="document-waive"),
    path(f"{_c}/<str:document_id>/download-link", apis.DocumentDownloadLinkApi.as_view(),
         name="document-download-link"),
    path("document-requirements", apis.RequirementListApi.as_view(), name="document-requirement-list"),
    path("document-requirements/save", apis.RequirementSaveApi.as_view(), name="document-requirement-save"),
    path("document-requirements/<str:requirement_id>/delete", apis.RequirementDeleteApi.as_view(),
         name="document-requirement-delete"),
]
