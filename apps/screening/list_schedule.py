"""Refresh schedule of the lists: default crons, and the beat entries settings build from them.

Kept outside ``apps.screening.lists`` (whose import loads every parser) because settings import it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

# Default refresh crons (minute hour day month weekday, UTC) of the official lists. Staggered so
# the downloads do not run at once; every two hours because OFAC and OFSI publish intraday.
DEFAULT_REFRESH_CRON: dict[str, str] = {
    "ofac_sdn": "20 */2 * * *",
    "ofac_cons": "25 */2 * * *",
    "un_sc": "30 */2 * * *",
    "uk_ofsi": "35 */2 * * *",
}
DEFAULT_EXTRA_CRON = "0 3 * * *"


def json_object(raw: str) -> dict[str, Any]:
    """Settings cast: a JSON object from the environment (empty string -> {})."""
    if not raw.strip():
        return {}
    value = json.loads(raw)
    if not isinstance(value, dict):
        raise ValueError(f"expected a JSON object, got {raw[:60]!r}")
    return value


def beat_entries(
    *, lists: list[str], cron_overrides: Mapping[str, str], extra: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, object]]:
    """``CELERY_BEAT_SCHEDULE`` entries: one ``screening.lists_refresh`` per list, on its cron."""
    from celery.schedules import crontab

    entries: dict[str, dict[str, object]] = {}
    for key in lists:
        if key in DEFAULT_REFRESH_CRON:
            cron = DEFAULT_REFRESH_CRON[key]
        elif key in extra and extra[key].get("url"):
            cron = str(extra[key].get("refresh_cron") or DEFAULT_EXTRA_CRON)
        else:
            raise ValueError(
                f"CDD_LISTS_REFRESH_LISTS names {key!r}, which is neither an official list "
                "nor one configured in CDD_LISTS_EXTRA with a url"
            )
        cron = cron_overrides.get(key, cron)
        try:
            minute, hour, day_of_month, month_of_year, day_of_week = cron.split()
        except ValueError:
            raise ValueError(f"refresh cron of {key!r} must have 5 fields, got {cron!r}") from None
        entries[f"screening.lists_refresh.{key}"] = {
            "task": "screening.lists_refresh",
            "schedule": crontab(
                minute=minute,
                hour=hour,
                day_of_month=day_of_month,
                month_of_year=month_of_year,
                day_of_week=day_of_week,
            ),
            "args": (key,),
            "options": {"queue": "screening"},
        }
    return entries
