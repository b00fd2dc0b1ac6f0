"""Reviewer UI routes, mounted at / of the web service."""

from django.urls import path

from apps.reviews import views_web

urlpatterns = [
    path("cases/", views_web.case_queue_view, name="case-queue"),
    path("my-work/", views_web.case_my_work_view, name="case-my-work"),
    path("cases/<str:case_id>/", views_web.case_detail_view, name="case-page"),
    path("cases/<str:case_id>/<str:action>", views_web.case_action_view, name="case-action"),
]
