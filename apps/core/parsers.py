"""The API's JSON parser: DRF's, with a bound on nesting so hostile input is a 400, never a 500."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser as DrfJSONParser

# No request body of this API nests deeper than a handful of levels; 32 leaves room for any client.
MAX_JSON_DEPTH = 32


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether ``value`` nests objects/arrays more than ``limit`` deep (iterative: no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children: Iterable[Any]
        if isinstance(current, dict):
            children = current.values()
        elif isinstance(current, list):
            children = current
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


class JSONParser(DrfJSONParser):
    """Parses JSON; nesting beyond ``MAX_JSON_DEPTH`` (or beyond what Python's parser can) is a ParseError."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        too_deep = ParseError(f"JSON parse error - the body nests objects or arrays more than {MAX_JSON_DEPTH} deep.")
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise too_deep from exc
        if json_depth_exceeds(data, MAX_JSON_DEPTH):
            raise too_deep
        return data
