"""The words of a name and the keys of the name-token index (pure functions, no I/O).

A name is folded the way the name-prefix index folds it (``validation.name_normalise``: NFKC,
transliteration to ASCII, lower case, punctuation to spaces; apostrophes are dropped first, so
``O'Brien`` is the one word ``obrien``) and split into words.

Typo tolerance without a Scan is symmetric deletion (SymSpell): a word of ``TYPO_MIN_LENGTH`` or
more characters is stored under itself and each of its one-character deletions; a query word
looks up itself and its deletions. Two words within one edit (insertion, deletion, substitution,
adjacent transposition) always share a key; the candidates are then checked with the optimal
string alignment distance, which drops the few pairs two edits apart that share a deletion.
Shorter words match exactly only (a typo in a three-letter word finds too many others).
"""

from __future__ import annotations

import re

from rapidfuzz.distance import OSA

from apps.customers.validation import name_normalise

TYPO_MIN_LENGTH = 4
REFERENCE_PREFIX = "#ref#"  # keys of external references, apart from name words
_APOSTROPHES = re.compile(r"['\u2019\u02bc`\u00b4]")


def name_words(name: str) -> list[str]:
    """The folded words of a name, in order, each once."""
    return list(dict.fromkeys(name_normalise(_APOSTROPHES.sub("", name or "")).split()))


def word_keys(word: str) -> set[str]:
    """Every key a word is stored (or looked up) under: itself, and its deletions when it is long enough."""
    if len(word) < TYPO_MIN_LENGTH:
        return {word}
    return {word} | {word[:i] + word[i + 1:] for i in range(len(word))}


def reference_key(reference: str) -> str:
    """The key of an external reference (any integration's): case-folded, surrounding spaces dropped."""
    return REFERENCE_PREFIX + " ".join(reference.casefold().split())


def word_distance(query: str, stored: str) -> int | None:
    """0 for the same word, 1 for one typo (both words long enough), None otherwise."""
    if query == stored:
        return 0
    if min(len(query), len(stored)) < TYPO_MIN_LENGTH - 1 or max(len(query), len(stored)) < TYPO_MIN_LENGTH:
        return None
    return 1 if OSA.distance(query, stored, score_cutoff=1) <= 1 else None
