"""Reading settings from the environment (12-factor), failing loudly on what is missing.

Every required setting that is absent is collected, so start-up names all of them at
once instead of one per restart. A secret may come from ``NAME`` or from a file named
by ``NAME_FILE`` (as mounted by ECS from Secrets Manager or by Docker secrets).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_missing: list[str] = []
_UNSET = object()
REQUIRED: Any = _UNSET  # default meaning "no default: record as missing"


class MissingSettings(ImproperlyConfigured):
    """Raised at start-up when required environment variables are not set."""


def _raw(name: str) -> str | None:
    value = os.environ.get(name)
    if value not in (None, ""):
        return value
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            with open(file_name, encoding="utf-8") as handle:
                return handle.read().strip()
        except OSError as exc:
            raise MissingSettings(
                f"{name}_FILE points at {file_name!r}, which cannot be read ({exc.strerror}). "
                f"Mount the secret there or set {name} directly."
            ) from exc
    return None


def env(name: str, default: Any = _UNSET, *, cast: Callable[[str], Any] = str) -> Any:  # type: ignore[assignment]
    """Return the environment variable ``name`` cast to a type; record it as missing if required."""
    raw = _raw(name)
    if raw is None:
        if default is _UNSET:
            _missing.append(name)
            return None
        if isinstance(default, str) and cast is not str:
            return cast(default)
        return default
    try:
        return cast(raw)
    except ValueError as exc:
        raise ImproperlyConfigured(f"Environment variable {name}={raw!r} is not valid: {exc}") from exc


def local_secret_key(local_dir: Path) -> str:
    """The local stack's signing key: made once, kept in ``.local/secret_key`` (mode 0600)."""
    path = local_dir / "secret_key"
    if not path.exists():
        local_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(50))
    return path.read_text().strip()


def to_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected one of true/false/1/0/yes/no/on/off")


def to_list(raw: str) -> list[str]:
    return [item.strip() for item in raw.split(",") if item.strip()]


def check_required() -> None:
    """Stop start-up, naming every required setting that was not provided."""
    if _missing:
        names = ", ".join(sorted(set(_missing)))
        _missing.clear()
        raise MissingSettings(
            f"Missing required settings: {names}. Set them in the environment "
            "(or NAME_FILE pointing at a file holding the value); see docs/configuration.md."
        )
