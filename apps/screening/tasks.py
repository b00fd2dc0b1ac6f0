"""Celery tasks of the screening app (autodiscovered by cdd/celery.py)."""

from __future__ import annotations

import logging

from celery import shared_task

from apps.audit.actors import Actor
from apps.screening.services.lists import ListFetchFailed, list_refresh

logger = logging.getLogger(__name__)


@shared_task(
    name="screening.lists_refresh",
    bind=True,
    acks_late=True,
    max_retries=3,
    default_retry_delay=600,
    soft_time_limit=600,
    time_limit=900,
    queue="screening",
)
def lists_refresh(self, list_key: str) -> str:  # type: ignore[no-untyped-def]
    """Fetch ``list_key`` from its official URL(s) and load it; safe to run twice (an unchanged
    publication is recognised by its checksum and changes nothing)."""
    try:
        outcome = list_refresh(list_key=list_key, actor=Actor.system("lists_refresh"))
    except ListFetchFailed as exc:
        logger.warning("list %s: refresh failed, will retry: %s", list_key, exc.message)
        raise self.retry(exc=exc) from exc
    logger.info(
        "list %s: %s version %s (%s entities)",
        list_key,
        outcome.outcome,
        outcome.version.version_id,
        outcome.version.entity_count,
    )
    return outcome.outcome


@shared_task(name="screening.book_index_snapshot", acks_late=True, max_retries=3, soft_time_limit=1800,
             time_limit=2400, queue="screening")
def book_index_snapshot_task() -> dict[str, object]:
    """Persist the customer-side index to S3 (beat, hourly), so a new worker loads it and reads only the changes."""
    from apps.screening.services.book_index import book_index_snapshot_save

    return book_index_snapshot_save()


@shared_task(name="screening.config_check", acks_late=True, max_retries=3, soft_time_limit=300, time_limit=600,
             queue="screening")
def config_check_task() -> str | None:
    """Start a full re-screening when the algorithm, the threshold or the set of lists changed (beat, hourly)."""
    from apps.screening.services.rescreen import rescreen_config_check

    return rescreen_config_check()
