"""A small list index for the screening CLI and API tests (the full snapshot is built once, elsewhere)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from apps.screening import index_provider
from apps.screening.index_provider import ScreeningIndex
from apps.screening.matching import ListEntity, MatchIndex, Name

SMALL_LIST = [
    ListEntity(
        list="ofac_sdn",
        source_id="24904",
        schema="person",
        names=[Name("'ABBAS, Yasir")],
        birth_dates=["1978-08-22"],
        nationalities=["SY"],
    ),
    ListEntity(list="ofac_sdn", source_id="15161", schema="organization", names=[Name("HONG KONG INTERTRADE COMPANY")]),
    ListEntity(
        list="un_sc",
        source_id="QDi.006",
        schema="person",
        names=[Name("AYMAN MUHAMMED RABI AL-ZAWAHIRI"), Name("أيمن محمد ربيع الظواهري", "original_script")],
        birth_dates=["1951-06-19"],
        nationalities=["EG"],
    ),
    ListEntity(
        list="uk_ofsi",
        source_id="15929",
        schema="person",
        names=[Name("Alexander Vladimirovich DENISOV"), Name("Александр Владимирович ДЕНИСОВ", "original_script")],
    ),
]


@pytest.fixture
def small_index() -> Iterator[MatchIndex]:
    """The process's screening index replaced by one over four entities, whatever the list source."""
    index = MatchIndex.build(SMALL_LIST)
    built = {
        source: ScreeningIndex(index=index, source=source, versions=(("small", "test"),), built_seconds=0.0)
        for source in index_provider.LIST_SOURCES
    }
    saved = dict(index_provider._current)
    index_provider._current.update(built)
    index_provider._checked_at.update({source: float("inf") for source in built})
    try:
        yield index
    finally:
        index_provider.screening_index_reset()
        index_provider._current.update(saved)
