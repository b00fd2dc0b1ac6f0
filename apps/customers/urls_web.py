"""Web UI routes of this app, mounted by cdd/urls/web.py."""

from django.urls import URLPattern, URLResolver, path

from apps.customers import views_search, views_web

urlpatterns: list[URLPattern | URLResolver] = [
    path("search/", views_search.customer_search_view, name="customer-search"),
    path("customers/<str:customer_id>/", views_web.customer_page_view, name="customer-page"),
]
