"""Name normalisation: scripts, case, punctuation, titles, legal forms, particles, phonetic keys.

Pure functions, no I/O. Every list name and every query goes through :func:`prepare_tokens`
so both sides of a comparison are reduced the same way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii
from rapidfuzz.distance import OSA

# Titles and honorifics: removed before matching (they say nothing about identity).
# Multi-word titles are listed as token tuples. "he" alone is NOT a title (it is a
# common Chinese surname); "H.E." is recognised before punctuation is removed.
TITLES: frozenset[str] = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "madam",
        "madame",
        "mme",
        "mlle",
        "mister",
        "dr",
        "doctor",
        "prof",
        "professor",
        "sheikh",
        "shaikh",
        "sheik",
        "shaykh",
        "cheikh",
        "haji",
        "hajji",
        "hadji",
        "alhaji",
        "alhaj",
        "alhajj",
        "hajj",
        "mullah",
        "mulla",
        "molla",
        "maulavi",
        "maulvi",
        "mawlawi",
        "moulavi",
        "molvi",
        "maulana",
        "mawlana",
        "general",
        "gen",
        "colonel",
        "col",
        "lieutenant",
        "lt",
        "captain",
        "capt",
        "brigadier",
        "admiral",
        "commander",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "reverend",
        "father",
        "imam",
        "ayatollah",
        "hojatoleslam",
        "mufti",
        "excellency",
        "engr",
        "eng",
        # descendants of the Prophet: an honorific before the name
        "sayyid",
        "sayyed",
        "seyed",
        "seyyed",
        "syed",
        "sayed",
    ]
)
TITLE_PHRASES: tuple[tuple[str, ...], ...] = (
    ("his", "excellency"),
    ("her", "excellency"),
    ("major", "general"),
    ("lieutenant", "general"),
    ("lieutenant", "colonel"),
    ("brigadier", "general"),
)
_HE_RE = re.compile(r"(?<![A-Za-z])H\.\s?E\.(?=\s|$)", re.IGNORECASE)

# Name particles and function words: kept as tokens but weighted low.
PARTICLES: frozenset[str] = frozenset(
    [
        "al",
        "el",
        "ul",
        "ad",
        "ar",
        "as",
        "ash",
        "at",
        "az",
        "ad-din",
        "bin",
        "ibn",
        "bint",
        "ben",
        "bou",
        "abu",
        "abou",
        "de",
        "da",
        "del",
        "della",
        "di",
        "du",
        "la",
        "le",
        "van",
        "von",
        "der",
        "den",
        "dos",
        "das",
        "y",
        "of",
        "the",
        "and",
        "for",
        "in",
        "on",
        "at",
        "to",
    ]
)

# Organisation legal forms -> canonical token. Longest phrases are matched first.
_LEGAL_FORM_GROUPS: dict[str, tuple[str, ...]] = {
    "llc": (
        "limited liability company",
        "limited liability co",
        "limited liability partnership company",
        "llc",
        "ooo",
        "obshchestvo s ogranichennoy otvetstvennostyu",
        "obshchestvo s ogranichennoi otvetstvennostiu",
        "tov",
        "too",
        "mchj",
    ),
    "pjsc": ("public joint stock company", "public joint-stock company", "pjsc", "pao", "pubjsc"),
    "ojsc": ("open joint stock company", "ojsc", "oao"),
    "cjsc": ("closed joint stock company", "cjsc", "zao"),
    "jsc": (
        "joint stock company",
        "joint stock co",
        "jsc",
        "ao",
        "aktsionernoe obshchestvo",
        "aktsionernoye obshchestvo",
        "jstc",
    ),
    "plc": ("public limited company", "plc"),
    "ltd": ("limited", "ltd", "ltda"),
    "co": ("company", "co", "cie", "compania", "companhia"),
    "corp": ("corporation", "corp"),
    "inc": ("incorporated", "inc"),
    "llp": ("limited liability partnership", "llp"),
    "lp": ("limited partnership", "lp"),
    "gmbh": ("gesellschaft mit beschrankter haftung", "gmbh"),
    "ag": ("aktiengesellschaft", "ag"),
    "sa": ("societe anonyme", "sociedad anonima", "sa"),
    "sarl": ("sarl",),
    "srl": ("srl",),
    "spa": ("spa",),
    "bv": ("bv",),
    "nv": ("nv",),
    "pte": ("pte",),
    "pvt": ("private", "pvt"),
    "fze": ("free zone establishment", "free zone enterprise", "fze"),
    "fzco": ("free zone company", "free zone co", "fzco"),
    "fzc": ("fzc",),
    "fzllc": ("fz llc", "fz-llc", "free zone limited liability company", "free zone llc"),
    "est": ("establishment", "est"),
    "sdn bhd": ("sdn bhd",),
    "bhd": ("bhd", "berhad"),
    "kft": ("kft",),
    "sro": ("sro",),
    "spzoo": ("sp z o o", "spzoo"),
    "oy": ("oy",),
    "ab": ("ab",),
    "as": ("as",),
}
LEGAL_PHRASES: tuple[tuple[tuple[str, ...], str], ...] = tuple(
    sorted(
        (
            (tuple(phrase.replace("-", " ").split()), canon)
            for canon, phrases in _LEGAL_FORM_GROUPS.items()
            for phrase in phrases
        ),
        key=lambda item: -len(item[0]),
    )
)
LEGAL_CANON: frozenset[str] = frozenset(tok for canon in _LEGAL_FORM_GROUPS for tok in canon.split())
# Legal forms that are close relatives (a JSC listed as PJSC is the same company).
LEGAL_FAMILY: dict[str, str] = {
    "pjsc": "jsc",
    "ojsc": "jsc",
    "cjsc": "jsc",
    "jsc": "jsc",
    "ltd": "ltd",
    "plc": "ltd",
    "pvt": "ltd",
    "llc": "llc",
    "corp": "corp",
    "inc": "corp",
}
_FIRST_TOKENS_OF_LEGAL: frozenset[str] = frozenset(p[0] for p, _ in LEGAL_PHRASES)

# Spelling variants of the same Arabic element, folded to one token.
_TOKEN_ALIASES: dict[str, str] = {
    "abdul": "abd",
    "abdel": "abd",
    "abdal": "abd",
    "abdol": "abd",
    "abdoul": "abd",
    "abdur": "abd",
    "abdor": "abd",
}
_ABD_FORMS = ("abdul", "abdel", "abdal", "abdol")


@lru_cache(maxsize=65536)
def _token_variant(tok: str) -> str:
    """Fold spellings of one name element to one token; tolerate a typo in ABDUL itself."""
    alias = _TOKEN_ALIASES.get(tok)
    if alias is not None:
        return alias
    if 4 <= len(tok) <= 6 and tok[0] == "a" and any(OSA.distance(tok, f, score_cutoff=1) <= 1 for f in _ABD_FORMS):
        return "abd"
    return tok


_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4\u02bf\u02be\u02bb\u02bc\u2032\"]")  # apostrophes, ayn/hamza marks
_ACRONYM = re.compile(r"\b(?:[a-z0-9]\.){2,}")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")


def has_cjk(text: str) -> bool:
    """True if ``text`` holds Chinese, Japanese or Korean characters."""
    return _CJK.search(text) is not None


def _translit_cjk(text: str) -> str:
    # One syllable per token: a Chinese/Korean/Japanese name has no spaces, and the
    # Latin form on a list splits it by syllable or by given/family name. Joined-token
    # handling in the scorer reconciles "ze dong" with "zedong".
    return _CJK.sub(lambda m: " " + anyascii(m.group(0)) + " ", text)


@lru_cache(maxsize=65536)
def fold(text: str, *, acronyms: bool = True) -> str:
    """Unicode NFKC, transliteration to ASCII, case folding, punctuation to spaces.

    ``acronyms``: dotted letters are one word (``L.L.C.`` -> ``llc``); off for persons,
    whose dotted letters are initials (``J.F.`` -> ``j f``).
    """
    text = unicodedata.normalize("NFKC", text)
    text = _HE_RE.sub(" ", text)
    if not text.isascii():
        if _CJK.search(text):
            text = _translit_cjk(text)
        text = anyascii(text)
    text = text.casefold()
    text = _APOSTROPHES.sub("", text)
    if acronyms:
        text = _ACRONYM.sub(lambda m: m.group(0).replace(".", ""), text)
    return _NON_ALNUM.sub(" ", text).strip()


def natural_order(text: str, *, is_person: bool) -> str:
    """OFAC prints persons as ``LAST, First Middle``; turn that into ``First Middle LAST``."""
    if is_person and text.count(",") == 1:
        last, first = text.split(",")
        if last.strip() and first.strip():
            return f"{first.strip()} {last.strip()}"
    return text


# Token kinds: how much a token says about identity.
NORMAL, PARTICLE, LEGAL, TITLE, INITIAL, GENERIC = 0, 1, 2, 3, 4, 5
KIND_NAMES = {
    NORMAL: "name",
    PARTICLE: "particle",
    LEGAL: "legal_form",
    TITLE: "title",
    INITIAL: "initial",
    GENERIC: "generic_org_word",
}
# Words that say what kind of organisation it is, not which one: "SENSUS GROUP" is SENSUS.
GENERIC_ORG_WORDS: frozenset[str] = frozenset(
    ["group", "holding", "holdings", "international", "intl", "trading", "industries", "enterprises", "services"]
)


_TITLE_STARTS: frozenset[str] = TITLES | frozenset(p[0] for p in TITLE_PHRASES)


def _mark_titles(tokens: list[str], kinds: list[int]) -> None:
    if _TITLE_STARTS.isdisjoint(tokens):
        return
    i = 0
    while i < len(tokens):
        for phrase in TITLE_PHRASES:
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                for k in range(i, i + len(phrase)):
                    kinds[k] = TITLE
                i += len(phrase)
                break
        else:
            if tokens[i] in TITLES:
                kinds[i] = TITLE
            i += 1


# Words of legal-form phrases long enough that a one-letter typo in them is still
# recognisable ("LIMITED LIABILITY CONPANY"): they are corrected before canonicalisation.
_LEGAL_WORDS: frozenset[str] = frozenset(w for phrase, _ in LEGAL_PHRASES for w in phrase if len(w) >= 5)


def _one_deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


_LEGAL_DELETES: dict[str, str] = {d: w for w in sorted(_LEGAL_WORDS) for d in _one_deletions(w)}


@lru_cache(maxsize=65536)
def _legal_word(token: str) -> str:
    """The legal-form word ``token`` is one typo away from, else ``token`` itself."""
    if len(token) < 5 or token in _LEGAL_WORDS:
        return token
    near = set()
    if token in _LEGAL_DELETES:  # a letter missing
        near.add(_LEGAL_DELETES[token])
    for d in _one_deletions(token):
        if d in _LEGAL_WORDS:  # a letter too many
            near.add(d)
        word = _LEGAL_DELETES.get(d)  # a letter replaced, or two swapped
        if word is not None and OSA.distance(word, token) <= 1:
            near.add(word)
    if not near:
        return token
    # "compani" is "company" (same length), not "compania"
    return min(near, key=lambda w: (abs(len(w) - len(token)), w))


# Legal-form words distinctive enough to be split off a word they were glued to
# ("OOOTRAST", "BANKINGCORPORATION", "COMPANYHYPERSPACE").
_GLUED_LEGAL = ("corporation", "company", "limited", "gmbh", "pjsc", "ojsc", "cjsc", "llc", "ooo", "ltd", "jsc")


@lru_cache(maxsize=65536)
def _unglue(tok: str) -> tuple[str, ...]:
    if tok in _LEGAL_WORDS:
        return (tok,)
    for word in _GLUED_LEGAL:
        if len(tok) >= len(word) + 3:
            if tok.startswith(word):
                return (word, tok[len(word) :])
            if tok.endswith(word):
                return (tok[: -len(word)], word)
    return (tok,)


def _split_glued_legal(tokens: list[str]) -> list[str]:
    return [part for tok in tokens for part in _unglue(tok)]


def _canonical_legal_forms(tokens: list[str]) -> list[str]:
    # Typo-corrected words are used only when they complete a legal-form phrase, so a
    # name word such as POINT is not turned into JOINT.
    corrected = [_legal_word(t) for t in tokens]
    if _FIRST_TOKENS_OF_LEGAL.isdisjoint(corrected):
        return tokens
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if corrected[i] in _FIRST_TOKENS_OF_LEGAL:
            for phrase, canon in LEGAL_PHRASES:
                if tuple(corrected[i : i + len(phrase)]) == phrase:
                    out.extend(canon.split())
                    i += len(phrase)
                    break
            else:
                out.append(tokens[i])
                i += 1
        else:
            out.append(tokens[i])
            i += 1
    return out


def prepare_tokens(text: str, *, is_person: bool | None) -> tuple[list[str], list[int]]:
    """Normalise a name into ``(tokens, kinds)``.

    Tokens are never dropped, only classified, so an analyst sees every word in the
    explanation. ``is_person`` True: OFAC comma order reversed, titles marked.
    False: legal forms canonicalised and marked. None (type unknown): both.
    """
    if has_arabic(text) and not _LATIN_LETTER.search(text):
        ar = arabic_tokens(text)
        kinds = [
            LEGAL if tok in LEGAL_CANON and not sk else PARTICLE if particle else NORMAL for tok, sk, particle in ar
        ]
        return [t for t, _, _ in ar], kinds
    text = natural_order(text, is_person=is_person is not False)
    tokens = [_token_variant(t) for t in fold(text, acronyms=is_person is not True).split()]
    if is_person is not True:
        tokens = _canonical_legal_forms(_split_glued_legal(tokens))
    kinds = [NORMAL] * len(tokens)
    for i, tok in enumerate(tokens):
        if tok in PARTICLES:
            kinds[i] = PARTICLE
        elif len(tok) == 1 and tok.isalpha():
            kinds[i] = INITIAL
        elif is_person is not True and tok in LEGAL_CANON:
            kinds[i] = LEGAL
        elif is_person is not True and tok in GENERIC_ORG_WORDS:
            kinds[i] = GENERIC
    if is_person is not False:
        _mark_titles(tokens, kinds)
    if all(k in (TITLE, LEGAL, PARTICLE, GENERIC) for k in kinds):
        # A name made only of such words (a vessel called GENERAL, "AL AS"): they are the name.
        kinds = [NORMAL] * len(tokens)
    return tokens, kinds


# --- phonetic key -------------------------------------------------------------------------

_PHONETIC_RULES: tuple[tuple[str, str], ...] = (
    ("dzh", "j"),
    ("tch", "c"),
    ("sch", "s"),
    ("kh", "h"),
    ("gh", "g"),
    ("ph", "f"),
    ("th", "t"),
    ("sh", "s"),
    ("ch", "c"),
    ("dh", "d"),
    ("zh", "j"),
    ("dj", "j"),
    ("ck", "k"),
    ("ts", "c"),
    ("tz", "c"),
    ("q", "k"),
    ("x", "ks"),
    ("w", "v"),
)
_VOWELS = frozenset("aeiouy")


@lru_cache(maxsize=131072)
def phonetic_key(token: str) -> str:
    """Consonant skeleton robust to transliteration: Mohammed/Muhammad/Mohamad -> mhmd."""
    if not token:
        return ""
    if token.isdigit():
        return token
    key = token
    for src, dst in _PHONETIC_RULES:
        if src in key:
            key = key.replace(src, dst)
    key = key.replace("c", "k")
    first = key[0]
    out = [first]
    prev = first
    for ch in key[1:]:
        if ch != prev and ch not in _VOWELS:
            out.append(ch)
        prev = ch
    if first in _VOWELS:
        out[0] = "a"  # initial vowels vary freely across transliterations (Usama/Osama)
    return "".join(out)


# --- countries and dates -------------------------------------------------------------------


def country_code(value: str | None) -> str | None:
    """An ISO 3166-1 alpha-2 code in upper case, or None if ``value`` is not one.

    Country *names* are resolved by the caller (``apps.screening.lists.country_code``),
    which needs a lookup table; the matcher itself does no I/O.
    """
    value = (value or "").strip()
    return value.upper() if len(value) == 2 and value.isalpha() else None


_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(value: str) -> tuple[int, int | None, int | None] | None:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` -> (year, month, day); None if malformed."""
    m = _DATE_RE.match((value or "").strip())
    if not m:
        return None
    year = int(m.group(1))
    month = int(m.group(2)) if m.group(2) else None
    day = int(m.group(3)) if m.group(3) else None
    if month is not None and not 1 <= month <= 12:
        return None
    if day is not None and not 1 <= day <= 31:
        return None
    return year, month, day


# --- Arabic script against Latin spellings -------------------------------------------------
# Unvocalised Arabic writes consonants and long vowels only, so a letter-by-letter transliteration
# (anyascii: محفوظ -> "mhfwz") is far from the Latin spelling (MAHFOUZ). Both sides are reduced to a
# consonant skeleton instead: vowels and the semivowels w/y dropped (Arabic و/ي are long vowels as
# often as consonants, Latin spellings write them as o/u/ou/ee/i), the letters that Latin
# transliterations merge merged (ط/ت t, ص/س/ش s, خ/ك/ق k, ض/د/ذ d, ظ/ز z, ح/ه h), ayn and hamza  # noqa: RUF003
# dropped, doubled letters single (shadda is not written), the article ال stripped.

_AR_SKELETON: dict[str, str] = {
    "ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "ج": "j", "چ": "c", "ژ": "j",
    "ح": "h", "ه": "h", "ۀ": "h", "خ": "k", "ك": "k", "ک": "k", "ق": "k", "گ": "g", "غ": "g",  # noqa: RUF001
    "د": "d", "ذ": "d", "ض": "d", "ر": "r", "ز": "z", "ظ": "z", "س": "s", "ص": "s", "ش": "s",
    "ف": "f", "ل": "l", "م": "m", "ن": "n",
}
_AR_DROP = frozenset("اأإآٱءؤئعوىيیةۃ\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0670ـ")
_LATIN_LETTER = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
# Arabic function words and name particles: "bin", "ibn", "bint", "abu", "ould"
_AR_PARTICLES: frozenset[str] = frozenset(["بن", "ابن", "بنت", "آل", "و"])
# Legal forms written in Arabic script (Arabic and Persian): the canonical Latin token.
_AR_LEGAL: dict[str, str] = {
    "شركة": "co", "شركت": "co", "شرکت": "co", "شرکة": "co", "لمتد": "ltd", "ليمتد": "ltd", "ليميتد": "ltd",
    "المحدودة": "ltd", "محدودة": "ltd", "مؤسسة": "est",
}
_LATIN_SKELETON_RULES: tuple[tuple[str, str], ...] = (
    ("kh", "k"), ("gh", "g"), ("sh", "s"), ("ch", "c"), ("th", "t"), ("dh", "d"), ("zh", "j"),
    ("ph", "f"), ("ck", "k"), ("dj", "j"), ("tch", "c"), ("ou", "u"), ("q", "k"), ("x", "ks"),
)


def has_arabic(text: str) -> bool:
    """True if ``text`` holds Arabic-script letters (Arabic, Persian, Pashto, Urdu)."""
    return _ARABIC.search(text) is not None


def _squeeze(letters: list[str]) -> str:
    out: list[str] = []
    for ch in letters:
        if not out or out[-1] != ch:
            out.append(ch)
    return "".join(out)


def arabic_words(text: str) -> list[str]:
    """The words of an Arabic-script name in order, punctuation removed; ``عبدالمنان`` is two words
    (``عبد`` ``المنان``), as the Latin spellings (ABDUL MANAN) write it."""
    text = unicodedata.normalize("NFKC", text).replace("\u200c", "")
    words: list[str] = []
    for w in re.split(r"[^\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff\w]+", text):
        if w.startswith("عبدال") and len(w) > 6:
            words.extend(("عبد", w[3:]))
        elif w:
            words.append(w)
    return words


def arabic_tokens(text: str) -> list[tuple[str, str, bool]]:
    """(token, skeleton, is_particle) per word of an Arabic-script name: the token is the word's
    transliteration (what an exact match on the same script compares), the skeleton what a Latin
    spelling is compared with."""
    out = []
    for word in arabic_words(text):
        legal = _AR_LEGAL.get(word)
        if legal is not None:
            out.append((legal, "", False))
            continue
        token = "".join(fold(word).split())
        if token:
            out.append((token, arabic_skeleton(word), word in _AR_PARTICLES))
    return out


@lru_cache(maxsize=65536)
def arabic_skeleton(word: str) -> str:
    """Consonant skeleton of one Arabic-script word (see above); "" for a particle."""
    if word in _AR_PARTICLES:
        return ""
    if word.startswith("ال") and len(word) > 3:
        word = word[2:]
    elif word.startswith("وال") and len(word) > 4:
        word = word[3:]
    letters = []
    final_y = len(word) > 2 and word[-1] in "يی"  # the nisba -i (TIKRITI, MOHAMMADI): kept as y
    for ch in word:
        if ch in _AR_DROP:
            continue
        mapped = _AR_SKELETON.get(ch)
        if mapped is None:
            mapped = anyascii(ch).lower()
            if not mapped.isalpha():
                continue
        letters.append(mapped)
    if letters and letters[-1] == "h" and word[-1] in "\u0647\u0629":  # final heh / ta marbuta
        letters.pop()  # final -ah/-eh (ta marbuta written without its dots)
    if final_y:
        letters.append("y")
    return _squeeze(letters)


@lru_cache(maxsize=131072)
def latin_skeleton(token: str) -> str:
    """The consonant skeleton of a folded Latin token, comparable with :func:`arabic_skeleton`."""
    if not token.isalpha():
        return ""
    key = token
    if len(key) > 3 and (key.endswith("ah") or key.endswith("eh")):
        key = key[:-1]  # HAMZAH, FATIMAH: the written-out ta marbuta
    for src, dst in _LATIN_SKELETON_RULES:
        if src in key:
            key = key.replace(src, dst)
    key = key.replace("c", "k")
    final_y = len(key) > 2 and key[-1] in "iy"  # the nisba -i / -y, as arabic_skeleton keeps it
    return _squeeze([ch for ch in key if ch not in "aeiouyw"] + (["y"] if final_y else []))
