"""Domain errors of the customers app; the core handler maps each to its HTTP status."""

from __future__ import annotations

from apps.core.errors import Conflict, DomainError, NotFound, PreconditionFailed


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class RelatedPartyNotFound(NotFound):
    code = "related_party_not_found"


class StaleVersion(PreconditionFailed):
    """The record changed since the caller read it (If-Match does not match, or a concurrent write won)."""

    code = "stale_version"


class ExternalReferenceTaken(Conflict):
    code = "external_reference_taken"


class PartiesBusy(Conflict):
    code = "related_parties_busy"


class PartyHasHolders(Conflict):
    code = "related_party_has_holders"


class IdempotencyKeyReused(DomainError):
    """The same Idempotency-Key was sent with another request body."""

    status = 422
    code = "idempotency_key_reused"


class IdempotencyKeyClaimed(Exception):
    """Another request with this Idempotency-Key committed first; the API replays its outcome."""
