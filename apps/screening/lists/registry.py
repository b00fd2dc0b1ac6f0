"""The list sources the product knows: files, official URLs, parser and default refresh schedule.

``LIST_SOURCES`` holds the official lists. FollowTheMoney and internal watch lists get a key
chosen by whoever configures them; :func:`ftm_source` and :func:`internal_source` build their
entries (phase 2 reads them from settings).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from apps.screening.list_schedule import DEFAULT_EXTRA_CRON, DEFAULT_REFRESH_CRON
from apps.screening.lists.base import ListParseError, ParseResult, Source
from apps.screening.lists.ftm import parse_ftm
from apps.screening.lists.internal import parse_internal_csv
from apps.screening.lists.ofac import parse_ofac
from apps.screening.lists.uk import parse_uk_ofsi
from apps.screening.lists.un import parse_un_sc


@dataclass(frozen=True, slots=True)
class ListFile:
    """One file of a list publication."""

    name: str  # canonical name: in the snapshot, in S3 and as the key of ``files`` mappings
    url: str | None = None  # official download URL; None when the file is not fetched
    required: bool = True


Parser = Callable[[str, Mapping[str, Source]], ParseResult]


@dataclass(frozen=True, slots=True)
class ListSource:
    """Everything the product needs to fetch, parse and schedule one list."""

    key: str
    title: str
    publisher: str
    files: tuple[ListFile, ...]
    parser: Parser
    page_url: str | None = None
    refresh_cron: str = DEFAULT_EXTRA_CRON  # minute hour day month weekday (UTC)
    notes: str = ""
    one_of: tuple[str, ...] = field(default=())  # at least one of these files is needed

    def parse(self, files: Mapping[str, Source]) -> ParseResult:
        """Parse a publication given as ``{file name: path or bytes}`` (names case-insensitive)."""
        by_lower = {name.lower(): value for name, value in files.items()}
        known = {f.name.lower() for f in self.files}
        unexpected = sorted(n for n in by_lower if n not in known)
        if unexpected:
            raise ListParseError(
                file=unexpected[0],
                problem=f"not a file of the {self.key} list",
                hint=f"expected: {', '.join(f.name for f in self.files)}",
            )
        for spec in self.files:
            if spec.required and spec.name.lower() not in by_lower:
                raise ListParseError(
                    file=spec.name,
                    problem=f"the {self.key} list needs this file and it is missing",
                    hint=f"provide all of: {', '.join(f.name for f in self.files if f.required)}",
                )
        if self.one_of and not any(n.lower() in by_lower for n in self.one_of):
            raise ListParseError(
                file=" or ".join(self.one_of),
                problem=f"the {self.key} list needs one of these files",
                hint="provide one of them",
            )
        canonical: dict[str, Source] = {}
        for spec in self.files:
            value = by_lower.get(spec.name.lower())
            if value is not None:
                canonical[spec.name] = (spec.name, value) if isinstance(value, bytes) else value
        return self.parser(self.key, canonical)

    def urls(self) -> dict[str, str]:
        """Official URL of each file that is fetched."""
        return {f.name: f.url for f in self.files if f.url}


_OFAC_EXPORTS = "https://sanctionslistservice.ofac.treas.gov/api/PublicationPreview/exports"


def _ofac_parser(primary: str, alt: str, add: str, comments: str) -> Parser:
    def parse(key: str, files: Mapping[str, Source]) -> ParseResult:
        return parse_ofac(
            primary=files[primary],
            aliases=files.get(alt),
            addresses=files.get(add),
            comments=files.get(comments),
            list_key=key,
        )

    return parse


def _uk_parser(key: str, files: Mapping[str, Source]) -> ParseResult:
    source = files.get("ConList.xlsx") or files["ConList.csv"]
    return parse_uk_ofsi(source, list_key=key)


def _single_file_parser(name: str, func: Callable[..., ParseResult]) -> Parser:
    def parse(key: str, files: Mapping[str, Source]) -> ParseResult:
        return func(files[name], list_key=key)

    return parse


LIST_SOURCES: dict[str, ListSource] = {
    "ofac_sdn": ListSource(
        key="ofac_sdn",
        refresh_cron=DEFAULT_REFRESH_CRON["ofac_sdn"],
        title="OFAC Specially Designated Nationals (SDN) list",
        publisher="US Treasury, Office of Foreign Assets Control",
        page_url="https://ofac.treasury.gov/sanctions-list-service",
        files=(
            ListFile("sdn.csv", f"{_OFAC_EXPORTS}/SDN.CSV"),
            ListFile("alt.csv", f"{_OFAC_EXPORTS}/ALT.CSV"),
            ListFile("add.csv", f"{_OFAC_EXPORTS}/ADD.CSV"),
            ListFile("sdn_comments.csv", f"{_OFAC_EXPORTS}/SDN_COMMENTS.CSV"),
        ),
        parser=_ofac_parser("sdn.csv", "alt.csv", "add.csv", "sdn_comments.csv"),
        notes="Legacy delimited format. The historic www.treasury.gov/ofac/downloads/ URLs redirect here.",
    ),
    "ofac_cons": ListSource(
        key="ofac_cons",
        refresh_cron=DEFAULT_REFRESH_CRON["ofac_cons"],
        title="OFAC Consolidated Sanctions List (non-SDN lists)",
        publisher="US Treasury, Office of Foreign Assets Control",
        page_url="https://ofac.treasury.gov/sanctions-list-service",
        files=(
            ListFile("cons_prim.csv", f"{_OFAC_EXPORTS}/CONS_PRIM.CSV"),
            ListFile("cons_alt.csv", f"{_OFAC_EXPORTS}/CONS_ALT.CSV"),
            ListFile("cons_add.csv", f"{_OFAC_EXPORTS}/CONS_ADD.CSV"),
            ListFile("cons_comments.csv", f"{_OFAC_EXPORTS}/CONS_COMMENTS.CSV"),
        ),
        parser=_ofac_parser("cons_prim.csv", "cons_alt.csv", "cons_add.csv", "cons_comments.csv"),
    ),
    "un_sc": ListSource(
        key="un_sc",
        refresh_cron=DEFAULT_REFRESH_CRON["un_sc"],
        title="UN Security Council Consolidated List",
        publisher="United Nations Security Council",
        page_url="https://www.un.org/securitycouncil/content/un-sc-consolidated-list",
        files=(ListFile("consolidated.xml", "https://scsanctions.un.org/resources/xml/en/consolidated.xml"),),
        parser=_single_file_parser("consolidated.xml", parse_un_sc),
    ),
    "uk_ofsi": ListSource(
        key="uk_ofsi",
        refresh_cron=DEFAULT_REFRESH_CRON["uk_ofsi"],
        title="UK OFSI Consolidated List of Financial Sanctions Targets",
        publisher="HM Treasury, Office of Financial Sanctions Implementation",
        page_url="https://www.gov.uk/government/publications/financial-sanctions-consolidated-list-of-targets",
        files=(
            ListFile(
                "ConList.xlsx",
                "https://ofsistorage.blob.core.windows.net/publishlive/2022format/ConList.xlsx",
                required=False,
            ),
            ListFile("ConList.csv", required=False),
        ),
        one_of=("ConList.xlsx", "ConList.csv"),
        parser=_uk_parser,
        notes="OFSI announced the Consolidated List's retirement in favour of the FCDO UK Sanctions "
        "List (reader not yet written). Either the workbook or the CSV export is accepted.",
    ),
}


def ftm_source(
    key: str, *, url: str | None = None, title: str | None = None, refresh_cron: str = DEFAULT_EXTRA_CRON
) -> ListSource:
    """A FollowTheMoney JSON lines list (e.g. OpenSanctions PEPs) under ``key``; one file ``entities.ftm.json``."""
    return ListSource(
        key=key,
        title=title or f"FollowTheMoney list {key}",
        publisher="configured",
        files=(ListFile("entities.ftm.json", url),),
        parser=_single_file_parser("entities.ftm.json", parse_ftm),
        refresh_cron=refresh_cron,
    )


def internal_source(
    key: str, *, url: str | None = None, title: str | None = None, refresh_cron: str = DEFAULT_EXTRA_CRON
) -> ListSource:
    """A bank's internal watch list (CSV, see docs/lists.md) under ``key``; one file ``watchlist.csv``."""
    return ListSource(
        key=key,
        title=title or f"Internal watch list {key}",
        publisher="internal",
        files=(ListFile("watchlist.csv", url),),
        parser=_single_file_parser("watchlist.csv", parse_internal_csv),
        refresh_cron=refresh_cron,
    )


def list_source_get(key: str, *, extra: Mapping[str, ListSource] | None = None) -> ListSource:
    """The source for ``key`` among the official lists and ``extra`` (configured) ones."""
    sources = {**LIST_SOURCES, **(extra or {})}
    try:
        return sources[key]
    except KeyError:
        raise KeyError(f"unknown list {key!r}; known lists: {', '.join(sorted(sources))}") from None
