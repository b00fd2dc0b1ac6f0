"""Every route of the API service with its view class, for tests that sweep all of them."""

from __future__ import annotations

from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver


def api_routes() -> list[tuple[str, Any]]:
    """(path template, view class) of every DRF view under /api/v1/."""
    found: list[tuple[str, Any]] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern) and hasattr(pattern.callback, "view_class"):
                found.append((prefix + str(pattern.pattern), pattern.callback.view_class))

    walk(get_resolver("cdd.urls.api").url_patterns, "/")
    return [(route, view) for route, view in found if route.startswith("/api/v1/")]
