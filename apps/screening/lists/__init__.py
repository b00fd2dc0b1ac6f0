"""Sanctions and watch-list ingestion: parsers into the normalised ``ListEntity`` model, the
source registry, the bundled offline snapshot, and version diffs. Pure Python, no Django.
"""

from apps.screening.lists.base import ListParseError, Orphan, ParseResult
from apps.screening.lists.countries import country_code
from apps.screening.lists.diff import ListCollapsed, ListDiff, list_diff, list_diff_hashes, list_sanity_check
from apps.screening.lists.ftm import parse_ftm
from apps.screening.lists.internal import parse_internal_csv
from apps.screening.lists.normalized import (
    entities_dump_jsonl_gz,
    entities_load_jsonl_gz,
    entity_from_dict,
    entity_hash,
    entity_to_dict,
)
from apps.screening.lists.ofac import parse_ofac, parse_ofac_cons, parse_ofac_sdn
from apps.screening.lists.registry import (
    LIST_SOURCES,
    ListFile,
    ListSource,
    ftm_source,
    internal_source,
    list_source_get,
)
from apps.screening.lists.snapshot import SNAPSHOT_LISTS, snapshot_entities, snapshot_files, snapshot_parse
from apps.screening.lists.uk import parse_uk_ofsi
from apps.screening.lists.un import parse_un_sc

__all__ = [
    "LIST_SOURCES",
    "SNAPSHOT_LISTS",
    "ListCollapsed",
    "ListDiff",
    "ListFile",
    "ListParseError",
    "ListSource",
    "Orphan",
    "ParseResult",
    "country_code",
    "entities_dump_jsonl_gz",
    "entities_load_jsonl_gz",
    "entity_from_dict",
    "entity_hash",
    "entity_to_dict",
    "ftm_source",
    "internal_source",
    "list_diff",
    "list_diff_hashes",
    "list_sanity_check",
    "list_source_get",
    "parse_ftm",
    "parse_internal_csv",
    "parse_ofac",
    "parse_ofac_cons",
    "parse_ofac_sdn",
    "parse_uk_ofsi",
    "parse_un_sc",
    "snapshot_entities",
    "snapshot_files",
    "snapshot_parse",
]
