"""API routes of this app, mounted under /api/v1/ by cdd/urls/api.py."""

from django.urls import URLPattern, URLResolver

urlpatterns: list[URLPattern | URLResolver] = []
