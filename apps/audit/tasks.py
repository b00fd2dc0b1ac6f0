"""Background work of the audit trail: the daily digest (anchor) of every chain."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from botocore.exceptions import ClientError
from celery import shared_task
from pynamodb.exceptions import PynamoDBException

from apps.audit.anchors import DIGEST_GRACE, audit_anchor_get, audit_digest_write

# Beat runs the task hourly; each run writes the digests of the last few finished days that
# are still missing, oldest first, so a missed run or a failed write is caught up on the next.
CATCH_UP_DAYS = 3


@shared_task(name="audit.daily_digest", acks_late=True, autoretry_for=(ClientError, PynamoDBException),
             max_retries=5, retry_backoff=60, soft_time_limit=600, time_limit=900, queue="default")
def audit_daily_digest(day: str | None = None) -> list[str]:
    """Write the digest of ``day`` (ISO date), or of the last finished days that lack one."""
    if day:
        days = [date.fromisoformat(day)]
    else:
        # Days whose end (plus the grace period) has passed.
        last = (datetime.now(tz=UTC) - DIGEST_GRACE).date() - timedelta(days=1)
        days = [last - timedelta(days=n) for n in range(CATCH_UP_DAYS - 1, -1, -1)]
    written = []
    for each in days:
        if day is None and audit_anchor_get(day=each) is not None:
            continue
        anchor = audit_digest_write(day=each)
        written.append(f"{anchor.key} ({anchor.document['chain_count']} chains)")
    return written
