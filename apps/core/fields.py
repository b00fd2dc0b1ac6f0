"""Serializer fields for JSON input that refuse what Python would silently coerce (``true`` as 1)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class _RefusesBooleans:
    default_error_messages = {"boolean": "Must be a number, not true or false."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            self.fail("boolean")  # type: ignore[attr-defined]
        return super().to_internal_value(data)  # type: ignore[misc]


class StrictFloatField(_RefusesBooleans, serializers.FloatField):
    """A float; JSON ``true``/``false`` is refused, not read as 1.0/0.0."""


class StrictIntegerField(_RefusesBooleans, serializers.IntegerField):
    """An integer; JSON ``true``/``false`` is refused, not read as 1/0."""
