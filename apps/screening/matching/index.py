"""The screening index: candidate generation over all list names, then feature scoring.

Candidate generation (blocking) looks query tokens up in an inverted index, widened by
one-edit typos (a symmetric-delete index), phonetic keys and joined tokens, and ranks
names by the rarity-weighted share of the query they cover. Only the best candidates
are scored with the full features, so a query never compares against every list name.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz.distance import OSA

from .features import (
    COUNTRY_AGREE,
    DOB_AND_COUNTRY_CONFLICT,
    DOB_EXACT,
    PHONETIC_BONUS,
    SKELETON_SIMILARITY,
    SWAP_PENALTY,
    PreparedName,
    country_feature,
    date_of_birth_feature,
    describe_tokens,
    distinctiveness,
    entity_type_feature,
    name_similarity,
    phonetic_agreement,
    prepare_name,
)
from .links import Borrowed, borrowed_values, find_counterparts
from .normalize import (
    INITIAL,
    NORMAL,
    country_code,
    latin_skeleton,
    parse_partial_date,
    phonetic_key,
    prepare_tokens,
)
from .types import ListEntity

ALGORITHM_VERSION = "cdd-name-match/2.1"
DEFAULT_THRESHOLD = 0.80

ENTITY_TYPES = ("person", "organization", "vessel", "aircraft", "unknown")
# How much a list gives to each kind of name: weak aliases are nicknames and short forms.
# A weak alias (OFAC "weak AKA", UN "low quality" alias: a nickname, a kunya, a short form) says little on
# its own: OFAC's guidance expects a hit on one alone to weigh less, so it costs 0.1 (only a near-exact
# match alerts) and the explanation says the hit rests on a weak alias only.
NAME_KIND_ADJUST = {"primary": 0.0, "strong_alias": 0.0, "original_script": 0.0, "former": -0.02, "weak_alias": -0.10}
_NAME_KIND_NOTES = {
    "weak_alias": "hit only on a weak alias (a low-quality a.k.a. of the list): weighs less",
    "former": "hit on a former name",
}

_IDF_FULL = 6.0  # a token carried by ~1 in 400 entities or fewer counts fully
_MIN_RARITY = 0.35
_BIG_POSTINGS = 1000  # tokens this common only re-rank candidates found by rarer ones
_TOP_CANDIDATES = 100
_MIN_COVER = 0.3  # share of the query's weight a candidate must cover to be scored
_RELATIVE_CUT = 0.5  # candidates far behind the best one are not worth scoring
# The ranking estimate (query weight found / both names' weight) is about half the final name
# score; below this share of the threshold a candidate cannot plausibly alert.
_MIN_ESTIMATE_OF_THRESHOLD = 0.3
_MAX_KEY_EXPANSION = 8
_MAX_BONUS = DOB_EXACT + COUNTRY_AGREE  # the most the non-name features can add


def _is_person(entity_type: str | None) -> bool | None:
    if entity_type == "person":
        return True
    if entity_type in ("organization", "vessel", "aircraft"):
        return False
    return None


def _deletions(token: str) -> set[str]:
    return {token[:i] + token[i + 1 :] for i in range(len(token))}


@dataclass(slots=True)
class Query:
    """What is screened: a name plus whatever else the customer record says."""

    name: str
    entity_type: str | None = None
    date_of_birth: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, any case (names: resolve them first)


@dataclass(slots=True)
class Hit:
    """One listed entity that matched, with the list name that matched and why."""

    entity: ListEntity
    name: str
    score: float
    explanation: dict[str, Any]

    def as_contract(self) -> dict[str, Any]:
        """The hit as CONTRACT.md §2 prints it."""
        return {
            "list": self.entity.list,
            "list_entity_id": self.entity.source_id,
            "name": self.name,
            "score": self.score,
            "explanation": self.explanation,
        }


@dataclass(slots=True)
class ScreeningResult:
    decision: str  # "alert" | "clear"
    hits: list[Hit] = field(default_factory=list)


def _name_features(
    q: PreparedName,
    c: PreparedName,
    *,
    explain: bool = True,
    cache: dict[tuple[str, str], float] | None = None,
) -> tuple[float, dict[str, Any]]:
    """Name similarity and phonetic agreement: the part of a score that only needs names."""
    name_score, alignment = name_similarity(q, c, explain=explain, cache=cache)
    phon_share = phonetic_agreement(q, c)
    strict = q.strict or c.strict
    phon = PHONETIC_BONUS if not strict and phon_share >= 1.0 and name_score < 0.999 else 0.0
    swap = alignment.get("swap")
    swap_adj = SWAP_PENALTY * swap["weight"] if swap else 0.0
    if not explain:
        return name_score + phon + swap_adj, {}
    features: dict[str, Any] = {
        "name_similarity": {
            "contribution": round(name_score, 4),
            "value": round(name_score, 4),
            "query_tokens": describe_tokens(q),
            "list_tokens": describe_tokens(c),
            **alignment,
        },
        "phonetic": {
            "contribution": phon,
            "value": round(phon_share, 4),
            "query_keys": sorted(q.sig_keys),
            "list_keys": sorted(c.sig_keys),
        },
    }
    if swap:
        features["distinctive_word"] = {
            "contribution": round(swap_adj, 4),
            **swap,
            "note": f"the list name's distinctive word {swap['list'].upper()} is {swap['query'].upper()} in the query; "
            "only more common words are shared",
        }
    return name_score + phon + swap_adj, features


def _entity_features(
    query: Query,
    country: str | None,
    entity: ListEntity,
    dobs: list[tuple[int, int | None, int | None]] | None = None,
    name_distinctiveness: float = 1.0,
    borrowed: Borrowed | None = None,
) -> tuple[float, dict[str, Any]]:
    """Date of birth, country and entity type: the part of a score that needs the entity.

    ``borrowed``: an entry lacking a date of birth or a nationality is weighed with its
    counterparts' on other lists (links.py), named in the explanation.
    """
    if borrowed is not None and borrowed.parsed and not dobs:
        dob_adj, dob_values = date_of_birth_feature(
            query.date_of_birth, borrowed.birth_dates, parsed=borrowed.parsed,
            distinctiveness=name_distinctiveness, sources=borrowed.dob_sources,
        )
    else:
        dob_adj, dob_values = date_of_birth_feature(
            query.date_of_birth, entity.birth_dates, parsed=dobs, distinctiveness=name_distinctiveness
        )
    if borrowed is not None and borrowed.nationalities and not entity.nationalities:
        cty_adj, cty_values = country_feature(
            country, borrowed.nationalities, entity.countries, sources=borrowed.nationality_sources
        )
    else:
        cty_adj, cty_values = country_feature(country, entity.nationalities, entity.countries)
    typ_adj, typ_values = entity_type_feature(query.entity_type, entity.schema)
    features: dict[str, Any] = {
        "date_of_birth": {"contribution": dob_adj, **dob_values},
        "country": {"contribution": cty_adj, **cty_values},
        "entity_type": {"contribution": typ_adj, **typ_values},
    }
    both = 0.0
    if dob_values.get("result") == "conflict" and dob_values.get("years_apart", 0) > 2 \
            and cty_values.get("result") == "conflict":
        both = DOB_AND_COUNTRY_CONFLICT
        features["dob_and_country"] = {
            "contribution": both,
            "note": "birth date years apart and another nationality: two signs of another person",
        }
    return dob_adj + cty_adj + typ_adj + both, features


def _clip(value: float) -> float:
    return round(min(1.0, max(0.0, value)), 4)


class MatchIndex:
    """All names of a set of list entities, indexed for fast candidate generation."""

    def __init__(self) -> None:
        self.entities: list[ListEntity] = []
        self.names: list[PreparedName] = []
        self.name_entity: list[int] = []
        self.name_kind: list[str] = []
        self.name_tokens: list[frozenset[str]] = []
        self.name_group: list[int] = []  # names with identical tokens share one name score
        self.name_weight: list[float] = []
        self.postings: dict[str, list[int]] = {}
        self.join_postings: dict[str, list[int]] = {}
        self.deletes: dict[str, list[str]] = {}
        self.by_key: dict[str, list[str]] = {}
        self.skeletons: dict[str, list[str]] = {}  # Latin consonant skeleton -> tokens (Arabic-script queries)
        self.rarity: dict[str, float] = {}
        self.entity_dobs: list[list[tuple[int, int | None, int | None]]] = []
        self._expansions: dict[str, dict[str, float]] = {}
        self.groups: dict[tuple[Any, ...], int] = {}  # kept after the build, for ``add``
        self.entity_index: dict[str, list[int]] = {}  # entity key -> its positions (``remove``)
        self.removed: set[int] = set()  # positions of removed entities, skipped by every search
        # entity position -> {counterpart position: how linked}, and what an entry lacking a date of
        # birth or a nationality takes from them (links.py; computed by the build, not by ``add``)
        self.counterparts: dict[int, dict[int, str]] = {}
        self.borrowed: dict[int, Borrowed] = {}

    # --- build ---------------------------------------------------------------------------
    @classmethod
    def build(cls, entities: Iterable[ListEntity]) -> MatchIndex:
        """Index every name (primary, aliases, original script) of ``entities``."""
        # The build allocates ~1M small objects that all live on: the cyclic garbage
        # collector would rescan them again and again (a third of the build time).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._build(entities)
        finally:
            if gc_was_enabled:
                gc.enable()

    @classmethod
    def _build(cls, entities: Iterable[ListEntity]) -> MatchIndex:
        self = cls()
        raw: list[tuple[int, str, str, bool, list[str], list[int]]] = []
        entity_df: dict[str, int] = defaultdict(int)
        for entity in entities:
            e_idx = len(self.entities)
            self.entities.append(entity)
            self.entity_index.setdefault(entity.key, []).append(e_idx)
            self.entity_dobs.append([p for p in (parse_partial_date(d) for d in entity.birth_dates) if p is not None])
            is_person = entity.schema == "person"
            seen_text: set[str] = set()
            entity_tokens: set[str] = set()
            for name in entity.names:
                if not name.value or name.value in seen_text:
                    continue
                seen_text.add(name.value)
                tokens, kinds = prepare_tokens(name.value, is_person=is_person)
                raw.append((e_idx, name.value, name.kind, is_person, tokens, kinds))
                entity_tokens.update(tokens)
            for tok in entity_tokens:
                entity_df[tok] += 1
        n_entities = max(1, len(self.entities))
        log_n = math.log(n_entities)
        self.rarity = {
            tok: min(1.0, max(_MIN_RARITY, (log_n - math.log(df)) / _IDF_FULL)) for tok, df in entity_df.items()
        }
        for e_idx, text, kind, is_person, tokens, kinds in raw:
            if tokens:
                self._name_append(e_idx, text, kind, is_person, tokens, kinds, new_token=None)
        deletes: dict[str, list[str]] = defaultdict(list)
        by_key: dict[str, list[str]] = defaultdict(list)
        for tok in self.postings:
            if len(tok) >= 4 and not tok.isdigit():
                for d in _deletions(tok):
                    deletes[d].append(tok)
            key = phonetic_key(tok)
            if len(key) >= 3:
                by_key[key].append(tok)
        self.deletes = dict(deletes)
        self.by_key = dict(by_key)
        skeletons: dict[str, list[str]] = defaultdict(list)
        for tok in self.postings:
            skel = latin_skeleton(tok)
            if len(skel) >= 2:
                skeletons[skel].append(tok)
        self.skeletons = dict(skeletons)
        self.counterparts = find_counterparts(
            self.entities, self.entity_dobs, self.names, self.name_entity, self.name_kind
        )
        self.borrowed = borrowed_values(self.entities, self.entity_dobs, self.counterparts)
        return self

    def _name_append(self, e_idx: int, text: str, kind: str, is_person: bool, tokens: list[str], kinds: list[int],
                     *, new_token: Callable[[str], None] | None) -> None:
        """Index one name of entity ``e_idx`` (``new_token``: called for a token the index did not have)."""
        prepared = prepare_name(text, is_person=is_person, rarity=self.rarity, tokens=tokens, kinds=kinds)
        group_key = (prepared.tokens, prepared.kinds, is_person, prepared.strict)
        self.name_group.append(self.groups.setdefault(group_key, len(self.groups)))
        self.name_weight.append(sum(prepared.weights))
        n_idx = len(self.names)
        self.names.append(prepared)
        self.name_entity.append(e_idx)
        self.name_kind.append(kind)
        token_set = frozenset(prepared.tokens)
        self.name_tokens.append(token_set)
        postings = self.postings
        for tok in token_set:
            posting = postings.get(tok)
            if posting is None:
                posting = postings[tok] = []
                if new_token is not None:
                    new_token(tok)
            posting.append(n_idx)
        toks = prepared.tokens
        for j in range(len(toks) - 1):
            self.join_postings.setdefault(toks[j] + toks[j + 1], []).append(n_idx)

    def __len__(self) -> int:
        return len(self.entities) - len(self.removed)

    # --- incremental changes (the customer-side index of the book) -----------------------
    # A built index takes additions and removals one entity at a time, so a worker keeps it in step with the
    # writes instead of rebuilding it. Token rarity stays as the last full build computed it (a new token counts
    # as fully rare): the offline rebuild recomputes it. A removed entity stays in the arrays, marked removed.

    def add(self, entity: ListEntity) -> None:
        """Index one more entity (a new subject, or the new state of a changed one after ``remove``)."""
        e_idx = len(self.entities)
        self.entities.append(entity)
        self.entity_dobs.append([p for p in (parse_partial_date(d) for d in entity.birth_dates) if p is not None])
        self.entity_index.setdefault(entity.key, []).append(e_idx)
        is_person = entity.schema == "person"
        seen_text: set[str] = set()
        for name in entity.names:
            if not name.value or name.value in seen_text:
                continue
            seen_text.add(name.value)
            tokens, kinds = prepare_tokens(name.value, is_person=is_person)
            if tokens:
                self._name_append(e_idx, name.value, name.kind, is_person, tokens, kinds, new_token=self._token_add)
        self._expansions.clear()  # a cached expansion may now miss the new tokens

    def _token_add(self, tok: str) -> None:
        if len(tok) >= 4 and not tok.isdigit():
            for d in _deletions(tok):
                self.deletes.setdefault(d, []).append(tok)
        key = phonetic_key(tok)
        if len(key) >= 3:
            self.by_key.setdefault(key, []).append(tok)
        skel = latin_skeleton(tok)
        if len(skel) >= 2:
            self.skeletons.setdefault(skel, []).append(tok)

    def remove(self, key: str) -> int:
        """Stop finding the entity with ``key`` (``list:source_id``); how many entries were marked removed."""
        marked = 0
        for e_idx in self.entity_index.pop(key, []):
            if e_idx not in self.removed:
                self.removed.add(e_idx)
                marked += 1
        return marked

    # --- candidate generation ----------------------------------------------------------
    def _expand(self, tok: str) -> dict[str, float]:
        """Index tokens that ``tok`` may stand for: itself, one-edit typos, same sound."""
        cached = self._expansions.get(tok)
        if cached is not None:
            return cached
        out: dict[str, float] = {}
        if tok in self.postings:
            out[tok] = 1.0
        if len(tok) == 3 and not tok.isdigit():
            # a letter missing from a short word ("sma" for "sama")
            for v in self.deletes.get(tok, ()):
                s = OSA.normalized_similarity(tok, v)
                if s >= 0.7:
                    out.setdefault(v, s)
        elif len(tok) >= 4 and not tok.isdigit():
            near: set[str] = set(self.deletes.get(tok, ()))
            for d in _deletions(tok):
                if d in self.postings:
                    near.add(d)
                near.update(self.deletes.get(d, ()))
            for v in near:
                if v not in out:
                    s = OSA.normalized_similarity(tok, v)
                    if s >= 0.7:
                        out[v] = s
        key = phonetic_key(tok)
        if len(key) >= 3:
            # same sound, spelt differently (Mohammed/Muhammad): the closest spellings only
            sounds = [(OSA.normalized_similarity(tok, v), v) for v in self.by_key.get(key, ()) if v not in out]
            sounds.sort(reverse=True)
            for sim, v in sounds[:_MAX_KEY_EXPANSION]:
                if sim >= 0.5:
                    out[v] = max(sim, 0.85)
        if len(self._expansions) < 200_000:
            self._expansions[tok] = out
        return out

    def candidates(self, q: PreparedName, *, threshold: float = DEFAULT_THRESHOLD,
                   top: int = _TOP_CANDIDATES) -> list[int]:
        """Ids of the list names worth scoring against ``q``, best first (at most ``top``)."""
        terms = [
            (i, tok, w)
            for i, (tok, kind, w) in enumerate(zip(q.tokens, q.kinds, q.weights, strict=True))
            if kind in (NORMAL, INITIAL)
        ]
        if not terms:  # a name made only of particles/legal forms/initials
            terms = [(i, tok, w) for i, (tok, w) in enumerate(zip(q.tokens, q.weights, strict=True))]
        acc: dict[int, float] = defaultdict(float)
        big: list[tuple[float, dict[str, float]]] = []
        postings = self.postings
        total = sum(q.weights) or 1.0
        expanded = []
        for i, tok, w in terms:
            exp = {tok: 1.0} if q.strict and tok in postings else ({} if q.strict else self._expand(tok))
            if q.skels is not None and len(q.skels[i]) >= 2:
                # an Arabic-script word also stands for the Latin spellings with its consonant skeleton
                exp = {**dict.fromkeys(self.skeletons.get(q.skels[i], ()), SKELETON_SIMILARITY), **exp}
            expanded.append((sum(len(postings[v]) for v in exp), w, exp))
        # The most common terms only re-rank while their summed weight stays below the
        # coverage floor: a name that has none of the rarer terms cannot reach the floor.
        expanded.sort(key=lambda item: -item[0])
        rerank_weight = 0.0
        generators = []
        for size, w, exp in expanded:
            if size > _BIG_POSTINGS or rerank_weight + w < _MIN_COVER * total:
                if size > 0:
                    big.append((w, exp))
                    rerank_weight += w
            else:
                generators.append((w, exp))
        for w, exp in generators:
            if len(exp) == 1:
                for v, s in exp.items():
                    ws = w * s
                    for nid in postings[v]:
                        acc[nid] += ws
                continue
            local: dict[int, float] = {}
            for v, s in sorted(exp.items(), key=lambda item: -item[1]):
                for nid in postings[v]:
                    if nid not in local:
                        local[nid] = s
            for nid, s in local.items():
                acc[nid] += w * s
        # joined tokens: "alqaida" finds "al qaida"; "ze dong" finds "zedong"
        toks = q.tokens
        for i, tok in enumerate(toks):
            for nid in self.join_postings.get(tok, ()):
                acc[nid] += q.weights[i]
            if i + 1 < len(toks) and not q.strict:
                # "abd allah" finds "abdullah": the joined pair, typos and spellings included
                pair_weight = q.weights[i] + q.weights[i + 1]
                exp = self._expand(tok + toks[i + 1])
                if sum(len(postings[v]) for v in exp) > _BIG_POSTINGS:
                    big.append((pair_weight, exp))
                    continue
                for v, s in exp.items():
                    for nid in postings[v]:
                        acc[nid] += pair_weight * s
            elif i + 1 < len(toks):
                for nid in postings.get(tok + toks[i + 1], ()):
                    acc[nid] += q.weights[i] + q.weights[i + 1]
        floor = _MIN_COVER * total
        if big and not generators:
            # only common tokens (whatever joined pairs and their typos proposed): let the rarest of them
            # generate too, bounded, so the right name is among what gets scored
            big.sort(key=lambda item: sum(len(postings[v]) for v in item[1]))
            w, exp = big.pop(0)
            found: dict[int, float] = {}
            for v, s in exp.items():
                for nid in postings[v]:
                    found[nid] = max(found.get(nid, 0.0), w * s)
            for nid, value in found.items():
                acc[nid] += value  # on top of what joined pairs gave it
        for w, exp in big:
            for nid in acc:
                best = 0.0
                for v in self.name_tokens[nid]:
                    s = exp.get(v, 0.0)
                    if s > best:
                        best = s
                acc[nid] += w * best
        if not acc:
            return []
        weight = self.name_weight
        # rank by an estimate of the final coverage score, so short exact names beat
        # long names that merely contain the query's words
        ranked = heapq.nlargest(
            top,
            ((nid, value / (total + weight[nid])) for nid, value in acc.items() if value >= floor),
            key=lambda item: item[1],
        )
        if not ranked:
            return []
        cut = max(ranked[0][1] * _RELATIVE_CUT, _MIN_ESTIMATE_OF_THRESHOLD * threshold)
        return [nid for nid, estimate in ranked if estimate >= cut]

    def candidate_entities(self, query: Query, *, threshold: float = DEFAULT_THRESHOLD) -> list[ListEntity]:
        """The listed entities candidate generation proposes for ``query``, best first."""
        q = prepare_name(query.name, is_person=_is_person(query.entity_type), rarity=self.rarity)
        seen: dict[int, None] = {}
        for nid in self.candidates(q, threshold=threshold):
            seen.setdefault(self.name_entity[nid], None)
        return [self.entities[e_idx] for e_idx in seen if e_idx not in self.removed]

    # --- search ------------------------------------------------------------------------
    def search(self, query: Query, *, threshold: float = DEFAULT_THRESHOLD, limit: int | None = 25,
               top: int = _TOP_CANDIDATES) -> list[Hit]:
        """Hits scoring at least ``threshold``, best first, one per listed entity (``top``: names scored)."""
        q = prepare_name(query.name, is_person=_is_person(query.entity_type), rarity=self.rarity)
        if not q.tokens:
            return []
        country = country_code(query.country) if query.country else None
        name_cache: dict[int, float] = {}
        token_cache: dict[tuple[str, str], float] = {}
        best: dict[int, tuple[float, int]] = {}
        removed = self.removed
        for nid in self.candidates(q, threshold=threshold, top=top):
            group = self.name_group[nid]
            name_part = name_cache.get(group)
            if name_part is None:
                name_part = name_cache[group] = _name_features(q, self.names[nid], explain=False, cache=token_cache)[0]
            name_part += NAME_KIND_ADJUST.get(self.name_kind[nid], 0.0)
            if name_part + _MAX_BONUS < threshold:
                continue  # the other features cannot lift it to the threshold
            e_idx = self.name_entity[nid]
            if removed and e_idx in removed:
                continue
            current = best.get(e_idx)
            if current is not None and current[0] >= name_part:
                continue
            best[e_idx] = (name_part, nid)
        hits = []
        for e_idx, (name_part, nid) in best.items():
            entity = self.entities[e_idx]
            entity_part, entity_feats = _entity_features(
                query, country, entity, self.entity_dobs[e_idx], distinctiveness(self.names[nid]),
                self.borrowed.get(e_idx),
            )
            score = _clip(name_part + entity_part)
            if score < threshold:
                continue
            kind = self.name_kind[nid]
            _, name_feats = _name_features(q, self.names[nid], explain=True)
            name_kind: dict[str, Any] = {"contribution": NAME_KIND_ADJUST.get(kind, 0.0), "value": kind}
            if kind in _NAME_KIND_NOTES:
                name_kind["note"] = _NAME_KIND_NOTES[kind]
            features = {**name_feats, "name_kind": name_kind, **entity_feats}
            explanation: dict[str, Any] = {
                "algorithm": ALGORITHM_VERSION,
                "threshold": threshold,
                "score": score,
                "features": features,
                # what the analyst should read first: every feature's finding, in words
                "notes": [f["note"] for f in features.values() if isinstance(f, dict) and f.get("note")],
            }
            if kind == "weak_alias":
                explanation["weak_alias_only"] = True
            hits.append(Hit(entity=entity, name=self.names[nid].text, score=score, explanation=explanation))
        hits.sort(key=lambda h: (-h.score, h.entity.list, h.entity.source_id))
        return hits if limit is None else hits[:limit]

    def screen(self, query: Query, *, threshold: float = DEFAULT_THRESHOLD, limit: int | None = 25) -> ScreeningResult:
        """Decision plus hits for one query."""
        hits = self.search(query, threshold=threshold, limit=limit)
        return ScreeningResult(decision="alert" if hits else "clear", hits=hits)


SCHEMA_TO_TYPE = {
    "Person": "person",
    "Company": "organization",
    "Organization": "organization",
    "LegalEntity": None,
    "Vessel": "vessel",
    "Airplane": "aircraft",
}


def compare_names(
    name1: str, name2: str, *, schema: str | None = None, rarity: dict[str, float] | None = None
) -> tuple[float, dict[str, Any]]:
    """Similarity of two names of the same (followthemoney) schema, with its explanation."""
    is_person = _is_person(SCHEMA_TO_TYPE.get(schema or ""))
    a = prepare_name(name1, is_person=is_person, rarity=rarity)
    b = prepare_name(name2, is_person=is_person, rarity=rarity)
    value, features = _name_features(a, b)
    score = _clip(value)
    return score, {"algorithm": ALGORITHM_VERSION, "score": score, "schema": schema, "features": features}


def validate_partial_date(value: str) -> bool:
    """True for ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` with a plausible month and day."""
    return parse_partial_date(value) is not None
