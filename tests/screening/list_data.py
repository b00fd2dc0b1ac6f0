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
