"""System check: private webhook targets are a local convenience, never allowed in staging or prod."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def webhooks_private_targets_check(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    """Refuse to start staging or prod with CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS on (it opens SSRF to the VPC)."""
    if settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS and settings.CDD_ENV in ("staging", "prod"):
        return [Error(
            f"CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS is on in {settings.CDD_ENV}: webhooks could reach private, loopback "
            "and link-local addresses inside the VPC.",
            hint="Unset it; only local development and tests deliver to receivers on private addresses.",
            id="cdd.E010")]
    return []
