"""Web routes of the management information, mounted by cdd/urls/web.py."""

from django.urls import path

from apps.core.mi import views_web

urlpatterns = [
    path("mi/", views_web.mi_page, name="mi-page"),
    path("mi/export.<str:fmt>", views_web.mi_export_view, name="mi-export"),
]
