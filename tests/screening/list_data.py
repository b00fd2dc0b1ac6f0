"""Parsed lists shared by the list tests: each real list is parsed once per test process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from apps.screening.lists import ParseResult, snapshot_parse

SHARED_LISTS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "lists"


@cache
def parsed(list_key: str) -> ParseResult:
    """The bundled snapshot of ``list_key`` (byte-identical to shared/data/lists), parsed."""
    return snapshot_parse(list_key)


@cache
def by_id(list_key: str) -> dict[str, object]:
    return {e.source_id: e for e in parsed(list_key).entities}
