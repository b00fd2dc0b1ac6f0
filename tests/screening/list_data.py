"""Parsed lists shared by the list tests: each real list is parsed once per test process."""

from __future__ import annotations

from functools import cache

from apps.screening.lists import ParseResult, snapshot_parse


@cache
def parsed(list_key: str) -> ParseResult:
    """The bundled snapshot of ``list_key`` (its checksums are in the snapshot's CHECKSUMS.sha256), parsed."""
    return snapshot_parse(list_key)


@cache
def by_id(list_key: str) -> dict[str, object]:
    return {e.source_id: e for e in parsed(list_key).entities}


# A small internal watch list (docs/lists.md, "The internal watch-list CSV") for tests of loads and the admin.
WATCH_HEADER = "id,name,entity_type,aliases,date_of_birth,nationality,country,notes\n"
WATCH_ROWS = [f"W-{i:03d},PERSON NUMBER {i},person,,1970,IR,," for i in range(1, 11)]


def watchlist_csv(*rows: str) -> bytes:
    """The watch-list file with ``rows`` (CSV lines without the header)."""
    return (WATCH_HEADER + "".join(r + "\n" for r in rows)).encode()
