"""Country names and codes to ISO 3166-1 alpha-2, fast.

followthemoney (``registry.country.clean``, backed by ``rigour.territories``) is the reference,
but building its name index costs about 4 seconds per process, more than parsing all the lists.
So the index is exported once into ``apps/screening/data/country_names.json.gz`` (about 100 kB)
and looked up here with the same normalisation; only a value missing from that table falls back
to followthemoney itself. Rebuild the table after upgrading followthemoney::

    python -m apps.screening.lists.countries --build
"""

from __future__ import annotations

import argparse
import gzip
import json
import unicodedata
from functools import cache, lru_cache
from pathlib import Path

TABLE_PATH = Path(__file__).resolve().parent.parent / "data" / "country_names.json.gz"

# Values the lists use that followthemoney does not resolve (or resolves to a region code).
OVERRIDES: dict[str, str | None] = {
    "region crimea": "UA",
    "crimea": "UA",
    "ukraine crimea": "UA",
    "region gaza": "PS",
    "undetermined": None,
    "none identified": None,
    "unknown": None,
    "occupied palestinian territories": "PS",
    "occupied palestinian territory": "PS",
    "bosniaherzegovina": "BA",
}

_SKIP = set(".()[],;:_-/'\u02bb\u2019")


def normalize_name(text: str) -> str:
    """Lookup key of a name, as rigour's ``normalize_territory_name`` computes it for Latin text."""
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in decomposed if not unicodedata.combining(c))
    text = unicodedata.normalize("NFKC", text).casefold()
    chars = [" " if (not c.isalnum() and c not in _SKIP) else c for c in text if c not in _SKIP]
    return " ".join("".join(chars).split())


@cache
def _table() -> tuple[dict[str, str], dict[str, str]]:
    with gzip.open(TABLE_PATH, "rt", encoding="utf-8") as fh:
        data = json.load(fh)
    return data["codes"], data["names"]


def _to_alpha2(ftm_code: str | None) -> str | None:
    """followthemoney codes are alpha-2, or region (``ge-ab``) and historic (``suhh``) codes."""
    if not ftm_code:
        return None
    code = ftm_code.split("-", 1)[0]
    return code[:2].upper() if len(code) >= 2 and code[:2].isalpha() else None


def _ftm_clean(text: str) -> str | None:
    from followthemoney.types import registry  # slow first call; only for unusual values

    return registry.country.clean(text)


@lru_cache(maxsize=8192)
def country_code(value: str | None) -> str | None:
    """ISO 3166-1 alpha-2, upper case, for a country name or code ("Iran", "Korea, North", "IR")."""
    if not value or not value.strip():
        return None
    text = value.strip()
    key = normalize_name(text)
    if not key:
        return None
    if key in OVERRIDES:
        return OVERRIDES[key]
    codes, names = _table()
    code_key = text.lower().replace("_", "-")
    if code_key in codes:
        return _to_alpha2(codes[code_key])
    if key in names:
        return _to_alpha2(names[key])
    if key.startswith("region "):
        # "Region: West Bank" when the region itself is not in the table.
        return country_code(text.split(":", 1)[-1] if ":" in text else key[7:])
    if key.isascii():
        # Every Latin-script name followthemoney knows is in the table; a miss is a miss.
        # Comma-inverted forms ("Congo, Republic of the") are tried the other way round.
        if "," in text:
            head, _, tail = text.partition(",")
            return country_code(f"{tail.strip()} {head.strip()}")
        if "(" in text:
            return country_code(text.split("(", 1)[0])
        return None
    return _to_alpha2(_ftm_clean(text))


def build_table(path: Path = TABLE_PATH) -> int:
    """Export followthemoney's country index (codes and Latin-script names) to ``path``."""
    from rigour.territories.lookup import _get_identifier_map, _get_territory_names

    codes = {k: t.ftm_country for k, t in _get_identifier_map().items() if t.ftm_country}
    names = {k: t.ftm_country for k, t in _get_territory_names().items() if t.ftm_country and k.isascii() and k}
    payload = json.dumps({"codes": codes, "names": names}, sort_keys=True, separators=(",", ":"))
    # mtime=0 keeps the file byte-identical across rebuilds.
    path.write_bytes(gzip.compress(payload.encode("utf-8"), mtime=0))
    return len(codes) + len(names)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", action="store_true", help=f"rebuild {TABLE_PATH.name} from followthemoney")
    args = parser.parse_args(argv)
    if not args.build:
        parser.print_help()
        return
    count = build_table()
    print(f"wrote {count} entries to {TABLE_PATH}")  # noqa: T201


if __name__ == "__main__":
    main()
