"""Find anyone: customers by any word of any of their names or their parties' names, by reference, by id.

A selector (reads only, never a Scan): each query word is looked up under itself and its
one-character deletions in the name-token index (``customer_name_tokens``, see models.py and
``search_keys``), the external reference under its own key, and a customer id with one GetItem.
Hits are ranked — every query word matched first, then more exact words before typos, then a
customer's own names before its parties', then by name — and capped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from apps.core.errors import ValidationFailed
from apps.customers.errors import CustomerNotFound
from apps.customers.models import CUSTOMER_PREFIX, Customer, NameToken
from apps.customers.name_index import CUSTOMER_SUBJECT, FIELD_LABELS
from apps.customers.search_keys import TYPO_MIN_LENGTH, name_words, reference_key, word_distance, word_keys
from apps.customers.selectors import customer_get, customers_get

__all__ = ["FIELD_LABELS", "TYPO_MIN_LENGTH", "NameHit", "NameMatch", "SearchOutcome", "SearchResult",
           "customer_search", "search_query_problem"]

Q_MIN_LENGTH = 2
Q_MAX_LENGTH = 200
Q_MAX_WORDS = 8
DEFAULT_LIMIT = 20
MAX_LIMIT = 50
# Items read per index key; a key with more (a very common word) is cut there and the result says so.
PER_KEY_LIMIT = 200
LOOKUP_THREADS = 8
_CUSTOMER_ID = re.compile(r"^cus_[0-9a-z]{26}$", re.IGNORECASE)
_RUNS = re.compile(r"[^\W_]+(?:['\u2019\u02bc][^\W_]+)*")


@dataclass(frozen=True)
class NameHit:
    """One query word found in one name of the customer or of one of its parties."""

    query_word: str
    word: str  # the stored (folded) word it matched
    field: str  # legal_name, other_name, former_name, external_reference, party_name, party_other_name
    name: str  # the whole name the word is part of, as recorded
    typo: bool
    party_id: str | None = None
    party_name: str | None = None

    @property
    def field_label(self) -> str:
        return FIELD_LABELS.get(self.field, self.field)

    @property
    def segments(self) -> list[tuple[str, bool]]:
        """The name in pieces, the matched word's pieces flagged (for highlighting without markup in data)."""
        return name_segments(self.name, {self.word})


@dataclass(frozen=True)
class NameMatch:
    """One name that matched, with every query word found in it (what a page shows once per name)."""

    hits: tuple[NameHit, ...]

    @property
    def first(self) -> NameHit:
        return self.hits[0]

    @property
    def segments(self) -> list[tuple[str, bool]]:
        return name_segments(self.first.name, {hit.word for hit in self.hits})

    @property
    def typos(self) -> list[NameHit]:
        return [hit for hit in self.hits if hit.typo]


@dataclass
class SearchResult:
    customer: Customer
    matched_by: str  # name | external_reference | id
    hits: list[NameHit] = field(default_factory=list)  # the best hit of each matched query word
    words_total: int = 0

    @property
    def words_matched(self) -> int:
        return len({hit.query_word for hit in self.hits})

    @property
    def exact_words(self) -> int:
        return len({hit.query_word for hit in self.hits if not hit.typo})

    @property
    def all_words(self) -> bool:
        return self.words_matched >= self.words_total

    @property
    def party_hits(self) -> list[NameHit]:
        return [hit for hit in self.hits if hit.party_id]

    @property
    def names(self) -> list[NameMatch]:
        """The hits grouped by the name they are in, in the order of the query words."""
        groups: dict[tuple[str | None, str, str], list[NameHit]] = {}
        for hit in self.hits:
            groups.setdefault((hit.party_id, hit.field, hit.name), []).append(hit)
        return [NameMatch(tuple(hits)) for hits in groups.values()]


@dataclass
class SearchOutcome:
    query: str
    results: list[SearchResult]
    truncated: bool  # more customers matched than were read or returned: add a word


def search_query_problem(q: str | None) -> str | None:
    """Why ``q`` cannot be searched for, in words (None when it can)."""
    text = (q or "").strip()
    if len(text) < Q_MIN_LENGTH:
        return f"Give at least {Q_MIN_LENGTH} characters: a name, a word of a name, a reference or a customer id."
    if len(text) > Q_MAX_LENGTH:
        return f"Give at most {Q_MAX_LENGTH} characters."
    words = name_words(text)
    if not words:
        return "Give at least one letter or digit."
    if len(words) > Q_MAX_WORDS:
        return f"Give at most {Q_MAX_WORDS} words."
    return None


def name_segments(name: str, words: set[str]) -> list[tuple[str, bool]]:
    """``name`` split so that the runs whose folded form is one of ``words`` are flagged True."""
    pieces: list[tuple[str, bool]] = []
    at = 0
    for run in _RUNS.finditer(name):
        folded = name_words(run.group(0))
        if set(folded) & words or "".join(folded) in words:
            if run.start() > at:
                pieces.append((name[at:run.start()], False))
            pieces.append((run.group(0), True))
            at = run.end()
    if at < len(name):
        pieces.append((name[at:], False))
    return pieces or [(name, False)]


def _query_key(key: str) -> tuple[list[NameToken], bool]:
    items = list(NameToken.query(key, limit=PER_KEY_LIMIT))
    return items, len(items) >= PER_KEY_LIMIT


def _lookup(keys: Iterable[str]) -> tuple[dict[str, list[NameToken]], bool]:
    keys = sorted(set(keys))
    with ThreadPoolExecutor(max_workers=min(LOOKUP_THREADS, len(keys))) as pool:
        answers = list(pool.map(_query_key, keys))
    return {key: items for key, (items, _) in zip(keys, answers, strict=True)}, any(cut for _, cut in answers)


def _better(new: NameHit, old: NameHit | None) -> bool:
    if old is None:
        return True
    # An exact word beats a typo; the customer's own name beats a party's.
    return (new.typo, new.party_id is not None) < (old.typo, old.party_id is not None)


def customer_search(*, q: str, owner: str | None = None, limit: int = DEFAULT_LIMIT) -> SearchOutcome:
    """Customers whose names, parties' names, external reference or id match ``q``, best first.

    ``owner``: only this integration's customers (a confined API key). Raises ``ValidationFailed``
    naming ``q`` when it is too short, too long or has no letter or digit.
    """
    problem = search_query_problem(q)
    if problem:
        raise ValidationFailed(f"The search is not valid: {problem}", errors={"q": [problem]})
    text = " ".join(q.split())
    limit = max(1, min(limit, MAX_LIMIT))
    words = name_words(text)
    word_keys_of = {word: word_keys(word) for word in words}
    found, truncated = _lookup({reference_key(text), *(k for keys in word_keys_of.values() for k in keys)})

    visible = (lambda item: item.integration == owner) if owner is not None else (lambda item: True)
    best: dict[str, dict[str, NameHit]] = {}  # customer -> query word -> best hit
    by_reference: set[str] = set()
    for item in found.get(reference_key(text), []):
        if visible(item):
            by_reference.add(item.customer_id)
            hit = NameHit(query_word=text, word=text, field="external_reference", name=item.words[0]["n"], typo=False)
            best.setdefault(item.customer_id, {})["#ref"] = hit
    for word, keys in word_keys_of.items():
        for key in keys:
            for item in found.get(key, []):
                if not visible(item):
                    continue
                party = None if item.subject == CUSTOMER_SUBJECT else item.subject
                for stored in item.words:
                    distance = word_distance(word, stored["w"])
                    if distance is None:
                        continue
                    hit = NameHit(query_word=word, word=stored["w"], field=stored["f"], name=stored["n"],
                                  typo=distance > 0, party_id=party, party_name=item.party_name)
                    hits = best.setdefault(item.customer_id, {})
                    if _better(hit, hits.get(word)):
                        hits[word] = hit

    by_id: Customer | None = None
    if _CUSTOMER_ID.match(text):
        try:
            by_id = customer_get(customer_id=CUSTOMER_PREFIX + text[len(CUSTOMER_PREFIX):].upper())
        except CustomerNotFound:
            by_id = None
        if by_id is not None and owner is not None and by_id.integration != owner:
            by_id = None

    def rank(customer_id: str) -> tuple[int, int, int, int]:
        hits = best[customer_id]
        if "#ref" in hits:
            return (0, 0, 0, 0)
        matched = len(hits)
        return (-matched, -sum(1 for h in hits.values() if not h.typo),
                sum(1 for h in hits.values() if h.party_id), 0)

    ordered = sorted(best, key=lambda cid: (rank(cid), min(h.name.casefold() for h in best[cid].values()), cid))
    chosen = ordered[:limit]
    truncated = truncated or len(ordered) > limit
    customers = customers_get(customer_ids=chosen)
    results: list[SearchResult] = []
    if by_id is not None:
        results.append(SearchResult(customer=by_id, matched_by="id", words_total=len(words)))
    for customer_id in chosen:
        customer = customers.get(customer_id)
        if customer is None or (by_id is not None and customer_id == by_id.customer_id):
            continue
        hits = best[customer_id]
        matched_by = "external_reference" if customer_id in by_reference else "name"
        results.append(SearchResult(customer=customer, matched_by=matched_by,
                                    hits=[hits[w] for w in [*(["#ref"] if "#ref" in hits else []), *words]
                                          if w in hits],
                                    words_total=len(words)))
    return SearchOutcome(query=text, results=results[:limit], truncated=truncated)
