"""Background work of the audit trail: checkpoints every few minutes, their check, and the daily digest."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

from botocore.exceptions import ClientError
from celery import shared_task
from django.conf import settings
from pynamodb.exceptions import PynamoDBException

from apps.audit.actors import Actor
from apps.audit.anchors import DIGEST_GRACE, audit_anchor_get, audit_checkpoint_write, audit_digest_write
from apps.audit.services import AuditEntry, audit_event_record
from apps.audit.verify import audit_trail_verify

logger = logging.getLogger(__name__)

# Beat runs the task hourly; each run writes the digests of the last few finished days that
# are still missing, oldest first, so a missed run or a failed write is caught up on the next.
CATCH_UP_DAYS = 3
VERIFIER = Actor.system("audit-verifier")


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


@shared_task(name="audit.anchor_checkpoint", acks_late=True, autoretry_for=(ClientError, PynamoDBException),
             max_retries=3, retry_backoff=30, soft_time_limit=240, time_limit=300, queue="default")
def audit_anchor_checkpoint() -> str:
    """Anchor every chain in a new checkpoint (a second run within half the interval keeps the last one)."""
    interval = timedelta(minutes=settings.CDD_AUDIT_ANCHOR_MINUTES)
    checkpoint = audit_checkpoint_write(min_interval=interval / 2)
    return f"{checkpoint.key} ({checkpoint.document['chain_count']} chains, {'new' if checkpoint.created else 'kept'})"


def _rotation(chains: list[str]) -> list[str]:
    """This run's share of the chains outside the window: every chain once per cycle of runs."""
    size = settings.CDD_AUDIT_VERIFY_CHAINS_PER_RUN
    if len(chains) <= size:
        return chains
    runs = -(-len(chains) // size)
    slot = int(datetime.now(tz=UTC).timestamp() // (60 * settings.CDD_AUDIT_ANCHOR_MINUTES)) % runs
    return chains[slot * size:(slot + 1) * size]


@shared_task(name="audit.verify_recent", acks_late=True, autoretry_for=(ClientError, PynamoDBException),
             max_retries=3, retry_backoff=30, soft_time_limit=240, time_limit=300, queue="default")
def audit_verify_recent() -> dict[str, object]:
    """Verify the chains changed lately and the latest checkpoints; log and record any break (alarm on it)."""
    since = (datetime.now(tz=UTC) - timedelta(minutes=3 * settings.CDD_AUDIT_ANCHOR_MINUTES)).date()
    report = audit_trail_verify(since=since, tails=_rotation)
    problems = [p.as_dict() for p in report.problems[:50]]
    summary: dict[str, object] = {"ok": report.ok, "chains": report.chains, "events": report.events,
                                  "problems": problems, "warnings": report.warnings[:20]}
    for warning in report.warnings:
        logger.warning("audit trail: %s", warning)
    if not report.ok:
        # The message the log alarm matches; the audit event keeps the finding in the trail itself.
        logger.error("AUDIT TRAIL BROKEN: %d problem(s): %s", len(report.problems),
                     "; ".join(str(p) for p in report.problems[:10]), extra={"problems": problems})
        audit_event_record(entry=AuditEntry(
            actor=VERIFIER, action="audit.verification_failed", object_type="audit_trail", object_id="verification",
            reason=f"{len(report.problems)} problem(s) since {since}; run `manage.py audit_verify --since {since}`",
            data={"problems": problems[:20]},
        ))
    return summary
