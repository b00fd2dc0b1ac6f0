"""Identity services: roles, users and API keys, each change audited."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractUser, Group, User
from django.db import transaction
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.errors import NotFound, ValidationFailed
from apps.core.models import ApiKey
from apps.core.roles import INTEGRATION, ROLES, SCOPES


def roles_ensure() -> list[Group]:
    """Create the role groups that do not exist yet."""
    return [Group.objects.get_or_create(name=name)[0] for name in ROLES]


def user_create(*, username: str, password: str | None, roles: Iterable[str], actor: Actor,
                email: str = "") -> AbstractUser:
    """Create a user with roles; staff status (admin access) follows from the roles."""
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationFailed("Unknown role.", errors={"roles": [f"unknown role(s): {', '.join(unknown)}"]})
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("User exists.", errors={"username": [f"'{username}' is taken"]})
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password)
        user.is_staff = bool(set(roles) - {INTEGRATION})
        user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])
        user.groups.set(Group.objects.filter(name__in=roles))
        audit_event_record(entry=AuditEntry(
            actor=actor, action="user.created", object_type="user", object_id=str(user.pk),
            after={"username": username, "roles": roles},
        ))
    return user


def api_key_create(*, name: str, user: AbstractUser, scopes: Iterable[str], actor: Actor) -> tuple[ApiKey, str]:
    """Issue a key for an integration user; the full key is returned once and stored only hashed."""
    scopes = sorted(set(scopes))
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown:
        raise ValidationFailed("Unknown scope.", errors={"scopes": [f"unknown scope(s): {', '.join(unknown)}"]})
    if not user.groups.filter(name=INTEGRATION).exists():
        raise ValidationFailed("Not an integration.", errors={"user": ["API keys are only for users in the integration role"]})
    full, prefix, hashed = ApiKey.generate()
    with transaction.atomic():
        key = ApiKey.objects.create(
            name=name, prefix=prefix, hashed_secret=hashed, user=user, scopes=scopes,  # type: ignore[misc]
            created_by_id=actor.user_id,
        )
        audit_event_record(entry=AuditEntry(
            actor=actor, action="api_key.created", object_type="api_key", object_id=prefix,
            after={"name": name, "user": user.get_username(), "scopes": scopes},
        ))
    return key, full


def api_key_revoke(*, prefix: str, actor: Actor, reason: str) -> ApiKey:
    """Revoke a key at once; requests with it then get 401."""
    key = ApiKey.objects.filter(prefix=prefix).first()
    if key is None:
        raise NotFound(f"No API key with prefix {prefix}.")
    if key.revoked_at is None:
        with transaction.atomic():
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at"])
            audit_event_record(entry=AuditEntry(
                actor=actor, action="api_key.revoked", object_type="api_key", object_id=prefix,
                before={"revoked": False}, after={"revoked": True}, reason=reason,
            ))
    return key
