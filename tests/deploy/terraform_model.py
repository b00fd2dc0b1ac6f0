"""Read deploy/terraform with python-hcl2 into plain dicts the deployment tests can query.

Offline and fast: nothing here runs terraform or talks to AWS. Expressions stay strings
("${var.x}"); string literals lose their quotes.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from hcl2.utils import SerializationOptions

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "deploy" / "terraform"
MODULES = TERRAFORM / "modules"
ENVS = TERRAFORM / "envs"
ENVIRONMENTS = ("dev", "staging", "prod")

_OPTIONS = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)


@dataclass
class Module:
    """The merged top-level blocks of every .tf file in one directory."""

    path: Path
    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    data: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    locals: dict[str, Any] = field(default_factory=dict)
    variables: dict[str, dict[str, Any]] = field(default_factory=dict)
    modules: dict[str, dict[str, Any]] = field(default_factory=dict)
    terraform: list[dict[str, Any]] = field(default_factory=list)

    def resource(self, type_: str, name: str) -> dict[str, Any]:
        return self.resources[type_][name]

    def all_of(self, type_: str) -> dict[str, dict[str, Any]]:
        return self.resources.get(type_, {})


def parse_file(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle, serialization_options=_OPTIONS)


@functools.cache
def load(path: Path) -> Module:
    module = Module(path=path)
    for tf in sorted(path.glob("*.tf")):
        parsed = parse_file(tf)
        for block in parsed.get("resource", []):
            for type_, named in block.items():
                module.resources.setdefault(type_, {}).update(named)
        for block in parsed.get("data", []):
            for type_, named in block.items():
                module.data.setdefault(type_, {}).update(named)
        for block in parsed.get("locals", []):
            module.locals.update(block)
        for block in parsed.get("variable", []):
            module.variables.update(block)
        for block in parsed.get("module", []):
            module.modules.update(block)
        module.terraform.extend(parsed.get("terraform", []))
    return module


def module(name: str) -> Module:
    return load(MODULES / name)


def env(name: str) -> Module:
    return load(ENVS / name)


def all_tf_files() -> list[Path]:
    return sorted(p for p in TERRAFORM.rglob("*.tf") if ".terraform" not in p.parts)


def first(block: Any) -> dict[str, Any]:
    """Nested blocks come back as lists of dicts; most appear once."""
    if isinstance(block, list):
        assert len(block) == 1, f"expected one block, got {len(block)}"
        return block[0]
    return block


_LOCAL_REF = re.compile(r"^\$\{local\.(\w+)\}$")
_CONCAT = re.compile(r"^\$\{concat\((.*)\)\}$")


def resolve_list(value: Any, locals_: dict[str, Any]) -> list[str]:
    """Resolve a list literal, a ``${local.x}`` list, or ``${concat(local.a, local.b)}`` of them."""
    if isinstance(value, list):
        out: list[str] = []
        for item in value:
            out.extend(resolve_list(item, locals_) if isinstance(item, list) else [item])
        return out
    if isinstance(value, str):
        match = _LOCAL_REF.match(value)
        if match:
            return resolve_list(locals_[match.group(1)], locals_)
        match = _CONCAT.match(value)
        if match:
            out = []
            for part in match.group(1).split(","):
                out.extend(resolve_list("${" + part.strip() + "}", locals_))
            return out
        return [value]
    raise TypeError(f"cannot resolve {value!r}")
