"""Case API routes, mounted under /api/v1/."""

from django.urls import path

from apps.reviews import apis, apis_risk

urlpatterns = [
    path("cases", apis.CaseListApi.as_view(), name="case-list"),
    path("cases/<str:case_id>", apis.CaseDetailApi.as_view(), name="case-detail"),
    path("cases/<str:case_id>/submit", apis.CaseSubmitApi.as_view(), name="case-submit"),
    path("cases/<str:case_id>/approve", apis.CaseApproveApi.as_view(), name="case-approve"),
    path("cases/<str:case_id>/reject", apis.CaseRejectApi.as_view(), name="case-reject"),
    path("cases/<str:case_id>/return", apis.CaseReturnApi.as_view(), name="case-return"),
    path("customers/<str:customer_id>/risk", apis_risk.CustomerRiskApi.as_view(), name="customer-risk"),
    path("customers/<str:customer_id>/risk/overrides", apis_risk.RiskOverrideProposeApi.as_view(),
         name="customer-risk-overrides"),
    path("customers/<str:customer_id>/risk/overrides/<str:override_id>/decide",
         apis_risk.RiskOverrideDecideApi.as_view(), name="customer-risk-override-decide"),
]
