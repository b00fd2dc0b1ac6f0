"""Pure-Python name matcher for sanctions screening (no Django, no I/O).

Build a :class:`MatchIndex` from :class:`ListEntity` objects, then ``index.screen(Query(...))``.
"""

from .index import (
    ALGORITHM_VERSION,
    DEFAULT_THRESHOLD,
    ENTITY_TYPES,
    Hit,
    MatchIndex,
    Query,
    ScreeningResult,
    compare_names,
    validate_partial_date,
)
from .types import Identifier, ListEntity, Name

__all__ = [
    "ALGORITHM_VERSION",
    "DEFAULT_THRESHOLD",
    "ENTITY_TYPES",
    "Hit",
    "Identifier",
    "ListEntity",
    "MatchIndex",
    "Name",
    "Query",
    "ScreeningResult",
    "compare_names",
    "validate_partial_date",
]
