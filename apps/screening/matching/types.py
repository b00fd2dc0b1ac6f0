"""The normalised list entity that every list parser produces and the matcher indexes.

Pure data: no Django, no I/O. Country codes are ISO 3166-1 alpha-2, upper case.
Dates are ISO strings at the precision the source gives: ``YYYY``, ``YYYY-MM`` or
``YYYY-MM-DD``.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Literal

Schema = Literal["person", "organization", "vessel", "aircraft"]
NameKind = Literal["primary", "strong_alias", "weak_alias", "original_script", "former"]


@dataclass(frozen=True, slots=True)
class Name:
    """One name of a listed entity, with how much weight the list gives it."""

    value: str
    kind: NameKind = "primary"


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identifier the list publishes: passport, national id, IMO number, registration..."""

    kind: str
    value: str
    country: str | None = None


@dataclass(slots=True)
class ListEntity:
    """One entry of a sanctions, PEP or watch list, in the product's own schema."""

    # ``builtins.list`` below: the field named ``list`` shadows the builtin for type checkers.
    list: str  # source key: ofac_sdn, ofac_cons, un_sc, uk_ofsi, or a configured key
    source_id: str  # the list's own id: OFAC ent_num, UN REFERENCE_NUMBER, UK Group ID
    schema: Schema
    names: builtins.list[Name]
    birth_dates: builtins.list[str] = field(default_factory=builtins.list)
    nationalities: builtins.list[str] = field(default_factory=builtins.list)  # nationality / citizenship
    countries: builtins.list[str] = field(default_factory=builtins.list)  # residence, address, jurisdiction, flag
    identifiers: builtins.list[Identifier] = field(default_factory=builtins.list)
    programs: builtins.list[str] = field(default_factory=builtins.list)
    listed_on: str | None = None
    remarks: str | None = None

    @property
    def key(self) -> str:
        """Stable key of the entity across list versions."""
        return f"{self.list}:{self.source_id}"

    @property
    def primary_name(self) -> str:
        for name in self.names:
            if name.kind == "primary":
                return name.value
        return self.names[0].value if self.names else ""
