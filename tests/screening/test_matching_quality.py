"""Screening quality, round 2 (cdd-name-match/2.0), one behaviour each: namesakes told apart by
their birth date and nationality, distinctive words deciding between organisations, Arabic script
against Latin list names, compound perturbations and weak aliases; and (2.1) an entry lacking a
date of birth or a nationality weighed with its counterparts' on other lists.

The index holds a few hundred filler entities so that token rarity behaves as on the real lists
(a word on one entity is rare; ENTERPRISE, STATE, FEDERAL on many are common).
"""

from __future__ import annotations

import random

import pytest

from apps.screening.matching import ALGORITHM_VERSION, Hit, Identifier, ListEntity, MatchIndex, Name, Query

THRESHOLD = 0.8


def person(source_id: str, *names: str, dobs: tuple[str, ...] = (), nat: str | None = None,
           kinds: tuple[str, ...] = ()) -> ListEntity:
    kinds = kinds or ("primary", *("strong_alias",) * (len(names) - 1))
    return ListEntity(
        list="ofac_sdn",
        source_id=source_id,
        schema="person",
        names=[Name(n, k) for n, k in zip(names, kinds, strict=True)],  # type: ignore[arg-type]
        birth_dates=list(dobs),
        nationalities=[nat] if nat else [],
    )


def org(source_id: str, name: str) -> ListEntity:
    return ListEntity(list="ofac_sdn", source_id=source_id, schema="organization", names=[Name(name)])


def _filler(rng: random.Random) -> str:
    letters = "bcdfghklmnprstvz"
    vowels = "aeiou"
    return "".join(rng.choice(letters) + rng.choice(vowels) for _ in range(rng.randint(3, 4)))


@pytest.fixture(scope="module")
def index() -> MatchIndex:
    rng = random.Random(7)
    entities = [
        person("100", "KARIMOV, Rustam Bakhtiyorovich", dobs=("1961-04-12",), nat="UZ"),
        person("101", "NAZARI, Habibullah", dobs=("1970", "1971", "1972"), nat="AF"),
        person("102", "Tariq Aziz AL-MASRI", nat="IQ"),
        person("103", "Ayman Muhammad Rabi AL-ZAWAHIRI", dobs=("1951-06-19",), nat="EG"),
        person("104", "Vladislav Gennadyevich PUGACHEV"),
        person("105", "Abdul Rahman Yasin BARAKZAI", "ABU DAHER", kinds=("primary", "weak_alias")),
        org("200", "FEDERAL STATE UNITARY ENTERPRISE SCIENTIFIC AND PRODUCTION ENTERPRISE PROGOROD"),
        org("201", "SUNRISE PETROLEUM TRADING COMPANY LIMITED"),
    ]
    # common organisation words on many entities, as on the lists
    for n in range(60):
        entities.append(org(f"3{n:02d}", f"FEDERAL STATE UNITARY ENTERPRISE {_filler(rng).upper()}"))
        entities.append(org(f"4{n:02d}", f"SCIENTIFIC AND PRODUCTION ENTERPRISE {_filler(rng).upper()}"))
        entities.append(org(f"5{n:02d}", f"{_filler(rng).upper()} PETROLEUM TRADING COMPANY"))
    for n in range(300):
        entities.append(person(f"6{n:03d}", f"{_filler(rng).upper()}, {_filler(rng).capitalize()}"))
    return MatchIndex.build(entities)


def hit_for(index: MatchIndex, query: Query, source_id: str) -> Hit | None:
    for hit in index.search(query, threshold=0.0, limit=None):
        if hit.entity.source_id == source_id:
            return hit
    return None


def alerts_on(index: MatchIndex, query: Query, source_id: str) -> bool:
    return any(h.entity.source_id == source_id for h in index.screen(query, threshold=THRESHOLD).hits)


# --- birth date and nationality ---------------------------------------------------------------


def test_a_namesake_born_decades_apart_with_another_nationality_does_not_alert(index: MatchIndex) -> None:
    query = Query("KARIMOV, Rustam Bakhtiyorovich", "person", date_of_birth="1994-02-03", country="FR")
    assert not alerts_on(index, query, "100")
    hit = hit_for(index, query, "100")
    assert hit is not None
    dob = hit.explanation["features"]["date_of_birth"]
    assert dob["result"] == "conflict"
    assert dob["years_apart"] == 33
    assert "date of birth 1994-02-03 vs 1961-04-12: 33 years apart" in hit.explanation["notes"]
    assert "dob_and_country" in hit.explanation["features"]
    assert any("nationality FR" in note for note in hit.explanation["notes"])


def test_a_one_year_slip_or_a_day_month_swap_still_alerts(index: MatchIndex) -> None:
    for dob in ("1962-04-12", "1961-12-04", "1961-04-13"):
        query = Query("KARIMOV, Rustam Bakhtiyorovich", "person", date_of_birth=dob, country="UZ")
        assert alerts_on(index, query, "100"), dob
    hit = hit_for(index, Query("Rustam KARIMOV", "person", date_of_birth="1962-04-12"), "100")
    assert hit is not None
    assert hit.explanation["features"]["date_of_birth"]["result"] == "near"


def test_the_conflict_grows_with_the_distance_between_the_dates(index: MatchIndex) -> None:
    def contribution(dob: str) -> float:
        hit = hit_for(index, Query("Rustam Bakhtiyorovich KARIMOV", "person", date_of_birth=dob), "100")
        assert hit is not None
        return float(hit.explanation["features"]["date_of_birth"]["contribution"])

    assert contribution("1962") > contribution("1964") > contribution("1968") > contribution("1990") < 0
    # a namesake decades apart is not rescued by an exact name without a nationality either
    assert not alerts_on(index, Query("Rustam Bakhtiyorovich KARIMOV", "person", date_of_birth="1990"), "100")


def test_the_closest_of_several_listed_dates_counts_and_a_year_only_date_is_tolerant(index: MatchIndex) -> None:
    # listed 1970, 1971, 1972 (a span of years): 1973 is one year from the closest and a year-only date
    assert alerts_on(index, Query("Habibullah NAZARI", "person", date_of_birth="1973-05-01", country="AF"), "101")
    assert not alerts_on(index, Query("Habibullah NAZARI", "person", date_of_birth="1999-05-01", country="DE"), "101")


# --- distinctive words ------------------------------------------------------------------------


def test_an_organisation_sharing_only_generic_words_does_not_alert(index: MatchIndex) -> None:
    query = Query("FEDERAL STATE UNITARY ENTERPRISE SCIENTIFIC AND PRODUCTION ENTERPRISE GAMMA", "organization")
    assert not alerts_on(index, query, "200")
    hit = hit_for(index, query, "200")
    assert hit is not None
    word = hit.explanation["features"]["distinctive_word"]
    assert (word["list"], word["query"]) == ("progorod", "gamma")
    assert word["contribution"] < 0
    assert not alerts_on(index, Query("OCEANIC PETROLEUM TRADING COMPANY LIMITED", "organization"), "201")


def test_the_distinctive_word_with_a_typo_still_alerts(index: MatchIndex) -> None:
    query = Query("FEDERAL STATE UNITARY ENTERPRISE SCIENTIFIC AND PRODUCTION ENTERPRISE PROGROD", "organization")
    assert alerts_on(index, query, "200")
    assert alerts_on(index, Query("SUNRISE PETROLEUM TRADING CO LTD", "organization"), "201")
    hit = hit_for(index, Query("SUNRISE PETROLEUM TRADING CO LTD", "organization"), "201")
    assert hit is not None and "distinctive_word" not in hit.explanation["features"]


def test_another_given_name_with_the_same_surname_does_not_alert(index: MatchIndex) -> None:
    assert not alerts_on(index, Query("Oleg Gennadyevich PUGACHEV", "person"), "104")


# --- Arabic script ----------------------------------------------------------------------------


def test_an_arabic_script_name_finds_its_latin_only_entry(index: MatchIndex) -> None:
    # no Arabic-script name on the list: the consonant skeletons carry the match
    assert alerts_on(index, Query("طارق عزيز المصري", "person"), "102")
    assert alerts_on(index, Query("عبد الرحمن ياسين باركزي"), "105")
    hit = hit_for(index, Query("طارق عزيز المصري", "person"), "102")
    assert hit is not None
    assert hit.explanation["algorithm"] == ALGORITHM_VERSION


def test_an_arabic_script_name_with_other_consonants_does_not_alert(index: MatchIndex) -> None:
    assert not alerts_on(index, Query("طارق حسين الحلبي", "person"), "102")
    assert not index.screen(Query("سلمان فريد الجبوري", "person"), threshold=THRESHOLD).hits


# --- compound perturbations -------------------------------------------------------------------


def test_a_dropped_name_with_a_typo_in_another_still_alerts(index: MatchIndex) -> None:
    assert alerts_on(index, Query("Ayman Muhammad AL-ZAWAHRI", "person"), "103")
    assert alerts_on(index, Query("Vladislav PUGACHOV"), "104")


def test_a_reordered_name_with_a_typo_still_alerts(index: MatchIndex) -> None:
    assert alerts_on(index, Query("AL-ZAWAHIRI Aymen Muhammad Rabi", "person"), "103")
    assert alerts_on(index, Query("PUGACHEV, Vladislav Genadyevich"), "104")


def test_an_initial_with_the_middle_name_missing_still_alerts(index: MatchIndex) -> None:
    assert alerts_on(index, Query("V. PUGACHEV", "person"), "104")
    assert alerts_on(index, Query("A. Muhammad AL-ZAWAHIRI", "person"), "103")
    # the initial must agree with the name
    assert not alerts_on(index, Query("K. PUGACHEV", "person"), "104")


# --- weak aliases -----------------------------------------------------------------------------


def test_a_hit_only_on_a_weak_alias_is_marked_and_weighs_less(index: MatchIndex) -> None:
    hit = hit_for(index, Query("Abu Daher"), "105")
    assert hit is not None
    assert hit.name == "ABU DAHER"
    assert hit.explanation["weak_alias_only"] is True
    assert hit.explanation["features"]["name_kind"]["contribution"] < 0
    assert any("weak alias" in note for note in hit.explanation["notes"])
    strong = hit_for(index, Query("Abdul Rahman Yasin BARAKZAI"), "105")
    assert strong is not None and "weak_alias_only" not in strong.explanation


def test_arabic_and_latin_spellings_reduce_to_the_same_consonant_skeleton() -> None:
    from apps.screening.matching.normalize import arabic_skeleton, arabic_words, latin_skeleton

    pairs = {
        "محفوظ": "mahfouz",  # و a long vowel
        "التكريتي": "tikriti",  # the article, ك, the nisba -i
        "طارق": "tariq",  # ط, ق
        "غالب": "ghalib",  # غ
        "خالد": "khalid",  # خ
        "حمزة": "hamzah",  # ta marbuta
        "عثمان": "uthman",  # ayn, ث
        "شمس": "shams",  # ش
    }
    for arabic, latin in pairs.items():
        assert arabic_skeleton(arabic) == latin_skeleton(latin), (arabic, latin)
    assert arabic_skeleton("محمد") != arabic_skeleton("محمدی")  # Muhammad is not Mohammadi
    assert arabic_words("عبدالمنان") == ["عبد", "المنان"]


# --- the same party on several lists (cdd-name-match/2.1) --------------------------------------


def listed(list_key: str, source_id: str, name: str, *, dobs: tuple[str, ...] = (), nat: str | None = None,
           remarks: str | None = None, passport: str | None = None) -> ListEntity:
    return ListEntity(
        list=list_key,
        source_id=source_id,
        schema="person",
        names=[Name(name)],
        birth_dates=list(dobs),
        nationalities=[nat] if nat else [],
        identifiers=[Identifier("passport", passport)] if passport else [],
        remarks=remarks,
    )


@pytest.fixture(scope="module")
def lists_index() -> MatchIndex:
    rng = random.Random(11)
    entities = [
        # one party on OFAC (with its date of birth) and the UK (without): linked by the same distinctive name
        listed("ofac_sdn", "700", "ZARGARIANPOUR, Bahram", dobs=("1960-07-01",), nat="IR"),
        listed("uk_ofsi", "9700", "Bahram ZARGARIANPOUR"),
        # a UK entry derived from a UN listing cites it: linked by the UN reference whatever the spelling
        listed("un_sc", "QDi.901", "QARI SAIFULLAH MANSOORZADA", dobs=("1972",), nat="AF"),
        listed("uk_ofsi", "9701", "Saifullah MANSURZADA",
               remarks="(UK Sanctions List Ref):AQD0999. (UN Ref):QDi.901. Commander of a training camp."),
        # the same passport number on OFAC (no date of birth) and the UN
        listed("ofac_sdn", "703", "HWANG, Il Sung", passport="381220555"),
        listed("un_sc", "KPi.902", "HWANG IL SONG", dobs=("1961-04-15",), nat="KP", passport="381220555"),
        # a UK entry with no counterpart, and a name two OFAC entries carry (which of them would it be?)
        listed("uk_ofsi", "9702", "Farhad KOOHESTANIFAR"),
        listed("ofac_sdn", "701", "NAVIDIFAR, Reza", dobs=("1955-03-02",)),
        listed("ofac_sdn", "702", "NAVIDIFAR, Reza", dobs=("1981-11-20",)),
        listed("uk_ofsi", "9703", "Reza NAVIDIFAR"),
    ]
    for n in range(300):
        entities.append(listed("ofac_sdn", f"6{n:03d}", f"{_filler(rng).upper()}, {_filler(rng).capitalize()}"))
    return MatchIndex.build(entities)


def test_an_entry_without_a_birth_date_is_weighed_with_its_counterpart_on_another_list(
    lists_index: MatchIndex,
) -> None:
    namesake = Query("Bahram ZARGARIANPOUR", "person", date_of_birth="1935-06-25", country="ZA")
    assert not alerts_on(lists_index, namesake, "9700")
    hit = hit_for(lists_index, namesake, "9700")
    assert hit is not None
    dob = hit.explanation["features"]["date_of_birth"]
    assert dob["result"] == "conflict" and dob["years_apart"] == 25
    assert dob["from"] == "OFAC SDN 700 (same party: same name, one entry on each list)"
    assert (
        "date of birth 1935-06-25 vs 1960-07-01: 25 years apart; "
        "date of birth from OFAC SDN 700 (same party: same name, one entry on each list)"
    ) in hit.explanation["notes"]
    assert any("nationality ZA vs IR; nationality from OFAC SDN 700" in n for n in hit.explanation["notes"])
    # the same name with the counterpart's date of birth is the listed person: it alerts, saying why
    same = Query("Bahram ZARGARIANPOUR", "person", date_of_birth="1960-07-01")
    assert alerts_on(lists_index, same, "9700")
    hit = hit_for(lists_index, same, "9700")
    assert hit is not None and hit.explanation["features"]["date_of_birth"]["result"] == "exact"
    # without a date of birth in the query there is nothing to weigh: the exact name alerts
    assert alerts_on(lists_index, Query("Bahram ZARGARIANPOUR", "person"), "9700")


def test_an_entry_takes_the_birth_date_of_the_listing_it_cites_or_shares_a_passport_with(
    lists_index: MatchIndex,
) -> None:
    # a UK entry derived from a UN listing, whatever the spelling of the name
    namesake = Query("Saifullah MANSURZADA", "person", date_of_birth="1999-02-03")
    assert not alerts_on(lists_index, namesake, "9701")
    hit = hit_for(lists_index, namesake, "9701")
    assert hit is not None
    assert hit.explanation["features"]["date_of_birth"]["from"] == "UN QDi.901 (same party: UN reference)"
    assert alerts_on(lists_index, Query("Saifullah MANSURZADA", "person", date_of_birth="1972-05-01"), "9701")
    # an OFAC entry and a UN entry with the same passport number
    namesake = Query("HWANG, Il Sung", "person", date_of_birth="1990-08-08")
    assert not alerts_on(lists_index, namesake, "703")
    hit = hit_for(lists_index, namesake, "703")
    assert hit is not None
    assert hit.explanation["features"]["date_of_birth"]["from"] == "UN KPi.902 (same party: same document number)"
    assert alerts_on(lists_index, Query("HWANG, Il Sung", "person", date_of_birth="1961-04-15"), "703")


def test_an_entry_without_a_birth_date_and_no_sure_counterpart_still_alerts_on_its_exact_name(
    lists_index: MatchIndex,
) -> None:
    # no counterpart at all
    query = Query("Farhad KOOHESTANIFAR", "person", date_of_birth="1935-06-25", country="ZA")
    assert alerts_on(lists_index, query, "9702")
    # the name is on two OFAC entries: no link, so no date is borrowed from either
    query = Query("Reza NAVIDIFAR", "person", date_of_birth="2001-01-05")
    assert alerts_on(lists_index, query, "9703")
    hit = hit_for(lists_index, query, "9703")
    assert hit is not None and hit.explanation["features"]["date_of_birth"]["result"] == "unknown"
