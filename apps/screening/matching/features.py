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
    has_cjk,
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

# Adjustments of the non-name features (added to the name similarity).
DOB_EXACT = 0.05
DOB_PARTIAL_AGREE = 0.02
DOB_NEAR = -0.03  # year off by one: a common data-entry slip
DOB_CONFLICT = -0.15
# A conflicting date weighs more against a common name (ZHANG Lei, Mohammed ALI): such a
# name matches many people, so without corroboration it says little. Scaled by how common
# the list name's words are (see distinctiveness()).
DOB_CONFLICT_COMMON_EXTRA = -0.1
COUNTRY_AGREE = 0.02
COUNTRY_CONFLICT = -0.05
TYPE_CONFLICT = -0.25
TYPE_MINOR_CONFLICT = -0.1
PHONETIC_BONUS = 0.03


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
    return PreparedName(
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
        return 0.6 if a[0] == b[0] else 0.0
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
    for i in range(nq):
        if i not in used_q:
            unmatched_weight += qw[i] * (MIDDLE_DISCOUNT if _is_middle(i, nq, q) else 1.0)
    for j in range(nc):
        if j not in used_c:
            unmatched_weight += cw[j] * (MIDDLE_DISCOUNT if _is_middle(j, nc, c) else 1.0)
    total = matched_weight + unmatched_weight
    score = matched_value / total if total > 0 else 0.0
    if not explain:
        return score, {}
    matched = [
        {
            "query": " ".join(qt[i] for i in qi),
            "list": " ".join(ct[j] for j in cj),
            "similarity": round(s, 3),
        }
        for qi, cj, s in pairs
    ]
    return score, {
        "matched": matched,
        "unmatched_query": [qt[i] for i in range(nq) if i not in used_q],
        "unmatched_list": [ct[j] for j in range(nc) if j not in used_c],
    }


def phonetic_agreement(q: PreparedName, c: PreparedName) -> float:
    """Share of the significant tokens, on both sides, whose phonetic key the other side has."""
    qk, ck = q.sig_keys, c.sig_keys
    if not qk or not ck:
        return 0.0
    common = len(qk & ck)
    return min(common / len(qk), common / len(ck))


def _date_relation(q: tuple[int, int | None, int | None], c: tuple[int, int | None, int | None]) -> str:
    if q[0] != c[0]:
        return "near" if abs(q[0] - c[0]) == 1 else "conflict"
    if q[1] is None or c[1] is None:
        return "partial"
    if q[1] != c[1]:
        # day and month swapped (05/03 vs 03/05) is a data-entry slip, not another person
        if q[2] is not None and c[2] is not None and q[1] == c[2] and q[2] == c[1]:
            return "partial"
        return "near"
    if q[2] is None or c[2] is None:
        return "partial"
    return "exact" if q[2] == c[2] else "near"


_DOB_ORDER = {"exact": 4, "partial": 3, "near": 2, "conflict": 1}
_DOB_ADJUST = {"exact": DOB_EXACT, "partial": DOB_PARTIAL_AGREE, "near": DOB_NEAR, "conflict": DOB_CONFLICT}


def date_of_birth_feature(
    query_dob: str | None,
    list_dobs: list[str],
    *,
    parsed: list[tuple[int, int | None, int | None]] | None = None,
    distinctiveness: float = 1.0,
) -> tuple[float, dict[str, Any]]:
    """Agreement (exact or to the shared precision) or conflict of dates of birth.

    ``distinctiveness`` (0..1, mean rarity of the list name's words) makes a conflict
    weigh more against a common name.
    """
    values: dict[str, Any] = {"query": query_dob or None, "list": list(list_dobs)}
    q = parse_partial_date(query_dob) if query_dob else None
    if parsed is None:
        parsed = [p for p in (parse_partial_date(d) for d in list_dobs) if p is not None]
    if q is None or not parsed:
        values["result"] = "unknown"
        return 0.0, values
    best = max((_date_relation(q, c) for c in parsed), key=_DOB_ORDER.__getitem__)
    values["result"] = best
    if best == "conflict":
        values["name_distinctiveness"] = round(distinctiveness, 3)
        return DOB_CONFLICT + DOB_CONFLICT_COMMON_EXTRA * (1.0 - distinctiveness), values
    return _DOB_ADJUST[best], values


def country_feature(
    query_country: str | None, nationalities: list[str], countries: list[str]
) -> tuple[float, dict[str, Any]]:
    """Nationality agreement; conflict only when the list gives nationalities and none fit."""
    values: dict[str, Any] = {
        "query": query_country,
        "list_nationalities": list(nationalities),
        "list_countries": list(countries),
    }
    if not query_country or not (nationalities or countries):
        values["result"] = "unknown"
        return 0.0, values
    if query_country in nationalities or query_country in countries:
        values["result"] = "agree"
        return COUNTRY_AGREE, values
    if nationalities:
        values["result"] = "conflict"
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
