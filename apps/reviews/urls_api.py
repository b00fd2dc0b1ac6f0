"""Case API routes, mounted under /api/v1/."""

from django.urls import path

from apps.reviews import apis

urlpatterns = [
    path("cases", apis.CaseListApi.as_view(), name="case-list"),
    path("cases/<str:case_id>", apis.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<str:case_id>/submit", apis.CaseSubmitApi.as_view(), name="case-submit"),
    path("cases/<str:case_id>/approve", apis.CaseApproveApi.as_view(), name="case-approve"),
    path("cases/<str:case_id>/reject", apis.CaseRejectApi.as_view(), name="case-reject"),
    path("cases/<str:case_id>/return", apis.CaseReturnApi.as_view(), name="case-return"),
]
