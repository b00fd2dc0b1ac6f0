"""The name matcher as a compliance user checks it: small handcrafted lists, one behaviour each."""

from __future__ import annotations

import pytest

from apps.screening.matching import ALGORITHM_VERSION, ListEntity, MatchIndex, Name, Query, compare_names

THRESHOLD = 0.8


def person(source_id: str, *names: str, dob: str | None = None, nat: str | None = None) -> ListEntity:
    return ListEntity(
        list="ofac_sdn",
        source_id=source_id,
        schema="person",
        names=[Name(names[0], "primary"), *(Name(n, "strong_alias") for n in names[1:])],
        birth_dates=[dob] if dob else [],
        nationalities=[nat] if nat else [],
    )


def org(source_id: str, *names: str, list_key: str = "uk_ofsi") -> ListEntity:
    return ListEntity(
        list=list_key,
        source_id=source_id,
        schema="organization",
        names=[Name(names[0], "primary"), *(Name(n, "strong_alias") for n in names[1:])],
    )


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    entities = [
        person("24904", "'ABBAS, Yasir", dob="1978-08-22", nat="SY"),
        person("7001", "AL-ZAWAHIRI, Ayman Muhammad Rabi", dob="1951-06-19", nat="EG"),
        person("7002", "HASSAN, Mohammed Ali", dob="1970", nat="IQ"),
        person("7003", "SMITH, John", dob="1960-01-01", nat="US"),
        ListEntity(
            list="uk_ofsi",
            source_id="15929",
            schema="person",
            names=[
                Name("Alexander Vladimirovich DENISOV", "primary"),
                Name("Александр Владимирович ДЕНИСОВ", "original_script"),
            ],
            birth_dates=["1965-03-12"],
            nationalities=["RU"],
        ),
        org("9001", "LIMITED LIABILITY COMPANY PROSPEKT"),
        org("9002", "HONG KONG INTERTRADE COMPANY", list_key="ofac_sdn"),
        org("9003", "SOVFRACHT JOINT STOCK COMPANY"),
        org("9004", "AL-QAIDA", "THE BASE"),
        ListEntity(list="ofac_sdn", source_id="9005", schema="vessel", names=[Name("SHAYAN 1")]),
    ]
    return MatchIndex.build(entities)


def top(index: MatchIndex, query: Query) -> tuple[str | None, float]:
    hits = index.search(query, threshold=0.0)
    return (hits[0].entity.source_id, hits[0].score) if hits else (None, 0.0)


def alerts_on(index: MatchIndex, query: Query, source_id: str) -> bool:
    result = index.screen(query, threshold=THRESHOLD)
    return result.decision == "alert" and any(h.entity.source_id == source_id for h in result.hits)


def test_a_reordered_ofac_name_matches(index: MatchIndex) -> None:
    assert alerts_on(index, Query("Yasir ABBAS", "person"), "24904")
    assert alerts_on(index, Query("Ayman Muhammad Rabi AL-ZAWAHIRI"), "7001")


def test_a_typo_in_a_name_still_matches(index: MatchIndex) -> None:
    assert alerts_on(index, Query("Ayman Muhammad Rabi AL-ZAWAHIRY", "person"), "7001")
    assert alerts_on(index, Query("Alexander Vladimirovich DENISOB", "person"), "15929")


def test_titles_punctuation_and_case_do_not_matter(index: MatchIndex) -> None:
    assert alerts_on(index, Query("'ABBAS, General Yasir", "person"), "24904")
    assert alerts_on(index, Query("Dr. yasir abbas"), "24904")
    assert alerts_on(index, Query("H.E. Sheikh Ayman al Zawahiri", "person"), "7001")


def test_a_dropped_middle_name_still_matches(index: MatchIndex) -> None:
    assert alerts_on(index, Query("Alexander DENISOV", "person"), "15929")


def test_diacritics_added_or_removed_match(index: MatchIndex) -> None:
    assert alerts_on(index, Query("Yasír ÀBBAS", "person"), "24904")


def test_a_cyrillic_original_matches_its_latin_transliteration(index: MatchIndex) -> None:
    assert alerts_on(index, Query("Александр Денисов", "person"), "15929")
    score, explanation = compare_names("Алексей Навальный", "Alexei NAVALNY", schema="Person")
    assert score >= THRESHOLD, explanation


def test_legal_form_variants_match(index: MatchIndex) -> None:
    assert alerts_on(index, Query("LLC PROSPEKT", "organization"), "9001")
    assert alerts_on(index, Query("OOO Prospekt"), "9001")
    assert alerts_on(index, Query("Hong Kong Intertrade Co.", "organization"), "9002")
    assert alerts_on(index, Query("SOVFRACHT JSC", "organization"), "9003")
    assert alerts_on(index, Query("AO SOVFRACHT", "organization"), "9003")


def test_joined_tokens_match(index: MatchIndex) -> None:
    assert alerts_on(index, Query("ALQAIDA", "organization"), "9004")


def test_the_legal_form_alone_does_not_make_a_match(index: MatchIndex) -> None:
    assert not alerts_on(index, Query("LLC ROMASHKA", "organization"), "9001")


def test_an_unrelated_common_name_does_not_alert(index: MatchIndex) -> None:
    for name in ("Maria Garcia Lopez", "John Williams", "Mohammed Rahimi", "Smith Johnson & Co"):
        result = index.screen(Query(name), threshold=THRESHOLD)
        assert result.decision == "clear", (name, [(h.name, h.score) for h in result.hits])


def test_a_date_of_birth_conflict_lowers_the_score_and_says_so(index: MatchIndex) -> None:
    _, same = top(index, Query("John SMITH", "person", date_of_birth="1960-01-01"))
    hits = index.search(Query("John SMITH", "person", date_of_birth="1992-05-05"), threshold=0.0)
    assert hits[0].entity.source_id == "7003"
    assert hits[0].score < same
    dob = hits[0].explanation["features"]["date_of_birth"]
    assert dob["result"] == "conflict"
    assert dob["contribution"] < 0
    assert dob["query"] == "1992-05-05"
    assert dob["list"] == ["1960-01-01"]


def test_a_partial_date_of_birth_agrees_with_a_full_one(index: MatchIndex) -> None:
    hits = index.search(Query("Mohammed Ali HASSAN", "person", date_of_birth="1970-04"), threshold=0.0)
    assert hits[0].explanation["features"]["date_of_birth"]["result"] == "partial"
    assert hits[0].explanation["features"]["date_of_birth"]["contribution"] > 0


def test_a_nationality_conflict_lowers_the_score(index: MatchIndex) -> None:
    _, agree = top(index, Query("Yasir ABBAS", "person", country="SY"))
    _, conflict = top(index, Query("Yasir ABBAS", "person", country="br"))
    assert conflict < agree


def test_an_entity_type_conflict_lowers_the_score(index: MatchIndex) -> None:
    assert alerts_on(index, Query("SHAYAN 1", "vessel"), "9005")
    assert not alerts_on(index, Query("SHAYAN 1", "person"), "9005")


def test_the_explanation_lists_each_feature_with_its_values(index: MatchIndex) -> None:
    hit = index.search(Query("Ayman al-Zawahiri", "person", "1951", "EG"), threshold=0.0)[0]
    explanation = hit.explanation
    assert explanation["algorithm"] == ALGORITHM_VERSION
    features = explanation["features"]
    assert set(features) == {"name_similarity", "phonetic", "name_kind", "date_of_birth", "country", "entity_type"}
    for feature in features.values():
        assert "contribution" in feature
    total = sum(f["contribution"] for f in features.values())
    assert hit.score == pytest.approx(min(1.0, max(0.0, total)), abs=1e-3)
    name = features["name_similarity"]
    assert {"query": "zawahiri", "list": "zawahiri", "similarity": 1.0} in name["matched"]
    assert "rabi" in name["unmatched_list"]
    assert features["country"]["result"] == "agree"
    assert features["date_of_birth"]["result"] == "partial"


def test_hits_are_sorted_by_score_and_respect_the_threshold(index: MatchIndex) -> None:
    hits = index.search(Query("Mohammed HASSAN"), threshold=0.3)
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(s >= 0.3 for s in scores)
    strict = index.search(Query("Mohammed HASSAN"), threshold=0.95)
    assert len(strict) < len(hits)
    assert all(h.score >= 0.95 for h in strict)


def test_compare_names_scores_a_pair_with_an_explanation() -> None:
    score, explanation = compare_names("SMITH, John", "John Smith", schema="Person")
    assert score == 1.0
    assert explanation["features"]["name_similarity"]["value"] == 1.0
    low, _ = compare_names("John Smith", "Maria Garcia", schema="Person")
    assert low < 0.3


def test_cjk_syllables_only_match_exactly() -> None:
    # 张雷 is ZHANG Lei; ZHANG Lai is another person, not a typo
    exact, _ = compare_names("张雷", "ZHANG Lei", schema="Person")
    other, _ = compare_names("张雷", "ZHANG Lai", schema="Person")
    assert exact >= THRESHOLD
    assert other < THRESHOLD


def test_a_date_conflict_weighs_more_against_a_short_common_name(index: MatchIndex) -> None:
    common = index.search(Query("John SMITH", "person", "1992"), threshold=0.0)[0]
    distinctive = index.search(Query("Ayman Muhammad Rabi AL-ZAWAHIRI", "person", "1992"), threshold=0.0)[0]
    common_dob = common.explanation["features"]["date_of_birth"]
    distinctive_dob = distinctive.explanation["features"]["date_of_birth"]
    assert common_dob["result"] == distinctive_dob["result"] == "conflict"
    assert common_dob["contribution"] < distinctive_dob["contribution"] < 0
    assert common_dob["name_distinctiveness"] < distinctive_dob["name_distinctiveness"]


def test_spelling_variants_agree_phonetically_and_the_explanation_says_so() -> None:
    score, explanation = compare_names("Mohammed Hussein", "Muhammad Husain", schema="Person")
    assert score >= THRESHOLD
    phonetic = explanation["features"]["phonetic"]
    assert phonetic["value"] == 1.0
    assert phonetic["contribution"] > 0
    assert phonetic["query_keys"] == phonetic["list_keys"] == ["hsn", "mhmd"]


def test_a_weak_alias_counts_less_than_a_primary_name() -> None:
    index = MatchIndex.build(
        [
            ListEntity(list="un_sc", source_id="A", schema="person", names=[Name("Abu Hafs AL-MASRI", "weak_alias")]),
            ListEntity(list="un_sc", source_id="B", schema="person", names=[Name("Abu Hafs AL-MASRI", "primary")]),
        ]
    )
    hits = {h.entity.source_id: h for h in index.search(Query("Abu Hafs al-Masri"), threshold=0.0)}
    assert hits["A"].score < hits["B"].score
    name_kind = hits["A"].explanation["features"]["name_kind"]
    assert (name_kind["contribution"], name_kind["value"]) == (-0.1, "weak_alias")
    assert hits["A"].explanation["weak_alias_only"] is True
    assert "weak_alias_only" not in hits["B"].explanation


def test_a_generic_organisation_word_does_not_hide_a_match(index: MatchIndex) -> None:
    assert alerts_on(index, Query("SOVFRACHT GROUP JSC", "organization"), "9003")
    assert alerts_on(index, Query("Prospekt Holding LLC", "organization"), "9001")
