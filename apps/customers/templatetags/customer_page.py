"""Template filters of the customer page: stored values in words (see apps/customers/display.py)."""

from __future__ import annotations

from typing import Any

from django import template

from apps.customers import display

register = template.Library()


@register.filter
def percent(value: Any) -> str:
    """``52.5`` -> ``52.5%``."""
    return display.percent_text(value) if value not in (None, "") else ""
