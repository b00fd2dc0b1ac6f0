"""API routes of this app, mounted under /api/v1/ by cdd/urls/api.py."""

from django.urls import URLPattern, URLResolver, path

from apps.screening.apis_screening import ScreeningCompareApi, ScreeningSearchApi

urlpatterns: list[URLPattern | URLResolver] = [
    path("screening/search", ScreeningSearchApi.as_view(), name="screening-search"),
    path("screening/compare", ScreeningCompareApi.as_view(), name="screening-compare"),
]
