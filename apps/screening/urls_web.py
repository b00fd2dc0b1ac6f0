"""Web UI routes of this app, mounted by cdd/urls/web.py."""

from django.urls import path

from apps.screening import views_web

urlpatterns = [
    path("alerts/<str:alert_id>/act", views_web.alert_action_view, name="alert-action"),
]
