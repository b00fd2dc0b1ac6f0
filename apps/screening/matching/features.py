"""Scoring features. Each returns its contribution to the score and the values behind it.

Pure functions, no I/O. The final score of a hit is the name similarity plus the
(small, signed) adjustments of the other features, clipped to 0..1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA

from .normalize import (
    GENERIC,
    INITIAL,
    KIND_NAMES,
    LEGAL,
    LEGAL_FAMILY,
    NORMAL,
    PARTICLE,
    TITLE,
    arabic_tokens,
    has_arabic,
    has_cjk,
    latin_skeleton,
    parse_partial_date,
    phonetic_key,
    prepare_tokens,
)

# Token weights by kind (normal tokens are additionally weighted by rarity in the index).
KIND_WEIGHT = {NORMAL: 1.0, PARTICLE: 0.25, LEGAL: 0.15, TITLE: 0.02, INITIAL: 0.5, GENERIC: 0.3}
# An unmatched middle name (not first, not last) costs this share of its weight: lists
# carry full patronymics and middle names that customers often leave out.
MIDDLE_DISCOUNT = 0.5
MIN_TOKEN_SIMILARITY = 0.7
PHONETIC_EQUAL_FLOOR = 0.85
JOIN_MIN_SIMILARITY = 0.85
# An initial agreeing with a name's first letter (J. ~ JOHN): it carries only an initial's
# weight, so a name of initials alone stays weak, but with a surname it should find the party.
INITIAL_SIMILARITY = 0.85

# Adjustments of the non-name features (added to the name similarity).
DOB_EXACT = 0.05
DOB_PARTIAL_AGREE = 0.02
DOB_NEAR = -0.03  # year off by one: a common data-entry slip
# A conflict is graded by how far apart the dates are (years, after a year-only list date is
# given one year's tolerance): (up to N years, adjustment), then DOB_CONFLICT_FAR beyond.
DOB_CONFLICT_STEPS: tuple[tuple[int, float], ...] = ((2, -0.08), (5, -0.15), (10, -0.25))
DOB_CONFLICT_FAR = -0.35
# A conflicting date weighs more against a common name (ZHANG Lei, Mohammed ALI): such a
# name matches many people, so without corroboration it says little. Scaled by how common
# the list name's words are (see distinctiveness()).
DOB_CONFLICT_COMMON_EXTRA = -0.1
COUNTRY_AGREE = 0.02
COUNTRY_CONFLICT = -0.05
# Birth dates years apart AND another nationality: two independent signs of another person.
DOB_AND_COUNTRY_CONFLICT = -0.05
TYPE_CONFLICT = -0.25
TYPE_MINOR_CONFLICT = -0.1
PHONETIC_BONUS = 0.03
# An Arabic-script word and a Latin spelling with the same consonant skeleton (محفوظ ~ MAHFOUZ), or
# one letter apart: unvocalised Arabic cannot say more than that, so it counts as a close spelling.
SKELETON_SIMILARITY = 0.95
SKELETON_SHORT = 0.85  # a skeleton of one or two letters (ALI, OMAR) says less
SKELETON_NEAR = 0.75
# The list name's most distinctive word replaced by another word: cost per unit of its rarity.
SWAP_PENALTY = -0.15
SWAP_MAX_SIMILARITY = 0.5


@dataclass(slots=True)
class PreparedName:
    """A name reduced to weighted tokens, ready for comparison."""

    text: str
    tokens: tuple[str, ...]
    kinds: tuple[int, ...]
    weights: tuple[float, ...]
    keys: tuple[str, ...]
    is_person: bool | None
    # Tokens transliterated from CJK syllables: romanisation is deterministic, so only
    # exact syllables (or joined syllables) match, never "typos" of them.
    strict: bool = False
    sig_keys: frozenset[str] = frozenset()  # phonetic keys of the name/initial tokens
    positions: dict[str, list[int]] | None = None  # token -> indexes, computed on first use (queries)
    # Arabic-script names: each token's consonant skeleton, compared with Latin spellings' skeletons
    skels: tuple[str, ...] | None = None


def prepare_name(
    text: str,
    *,
    is_person: bool | None,
    rarity: dict[str, float] | None = None,
    tokens: list[str] | None = None,
    kinds: list[int] | None = None,
) -> PreparedName:
    """Normalise ``text`` and weight its tokens (``rarity``: token -> 0..1 from the index).

    ``tokens``/``kinds`` may be passed when :func:`prepare_tokens` already ran on ``text``.
    """
    if tokens is None or kinds is None:
        tokens, kinds = prepare_tokens(text, is_person=is_person)
    weights = []
    for tok, kind in zip(tokens, kinds, strict=True):
        w = KIND_WEIGHT[kind]
        if kind == NORMAL and rarity is not None:
            w *= rarity.get(tok, 1.0)
        weights.append(w)
    keys = tuple(phonetic_key(t) for t in tokens)
    skels = None
    if has_arabic(text):
        ar = arabic_tokens(text)
        if [t for t, _, _ in ar] == list(tokens):
            skels = tuple(sk for _, sk, _ in ar)
    return PreparedName(
        skels=skels,
        text=text,
        tokens=tuple(tokens),
        kinds=tuple(kinds),
        weights=tuple(weights),
        keys=keys,
        is_person=is_person,
        strict=has_cjk(text),
        sig_keys=frozenset(k for k, kind in zip(keys, kinds, strict=True) if kind in (NORMAL, INITIAL)),
    )


def token_similarity(a: str, b: str, ka: str, kb: str, kind_a: int, kind_b: int) -> float:
    """Similarity of two normalised tokens in 0..1 (0 below a floor: unrelated words)."""
    if a == b:
        return 1.0
    if kind_a == LEGAL or kind_b == LEGAL:
        if kind_a == LEGAL and kind_b == LEGAL:
            fa, fb = LEGAL_FAMILY.get(a), LEGAL_FAMILY.get(b)
            return 0.8 if fa is not None and fa == fb else 0.0
        return 0.0
    if len(a) == 1 or len(b) == 1:  # an initial stands for any name with that letter
        return INITIAL_SIMILARITY if a[0] == b[0] else 0.0
    if a.isdigit() or b.isdigit():
        return 0.0
    sim = OSA.normalized_similarity(a, b)
    if ka == kb and len(ka) >= 2:
        sim = max(sim, PHONETIC_EQUAL_FLOOR)
    return sim if sim >= MIN_TOKEN_SIMILARITY else 0.0


def _is_middle(index: int, size: int, name: PreparedName) -> bool:
    # CJK syllables are not middle names; organisations have no middle names
    return name.is_person is not False and not name.strict and size >= 3 and 0 < index < size - 1


def name_similarity(
    q: PreparedName,
    c: PreparedName,
    *,
    explain: bool = True,
    cache: dict[tuple[str, str], float] | None = None,
) -> tuple[float, dict[str, Any]]:
    """Align tokens (any order, typos, initials, joined/split tokens) and score coverage.

    The score is the weighted share of both names' tokens that found a partner, each
    match counted at its token similarity; an unmatched middle name counts half.
    ``explain=False`` skips building the alignment description (the hot path);
    ``cache`` memoises token similarities across the candidates of one query.
    """
    nq, nc = len(q.tokens), len(c.tokens)
    if nq == 0 or nc == 0:
        return 0.0, {"matched": [], "unmatched_query": list(q.tokens), "unmatched_list": list(c.tokens)}
    qt, ct, qk, ck, qw, cw = q.tokens, c.tokens, q.keys, c.keys, q.weights, c.weights
    qkinds, ckinds = q.kinds, c.kinds
    positions = q.positions
    if positions is None:
        positions = {}
        for i, tok in enumerate(qt):
            positions.setdefault(tok, []).append(i)
        q.positions = positions
    used_q: set[int] = set()
    used_c: set[int] = set()
    matched_value = 0.0
    matched_weight = 0.0
    pairs: list[tuple[tuple[int, ...], tuple[int, ...], float]] = []
    # 1. identical tokens pair up first (the greedy alignment would take them first anyway)
    for j in range(nc):
        found = positions.get(ct[j])
        if found:
            for i in found:
                if i not in used_q:
                    used_q.add(i)
                    used_c.add(j)
                    value = qw[i] + cw[j]
                    matched_value += value
                    matched_weight += value
                    pairs.append(((i,), (j,), 1.0))
                    break
    rest_q = [i for i in range(nq) if i not in used_q]
    rest_c = [j for j in range(nc) if j not in used_c]
    if rest_q and rest_c:
        # 2. the others: typos, spellings, initials, legal-form relatives, joined tokens
        strict = q.strict or c.strict
        entries: list[tuple[float, float, tuple[int, ...], tuple[int, ...]]] = []
        if not strict:
            for i in rest_q:
                a = qt[i]
                for j in rest_c:
                    b = ct[j]
                    if cache is not None:
                        s = cache.get((a, b), -1.0)
                        if s < 0.0:
                            s = cache[(a, b)] = token_similarity(a, b, qk[i], ck[j], qkinds[i], ckinds[j])
                    else:
                        s = token_similarity(a, b, qk[i], ck[j], qkinds[i], ckinds[j])
                    if s > 0.0:
                        entries.append((s * (qw[i] + cw[j]), s, (i,), (j,)))
            if (q.skels is None) != (c.skels is None):
                entries.extend(_skeleton_entries(q, c, rest_q, rest_c))
        # "alqaida" ~ "al qaida", "zedong" ~ "ze dong", in both directions
        join_min = 1.0 if strict else JOIN_MIN_SIMILARITY
        for j in rest_c:
            if j + 1 < nc and j + 1 not in used_c:
                joined = ct[j] + ct[j + 1]
                lj = len(joined)
                for i in rest_q:
                    la = len(qt[i])
                    if la >= 4 and -2 <= la - lj <= 2:
                        s = OSA.normalized_similarity(qt[i], joined, score_cutoff=join_min)
                        if s:
                            entries.append((s * (qw[i] + cw[j] + cw[j + 1]), s, (i,), (j, j + 1)))
        for i in rest_q:
            if i + 1 < nq and i + 1 not in used_q:
                joined = qt[i] + qt[i + 1]
                lj = len(joined)
                for j in rest_c:
                    lb = len(ct[j])
                    if lb >= 4 and -2 <= lb - lj <= 2:
                        s = OSA.normalized_similarity(ct[j], joined, score_cutoff=join_min)
                        if s:
                            entries.append((s * (qw[i] + qw[i + 1] + cw[j]), s, (i, i + 1), (j,)))
        # best similarity first: an exact joined pair beats a fuzzy single one
        entries.sort(key=lambda e: (-e[1], -e[0]))
        for value, s, qi, cj in entries:
            if len(used_q) == nq or len(used_c) == nc:
                break
            if any(i in used_q for i in qi) or any(j in used_c for j in cj):
                continue
            used_q.update(qi)
            used_c.update(cj)
            matched_value += value
            for i in qi:
                matched_weight += qw[i]
            for j in cj:
                matched_weight += cw[j]
            pairs.append((qi, cj, s))
    unmatched_weight = 0.0
    # Arabic script against a Latin spelling: the Latin AL/EL/BIN particles are the article and
    # particles the Arabic words carry (العزاوي is AL-AZZAWI), not words the other side lacks
    cross = (q.skels is None) != (c.skels is None)
    for i in range(nq):
        if i not in used_q and not (cross and qkinds[i] == PARTICLE):
            unmatched_weight += qw[i] * (MIDDLE_DISCOUNT if _is_middle(i, nq, q) else 1.0)
    for j in range(nc):
        if j not in used_c and not (cross and ckinds[j] == PARTICLE):
            unmatched_weight += cw[j] * (MIDDLE_DISCOUNT if _is_middle(j, nc, c) else 1.0)
    total = matched_weight + unmatched_weight
    score = matched_value / total if total > 0 else 0.0
    swap = _swapped_words(q, c, used_q, used_c)
    if not explain:
        return score, {"swap": swap} if swap else {}
    matched = [
        {
            "query": " ".join(qt[i] for i in qi),
            "list": " ".join(ct[j] for j in cj),
            "similarity": round(s, 3),
        }
        for qi, cj, s in pairs
    ]
    out: dict[str, Any] = {
        "matched": matched,
        "unmatched_query": [qt[i] for i in range(nq) if i not in used_q],
        "unmatched_list": [ct[j] for j in range(nc) if j not in used_c],
    }
    if swap:
        out["swap"] = swap
    return score, out


def _skeleton_entries(
    q: PreparedName, c: PreparedName, rest_q: list[int], rest_c: list[int]
) -> list[tuple[float, float, tuple[int, ...], tuple[int, ...]]]:
    """Arabic-script words against Latin spellings by consonant skeleton (one side Arabic):
    the same skeleton SKELETON_SIMILARITY, one letter apart (4+ letters) SKELETON_NEAR; two Arabic
    words against one Latin word (عبد الله ~ ABDULLAH) and the other way round."""
    ar, la, swap = (q, c, False) if q.skels is not None else (c, q, True)
    ar_rest, la_rest = (rest_q, rest_c) if not swap else (rest_c, rest_q)
    assert ar.skels is not None
    ask = ar.skels
    lsk = {j: latin_skeleton(la.tokens[j]) if la.kinds[j] in (NORMAL, GENERIC) else "" for j in la_rest}
    if len(ar.tokens) == 1 or len(la.tokens) == 1:
        lsk = {j: sk if len(sk) >= 2 else "" for j, sk in lsk.items()}
    out: list[tuple[float, float, tuple[int, ...], tuple[int, ...]]] = []
    aw, lw = ar.weights, la.weights
    for i in ar_rest:
        a = ask[i]
        if not a or ar.kinds[i] != NORMAL:
            continue
        for j in la_rest:
            b = lsk[j]
            if not b or (len(b) < 2 and la.kinds[j] != NORMAL):
                continue
            if a == b:
                s = SKELETON_SIMILARITY if len(a) >= 3 else SKELETON_SHORT
            elif min(len(a), len(b)) >= 4 and OSA.distance(a, b, score_cutoff=1) <= 1:
                s = SKELETON_NEAR
            else:
                continue
            pair: tuple[tuple[int, ...], tuple[int, ...]] = ((i,), (j,)) if not swap else ((j,), (i,))
            out.append((s * (aw[i] + lw[j]), s, pair[0], pair[1]))
        if i + 1 in ar_rest and len(ask[i + 1]) >= 1:
            joined = a + ask[i + 1]
            for j in la_rest:
                if lsk[j] == joined:
                    pair = ((i, i + 1), (j,)) if not swap else ((j,), (i, i + 1))
                    out.append((SKELETON_SIMILARITY * (aw[i] + aw[i + 1] + lw[j]), SKELETON_SIMILARITY, *pair))
    for j in la_rest:
        if j + 1 in lsk and lsk[j] and lsk[j + 1]:
            joined = lsk[j] + lsk[j + 1]
            for i in ar_rest:
                if ask[i] == joined and len(joined) >= 3:
                    pair = ((i,), (j, j + 1)) if not swap else ((j, j + 1), (i,))
                    out.append((SKELETON_SIMILARITY * (aw[i] + lw[j] + lw[j + 1]), SKELETON_SIMILARITY, *pair))
    return out


def _swapped_words(q: PreparedName, c: PreparedName, used_q: set[int], used_c: set[int]) -> dict[str, Any] | None:
    """A distinctive word of the list name replaced by another word in the query.

    Both sides keep an unmatched name word, unlike each other (not a typo), and the list's
    is at least as rare as every word the names share: the words in common are the generic
    part (ENTERPRISE, SCIENTIFIC, a shared surname) and the word that says which one differs.
    A word only dropped (a missing middle name) is not a swap.
    """
    uq = [i for i in range(len(q.tokens)) if i not in used_q and q.kinds[i] == NORMAL and len(q.tokens[i]) > 1]
    uc = [j for j in range(len(c.tokens)) if j not in used_c and c.kinds[j] == NORMAL and len(c.tokens[j]) > 1]
    if not uq or not uc:
        return None
    jc = max(uc, key=lambda j: c.weights[j])
    iq = max(uq, key=lambda i: q.weights[i])
    a, b = q.tokens[iq], c.tokens[jc]
    if OSA.normalized_similarity(a, b) >= SWAP_MAX_SIMILARITY or (a[0] == b[0] and q.keys[iq] == c.keys[jc]):
        return None  # a misspelling beyond the typo floor, not another word
    shared = [c.weights[j] for j in used_c if c.kinds[j] == NORMAL]
    if not shared or c.weights[jc] < max(shared) - 1e-9:
        return None
    weight = min(c.weights[jc], q.weights[iq])
    return {"query": a, "list": b, "weight": round(weight, 3)}


def phonetic_agreement(q: PreparedName, c: PreparedName) -> float:
    """Share of the significant tokens, on both sides, whose phonetic key the other side has."""
    qk, ck = q.sig_keys, c.sig_keys
    if not qk or not ck:
        return 0.0
    common = len(qk & ck)
    return min(common / len(qk), common / len(ck))


def date_relation(
    q: tuple[int, int | None, int | None], c: tuple[int, int | None, int | None]
) -> tuple[str, int]:
    """How two partial dates relate, and how many years apart they are (0 when the years agree).

    A list date given as a year only is often an estimate (``circa 1961``, a span of years, a
    year taken from an age), so its year counts one year closer.
    """
    years = abs(q[0] - c[0])
    if years:
        if c[1] is None or q[1] is None:
            years -= 1
        if years <= 1:
            return "near", years
        return "conflict", years
    if q[1] is None or c[1] is None:
        return "partial", 0
    if q[1] != c[1]:
        # day and month swapped (05/03 vs 03/05) is a data-entry slip, not another person
        if q[2] is not None and c[2] is not None and q[1] == c[2] and q[2] == c[1]:
            return "partial", 0
        return "near", 0
    if q[2] is None or c[2] is None:
        return "partial", 0
    return ("exact", 0) if q[2] == c[2] else ("near", 0)


_DOB_ORDER = {"exact": 4, "partial": 3, "near": 2, "conflict": 1}
_DOB_ADJUST = {"exact": DOB_EXACT, "partial": DOB_PARTIAL_AGREE, "near": DOB_NEAR}


def dob_conflict_weight(years: int) -> float:
    """The cost of birth dates ``years`` apart (2 or more; 0 and 1 are slips, see DOB_NEAR).

    Graded by size: on listed people whose date a record gets wrong, the year is off by one in
    nearly every case; two to five years is a doubtful estimate, a decade or more is another person.
    """
    for limit, weight in DOB_CONFLICT_STEPS:
        if years <= limit:
            return weight
    return DOB_CONFLICT_FAR


def _fmt_date(value: tuple[int, int | None, int | None]) -> str:
    year, month, day = value
    if month is None:
        return f"{year}"
    if day is None:
        return f"{year}-{month:02d}"
    return f"{year}-{month:02d}-{day:02d}"


def date_of_birth_feature(
    query_dob: str | None,
    list_dobs: list[str],
    *,
    parsed: list[tuple[int, int | None, int | None]] | None = None,
    distinctiveness: float = 1.0,
    sources: list[str] | None = None,
) -> tuple[float, dict[str, Any]]:
    """Agreement (exact or to the shared precision) or conflict of dates of birth, graded by size.

    The best of the list's dates counts (lists give several, or a span of years).
    ``distinctiveness`` (0..1, mean rarity of the list name's words) makes a conflict
    weigh more against a common name. ``sources`` (parallel to ``parsed``): the dates are the
    entry's counterparts' on other lists (see links.py), and the explanation names the one used.
    """
    values: dict[str, Any] = {"query": query_dob or None, "list": list(list_dobs)}
    q = parse_partial_date(query_dob) if query_dob else None
    if parsed is None:
        parsed = [p for p in (parse_partial_date(d) for d in list_dobs) if p is not None]
    if q is None or not parsed:
        values["result"] = "unknown"
        return 0.0, values
    relations = [(date_relation(q, c), c, n) for n, c in enumerate(parsed)]
    (best, years), closest, position = max(relations, key=lambda item: (_DOB_ORDER[item[0][0]], -item[0][1]))
    values["result"] = best
    values["years_apart"] = abs(q[0] - closest[0])
    source = ""
    if sources:
        values["from"] = sources[position]
        source = f"; date of birth from {sources[position]}"
    if best == "conflict":
        values["name_distinctiveness"] = round(distinctiveness, 3)
        apart = abs(q[0] - closest[0])
        values["note"] = (
            f"date of birth {_fmt_date(q)} vs {_fmt_date(closest)}: {apart} years apart"
            + (" (closest of the listed dates)" if len(parsed) > 1 else "")
            + source
        )
        return dob_conflict_weight(years) + DOB_CONFLICT_COMMON_EXTRA * (1.0 - distinctiveness), values
    if best == "near":
        values["note"] = (
            f"date of birth {_fmt_date(q)} vs {_fmt_date(closest)}: a slip (one year or day/month){source}"
        )
    elif best == "exact":
        values["note"] = f"date of birth {_fmt_date(q)} agrees{source}"
    elif source:
        values["note"] = f"date of birth {_fmt_date(q)} vs {_fmt_date(closest)}: agrees as far as known{source}"
    return _DOB_ADJUST[best], values


def country_feature(
    query_country: str | None,
    nationalities: list[str],
    countries: list[str],
    *,
    sources: dict[str, str] | None = None,
) -> tuple[float, dict[str, Any]]:
    """Nationality agreement; conflict only when the list gives nationalities and none fit.

    ``sources`` (nationality -> where it comes from): the nationalities are the entry's
    counterparts' on other lists (see links.py), and the explanation says so.
    """
    values: dict[str, Any] = {
        "query": query_country,
        "list_nationalities": list(nationalities),
        "list_countries": list(countries),
    }
    if sources:
        values["from"] = sorted(set(sources.values()))
    if not query_country or not (nationalities or countries):
        values["result"] = "unknown"
        return 0.0, values
    if query_country in nationalities or query_country in countries:
        values["result"] = "agree"
        if sources and query_country in sources:
            values["note"] = f"nationality {query_country} agrees; nationality from {sources[query_country]}"
        return COUNTRY_AGREE, values
    if nationalities:
        values["result"] = "conflict"
        where = f"; nationality from {' and '.join(values['from'])}" if sources else " on the list"
        values["note"] = f"nationality {query_country} vs {', '.join(nationalities)}{where}"
        return COUNTRY_CONFLICT, values
    values["result"] = "unknown"
    return 0.0, values


def entity_type_feature(query_type: str | None, list_schema: str) -> tuple[float, dict[str, Any]]:
    """Penalty when the query's entity type cannot be the listed entity's type."""
    values: dict[str, Any] = {"query": query_type or "unknown", "list": list_schema}
    if not query_type or query_type == "unknown" or query_type == list_schema:
        values["result"] = "compatible"
        return 0.0, values
    if query_type == "person" or list_schema == "person":
        values["result"] = "conflict"
        return TYPE_CONFLICT, values
    # organisation vs vessel/aircraft: related (owners, operators) but not the same thing
    values["result"] = "minor_conflict"
    return TYPE_MINOR_CONFLICT, values


def distinctiveness(name: PreparedName) -> float:
    """How much ``name`` singles someone out, 0..1: the mean of its words' rarity on the
    lists times their length (short words such as LI, KIM, ALI collide across people)."""
    values = [
        w * min(1.0, len(tok) / 6)
        for tok, w, kind in zip(name.tokens, name.weights, name.kinds, strict=True)
        if kind == NORMAL
    ]
    return sum(values) / len(values) if values else 1.0


def describe_tokens(name: PreparedName) -> list[dict[str, Any]]:
    """Tokens with their kind and weight, for the explanation."""
    return [
        {"token": t, "kind": KIND_NAMES[k], "weight": round(w, 3)}
        for t, k, w in zip(name.tokens, name.kinds, name.weights, strict=True)
    ]
