"""Idempotency-Key on POST: a retried request gets the first outcome and creates nothing new.

The key is scoped to the caller (the Django user behind the session or API key, so rotating a
key does not break a retry), stored with a hash of the request, and written *in the same
transaction* as the resource it created: a crash can never leave a customer without its key,
or a key without its customer. The response body is stored right after the commit; if that
second write is lost, a replay renders the resource as it is now, with the first status code.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.transactions import TransactWrite

from apps.audit.actors import Actor
from apps.core.errors import ValidationFailed
from apps.customers.errors import IdempotencyKeyReused
from apps.customers.models import IdempotencyRecord

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class IdempotencyClaim:
    scoped_key: str
    request_hash: str


def idempotency_claim_build(*, actor: Actor, key: str | None, method: str, path: str, body: Any) -> IdempotencyClaim | None:
    """The claim of a request, or None when it carries no Idempotency-Key."""
    if key is None:
        return None
    if not _KEY.match(key):
        raise ValidationFailed(
            "The Idempotency-Key header is not valid.",
            errors={HEADER: ["Use 1 to 255 visible ASCII characters, e.g. a UUID."]},
        )
    caller = f"user:{actor.user_id}" if actor.user_id is not None else actor.key
    canonical = json.dumps({"m": method, "p": path, "b": body}, sort_keys=True, separators=(",", ":"), default=str)
    return IdempotencyClaim(scoped_key=f"{caller}#{key}", request_hash=hashlib.sha256(canonical.encode()).hexdigest())


def idempotency_record_get(*, claim: IdempotencyClaim) -> IdempotencyRecord | None:
    """The live record of this key; ``IdempotencyKeyReused`` if it was used for another request."""
    try:
        record = IdempotencyRecord.get(claim.scoped_key, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return None
    if record.expires_at is not None and record.expires_at <= datetime.now(tz=UTC):
        return None
    if record.request_hash != claim.request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used with a different request. Send a new key for a new "
            "request, or resend exactly the first request to get its result."
        )
    return record


def idempotency_write(*, claim: IdempotencyClaim, resource_type: str, resource_id: str, status_code: int) -> Any:
    """The transaction write that claims the key for this resource (fails if someone claimed it first)."""
    now = datetime.now(tz=UTC)
    record = IdempotencyRecord(
        claim.scoped_key, request_hash=claim.request_hash, resource_type=resource_type, resource_id=resource_id,
        status_code=status_code, created_at=now, expires_at=now + TTL,
    )
    condition = IdempotencyRecord.scoped_key.does_not_exist() | (IdempotencyRecord.expires_at < now)

    def write(tx: TransactWrite) -> None:
        tx.save(record, condition=condition)

    return write


def idempotency_response_store(*, claim: IdempotencyClaim, body: Any) -> None:
    """Keep the exact first response body for replays."""
    record = IdempotencyRecord(claim.scoped_key)
    record.update(
        actions=[IdempotencyRecord.response_body.set(body)],
        condition=IdempotencyRecord.request_hash == claim.request_hash,
    )
