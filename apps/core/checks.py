"""System checks: the platform refuses to start with follow-up work that nothing would do."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register
from django.utils.module_loading import import_string


@register()
def outbox_handlers_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Every outbox topic has a handler that imports (a missing one would leave work pending forever)."""
    errors = []
    for topic, path in settings.CDD_OUTBOX_HANDLERS.items():
        try:
            handler = import_string(path)
        except ImportError as exc:
            errors.append(Error(f"Outbox topic {topic!r}: handler {path!r} does not import ({exc}).",
                                hint="Fix CDD_OUTBOX_HANDLERS or the handler's module.", id="cdd.E001"))
            continue
        if not callable(handler):
            errors.append(Error(f"Outbox topic {topic!r}: {path!r} is not callable.", id="cdd.E002"))
    return errors
