"""Identity on the relational database: API keys (users, groups and sessions are Django's)."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

KEY_PREFIX = "cdd"


def key_hash(secret: str) -> str:
    # API keys carry 256 bits of randomness, so a fast hash cannot be brute-forced;
    # a slow password hash would only add latency to every request.
    return hashlib.sha256(secret.encode()).hexdigest()


class ApiKey(models.Model):
    """A hashed, scoped, revocable key of an integration; the key itself is shown once."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True, db_index=True)
    hashed_secret = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_keys")
    scopes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix})"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @staticmethod
    def generate() -> tuple[str, str, str]:
        """Return (full key, prefix, secret hash)."""
        prefix = secrets.token_hex(6)
        secret = secrets.token_urlsafe(32)
        full = f"{KEY_PREFIX}_{prefix}_{secret}"
        return full, prefix, key_hash(full)
