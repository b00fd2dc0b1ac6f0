"""Web UI routes of this app, mounted by cdd/urls/web.py."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
