"""Demo data of the documents app: the default requirements matrix (idempotent)."""

from __future__ import annotations

from apps.audit.actors import Actor
from apps.documents.services import DEFAULT_REQUIREMENTS, requirements_default_load


def demo_load(*, actor: Actor) -> str:
    added = requirements_default_load(actor=actor)
    return f"{added} of {len(DEFAULT_REQUIREMENTS)} default document requirements added (the rest existed)"
