"""Serializer fields for JSON input that refuse what Python would silently coerce (``true`` as 1)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

BOOLEAN_MESSAGE = "Must be a number, not true or false."


class StrictFloatField(serializers.FloatField):
    """A float; JSON ``true``/``false`` is refused, not read as 1.0/0.0."""

    default_error_messages = {**serializers.FloatField.default_error_messages, "boolean": BOOLEAN_MESSAGE}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool):
            self.fail("boolean")
        return super().to_internal_value(data)


class StrictIntegerField(serializers.IntegerField):
    """An integer; JSON ``true``/``false`` is refused, not read as 1/0."""

    default_error_messages = {**serializers.IntegerField.default_error_messages, "boolean": BOOLEAN_MESSAGE}

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, bool):
            self.fail("boolean")
        return super().to_internal_value(data)
