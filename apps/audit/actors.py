"""Who did it: a user, an integration's API key, or a system job."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ActorKind = Literal["user", "api_key", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: str
    name: str
    roles: tuple[str, ...] = field(default_factory=tuple)
    user_id: int | None = None  # the Django user behind a user or an API key

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.id}"

    def is_actor(self, key: str | None) -> bool:
        """Whether ``key`` (an actor key recorded earlier: submitter, proposer, loader) is this actor."""
        return bool(key) and (key == self.key or (self.user_id is not None and key == f"user:{self.user_id}"))

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "roles": list(self.roles)}

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(kind="system", id=job, name=job, roles=("system",))

    @classmethod
    def from_user(cls, user: Any) -> Actor:
        from apps.core.roles import user_roles

        return cls(
            kind="user", id=str(user.pk), name=user.get_username(), roles=tuple(sorted(user_roles(user))),
            user_id=user.pk,
        )

    @classmethod
    def from_request(cls, request: Any) -> Actor:
        """The actor of a DRF or Django request: its API key if it used one, else its user."""
        from apps.core.models import ApiKey
        from apps.core.roles import user_roles

        auth = getattr(request, "auth", None)
        user = request.user
        if isinstance(auth, ApiKey):
            return cls(
                kind="api_key", id=auth.prefix, name=f"{auth.name} ({user.get_username()})",
                roles=tuple(sorted(user_roles(user))), user_id=user.pk,
            )
        return cls.from_user(user)
