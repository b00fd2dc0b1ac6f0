"""Identity services: roles, users and API keys, each change audited.

Every identity change goes through here and leaves an event in the audit trail (chain
``user#<pk>`` or ``api_key#<prefix>``): a user created or changed, roles granted or removed, the
staff or superuser flag, a password set, an account (de)activated, a key issued or revoked. The
admin's user pages and the ``createsuperuser`` and ``changepassword`` commands call these services;
nothing else writes users.

Segregation of duties is enforced here: a grant that would give one person two roles named in
``ROLE_CONFLICTS`` is refused (not queued for a second admin: the combination is never allowed),
nobody changes their own roles, flags or active status, and the superuser flag is set only by
``createsuperuser``. Staff status (admin access) follows from the roles.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AbstractUser, Group, User
from django.db import transaction
from django.utils import timezone

from apps.audit.actors import Actor
from apps.audit.services import AuditEntry, audit_event_record
from apps.core.errors import Forbidden, NotFound, ValidationFailed
from apps.core.models import ApiKey
from apps.core.roles import (
    INTEGRATION,
    PLATFORM_ADMIN,
    ROLE_CONFLICTS,
    ROLE_NEEDS,
    ROLES,
    SCOPES,
)

# What platform admins may do in the admin: manage accounts and API keys (through the audited pages above).
PLATFORM_ADMIN_PERMISSIONS = (("auth", "view_user"), ("auth", "add_user"), ("auth", "change_user"),
                              ("core", "view_apikey"), ("core", "add_apikey"),
                              # sign-in lockouts: see them, and lift one by deleting its attempts (audited)
                              ("axes", "view_accessattempt"), ("axes", "delete_accessattempt"))


def roles_ensure() -> list[Group]:
    """Create the role groups that do not exist yet and give platform admins their admin permissions.

    Run after every migration (``CoreConfig``); no other group holds a Django permission: the domain
    pages check roles, not permissions.
    """
    from django.contrib.auth.models import Permission

    groups = [Group.objects.get_or_create(name=name)[0] for name in ROLES]
    wanted = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in PLATFORM_ADMIN_PERMISSIONS},
        codename__in={code for _, code in PLATFORM_ADMIN_PERMISSIONS})
    Group.objects.get(name=PLATFORM_ADMIN).permissions.set(
        [p for p in wanted if (p.content_type.app_label, p.codename) in PLATFORM_ADMIN_PERMISSIONS])
    return groups


def roles_conflicts(roles: Iterable[str]) -> list[str]:
    """Why ``roles`` cannot be held by one person (empty: they can)."""
    held = set(roles)
    problems = [f"{' and '.join(sorted(pair))}: {why}" for pair, why in ROLE_CONFLICTS.items() if pair <= held]
    problems += [f"{role} needs {needed}: grant both" for role, needed in ROLE_NEEDS.items()
                 if role in held and needed not in held]
    return sorted(problems)


def roles_check(roles: Iterable[str]) -> list[str]:
    roles = sorted(set(roles))
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise ValidationFailed("Unknown role.", errors={"roles": [
            f"unknown role(s): {', '.join(unknown)}; the roles are {', '.join(ROLES)}"]})
    conflicts = roles_conflicts(roles)
    if conflicts:
        raise ValidationFailed("One person cannot hold these roles together (segregation of duties).",
                               errors={"roles": conflicts})
    return roles


def _admin_check(actor: Actor) -> None:
    if actor.kind != "system" and PLATFORM_ADMIN not in actor.roles:
        raise Forbidden("Only platform admins manage users and roles.")


def _not_self(actor: Actor, user: AbstractUser, what: str) -> None:
    if actor.user_id is not None and actor.user_id == user.pk:
        raise Forbidden(f"You cannot change your own {what}; another platform admin must do it.")


def _identity(user: AbstractUser) -> dict[str, object]:
    """What the trail records of an account (never its password)."""
    return {"username": user.get_username(), "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "is_active": user.is_active, "is_staff": user.is_staff,
            "is_superuser": user.is_superuser, "roles": sorted(user.groups.values_list("name", flat=True))}


def _staff_for(roles: Iterable[str], superuser: bool = False) -> bool:
    """Staff (admin access) for the roles that sign in to the admin (``CDD_ADMIN_ROLES``)."""
    from apps.core.admin_site import admin_roles

    return superuser or bool(set(roles) & admin_roles())


def user_create(*, username: str, password: str | None, roles: Iterable[str], actor: Actor,
                email: str = "", first_name: str = "", last_name: str = "") -> AbstractUser:
    """Create a user with roles; staff status (admin access) follows from the roles."""
    _admin_check(actor)
    roles = roles_check(roles)
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("User exists.", errors={"username": [f"'{username}' is taken"]})
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password,
                                        first_name=first_name, last_name=last_name)
        user.is_staff = _staff_for(roles)
        user.is_superuser = False
        user.save(update_fields=["is_staff", "is_superuser"])
        user.groups.set(Group.objects.filter(name__in=roles))
        audit_event_record(entry=AuditEntry(
            actor=actor, action="user.created", object_type="user", object_id=str(user.pk),
            after={**_identity(user), "password_set": password is not None},
        ))
    return user


def superuser_create(*, username: str, email: str, password: str, actor: Actor) -> AbstractUser:
    """The platform's first (or another) superuser, a platform admin; only ``manage.py createsuperuser`` calls it."""
    if User.objects.filter(username=username).exists():
        raise ValidationFailed("User exists.", errors={"username": [f"'{username}' is taken"]})
    with transaction.atomic():
        roles_ensure()
        user = User.objects.create_superuser(username=username, email=email, password=password)
        user.groups.set(Group.objects.filter(name=PLATFORM_ADMIN))
        audit_event_record(entry=AuditEntry(
            actor=actor, action="user.created", object_type="user", object_id=str(user.pk),
            after={**_identity(user), "password_set": True},
            reason="superuser created with manage.py createsuperuser",
        ))
    return user


def user_change_check(*, user: AbstractUser, actor: Actor, roles: Iterable[str] | None = None,
                      **fields: object) -> list[str]:
    """The roles ``user`` would hold after the change, or the DomainError that refuses it (forms ask first)."""
    _admin_check(actor)
    allowed = {"email", "first_name", "last_name", "is_active"}
    unknown = sorted(set(fields) - allowed)
    if unknown:
        raise ValidationFailed("These fields are not changed here.", errors={
            name: ["the superuser flag is set only by manage.py createsuperuser; staff status follows the roles"
                   if name in ("is_superuser", "is_staff") else "not an account field that can be changed"]
            for name in unknown})
    current = sorted(user.groups.values_list("name", flat=True))
    new_roles = roles_check(roles) if roles is not None else current
    if new_roles != current:
        _not_self(actor, user, "roles")
    if "is_active" in fields and bool(fields["is_active"]) != user.is_active:
        _not_self(actor, user, "active status")
    return new_roles


def user_change(*, user: AbstractUser, actor: Actor, reason: str = "", roles: Iterable[str] | None = None,
                **fields: object) -> AbstractUser:
    """Change an account's details (email, names, active) and roles; one event with what changed.

    Roles are checked for segregation of duties; nobody changes their own roles or active status;
    staff status follows from the roles; the superuser flag cannot be changed here.
    """
    user = User.objects.get(pk=user.pk)  # the stored account, not a form's half-changed instance
    new_roles = user_change_check(user=user, actor=actor, roles=roles, **fields)
    before = _identity(user)
    with transaction.atomic():
        for name, value in fields.items():
            setattr(user, name, value)
        user.is_staff = _staff_for(new_roles, user.is_superuser)
        user.save()
        user.groups.set(Group.objects.filter(name__in=new_roles))
        after = _identity(user)
        if after != before:
            granted = sorted(set(new_roles) - set(before["roles"]))  # type: ignore[call-overload]
            removed = sorted(set(before["roles"]) - set(new_roles))  # type: ignore[call-overload]
            action = "user.roles_changed" if granted or removed else "user.changed"
            if before["is_active"] != after["is_active"]:
                action = "user.activated" if after["is_active"] else "user.deactivated"
            audit_event_record(entry=AuditEntry(
                actor=actor, action=action, object_type="user", object_id=str(user.pk),
                before=before, after=after, reason=reason or None, data={"granted": granted, "removed": removed},
            ))
    return user


def user_password_set(*, user: AbstractUser, password: str | None, actor: Actor) -> AbstractUser:
    """Set (or, with None, disable) a password; the event says that it changed, never what to."""
    if actor.kind != "system" and not actor.is_actor(f"user:{user.pk}"):
        _admin_check(actor)
    with transaction.atomic():
        if password is None:
            user.set_unusable_password()
        else:
            user.set_password(password)
        user.save(update_fields=["password"])
        audit_event_record(entry=AuditEntry(
            actor=actor, action="user.password_set" if password is not None else "user.password_disabled",
            object_type="user", object_id=str(user.pk),
            data={"username": user.get_username(), "own": actor.is_actor(f"user:{user.pk}")},
        ))
    return user


def api_key_create(*, name: str, user: AbstractUser, scopes: Iterable[str], actor: Actor) -> tuple[ApiKey, str]:
    """Issue a key for an integration user; the full key is returned once and stored only hashed."""
    _admin_check(actor)
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
    _admin_check(actor)
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
