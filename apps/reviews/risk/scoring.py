"""The risk model's arithmetic: pure functions, no I/O, no Django.

A model is a JSON document (``apps/reviews/data/risk_model_v1.json`` is the shipped one): named
factors, each with a weight and its points, bands that turn the total into a rating, override
rules above the score (a confirmed sanctions match makes a customer prohibited whatever it
scored), and the obligations of each rating (CDD level, review cycle in years).

``model_compile`` checks a definition once and returns a ``CompiledModel`` whose ``assess`` turns a
customer's risk inputs (``RiskInputs``, gathered by ``apps/reviews/risk/inputs.py``) into a result
that explains itself: every factor's input value, its points, weight and contribution. The same
inputs under the same model version always give the same result, so any rating can be replayed and
a new version's effect on the book can be judged before it is published (``whatif``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeGuard

RATINGS = ("low", "medium", "high", "prohibited")
RANK = {rating: i for i, rating in enumerate(RATINGS)}
CDD_LEVELS = ("simplified", "standard", "enhanced")
PEP_KINDS = ("pep", "pep_family", "pep_associate", "former_pep")
COUNTRY_ROLES = ("residence", "nationality", "incorporation", "operations", "related_party")
FACTORS = ("customer_type", "legal_form", "countries", "occupation", "industry", "products", "channels", "pep",
           "screening", "ownership", "relationship", "documents")
OVERRIDE_RULES = ("confirmed_sanctions_match", "comprehensively_sanctioned_country", "fatf_call_for_action_country",
                  "pep", "open_alerts")

RULE_LABELS = {"confirmed_sanctions_match": "confirmed sanctions match",
               "comprehensively_sanctioned_country": "comprehensively sanctioned country",
               "fatf_call_for_action_country": "FATF call-for-action country", "pep": "politically exposed person",
               "open_alerts": "open alerts"}
# A customer's facts as the risk model reads them (JSON-safe; stored with every assessment).
RiskInputs = dict[str, Any]


@dataclass(frozen=True)
class CountryTable:
    """Which risk categories each country is in (from ``apps/reviews/data/country_risk.json``)."""

    categories: Mapping[str, frozenset[str]]  # country code -> categories
    labels: Mapping[str, str] = field(default_factory=dict)

    def of(self, country: str) -> frozenset[str]:
        return self.categories.get(country, frozenset())


@dataclass
class FactorResult:
    factor: str
    value: Any  # the input the factor read, as the customer has it
    points: float  # before the weight
    weight: float
    detail: str  # why, in words

    @property
    def contribution(self) -> float:
        return round(self.points * self.weight, 2)

    def as_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "value": self.value, "points": self.points, "weight": self.weight,
                "contribution": self.contribution, "detail": self.detail}


@dataclass
class RiskResult:
    score: float
    score_rating: str  # what the bands say
    rating: str  # after the override rules
    cdd_level: str
    review_years: float
    factors: list[FactorResult]
    overrides: list[dict[str, Any]]  # the rules that hold, with why and whether they changed the rating

    def as_dict(self) -> dict[str, Any]:
        return {"score": self.score, "score_rating": self.score_rating, "rating": self.rating,
                "cdd_level": self.cdd_level, "review_years": self.review_years,
                "factors": [f.as_dict() for f in self.factors], "overrides": self.overrides}


class ModelInvalid(ValueError):
    """A model definition with problems: ``errors`` maps each place in the document to what is wrong."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def model_problems(definition: Any) -> dict[str, list[str]]:
    """Every problem of a model definition, by its place in the document (``{}`` when it is valid)."""
    errors: dict[str, list[str]] = {}

    def add(where: str, problem: str) -> None:
        errors.setdefault(where, []).append(problem)

    if not isinstance(definition, dict):
        return {"definition": ["A model is a JSON object with factors, bands, overrides, cdd_levels, review_years."]}
    factors = definition.get("factors")
    if not isinstance(factors, dict):
        add("factors", "An object of factors is required.")
        factors = {}
    for name, spec in factors.items():
        where = f"factors.{name}"
        if name not in FACTORS:
            add(where, f"Unknown factor; known factors: {', '.join(FACTORS)}.")
            continue
        if not isinstance(spec, dict):
            add(where, "A factor is an object with a weight and its points.")
            continue
        weight = spec.get("weight")
        if not _number(weight) or not 0 <= weight <= 10:
            add(f"{where}.weight", "A number from 0 to 10.")
        for table in ("points", "contains", "prefixes", "category_points", "role_share"):
            if table in spec and (not isinstance(spec[table], dict)
                                  or not all(_number(v) for v in spec[table].values())):
                add(f"{where}.{table}", "An object of names to numbers.")
        for key, value in spec.items():
            if key not in ("weight", "points", "contains", "prefixes", "category_points", "role_share") \
                    and not _number(value):
                add(f"{where}.{key}", "A number.")
        if name == "countries":
            for role in (spec.get("role_share") or {}):
                if role not in COUNTRY_ROLES:
                    add(f"{where}.role_share", f"'{role}' is not one of: {', '.join(COUNTRY_ROLES)}.")
    bands = definition.get("bands")
    if not isinstance(bands, list) or not bands:
        add("bands", "A list of bands, lowest first: {rating, below}, the last without 'below'.")
    else:
        previous = float("-inf")
        for i, band in enumerate(bands):
            if not isinstance(band, dict) or band.get("rating") not in RATINGS[:3]:
                add(f"bands.{i}", f"A band has a rating (one of {', '.join(RATINGS[:3])}).")
                continue
            last = i == len(bands) - 1
            below = band.get("below")
            if last and below is not None:
                add(f"bands.{i}.below", "The last band has no upper limit.")
            if not last:
                if not _number(below) or below <= previous:
                    add(f"bands.{i}.below", "A number above the previous band's.")
                else:
                    previous = float(below)
    for i, rule in enumerate(definition.get("overrides") or []):
        if not isinstance(rule, dict) or rule.get("rule") not in OVERRIDE_RULES:
            add(f"overrides.{i}", f"A rule is one of: {', '.join(OVERRIDE_RULES)}.")
            continue
        target = rule.get("rating") or rule.get("at_least")
        if target not in RATINGS or ("rating" in rule) == ("at_least" in rule):
            add(f"overrides.{i}", f"Give either 'rating' or 'at_least', one of: {', '.join(RATINGS)}.")
        if rule["rule"] == "open_alerts" and not _number(rule.get("above", 0)):
            add(f"overrides.{i}.above", "A number.")
    levels = definition.get("cdd_levels")
    years = definition.get("review_years")
    for rating in RATINGS:
        if not isinstance(levels, dict) or levels.get(rating) not in CDD_LEVELS:
            add(f"cdd_levels.{rating}", f"One of: {', '.join(CDD_LEVELS)}.")
        if not isinstance(years, dict) or not _number(years.get(rating)) or not 0 < years[rating] <= 10:
            add(f"review_years.{rating}", "A number of years above 0, at most 10.")
    return errors


def _table(spec: Mapping[str, Any], name: str) -> dict[str, float]:
    return {str(k).casefold(): float(v) for k, v in (spec.get(name) or {}).items()}


Scorer = Callable[[RiskInputs], FactorResult]


def _factor_scorers(factors: Mapping[str, Any], countries: CountryTable) -> list[Scorer]:
    scorers: list[Scorer] = []

    def weight(name: str) -> float:
        return float(factors[name].get("weight", 1.0))

    if "customer_type" in factors:
        points, w = _table(factors["customer_type"], "points"), weight("customer_type")

        def customer_type(i: RiskInputs) -> FactorResult:
            value = i.get("customer_type")
            return FactorResult("customer_type", value, points.get(str(value), 0.0), w, f"customer type {value}")

        scorers.append(customer_type)

    def contains_scorer(name: str, input_key: str) -> Scorer:
        words, w = _table(factors[name], "contains"), weight(name)

        def scorer(i: RiskInputs) -> FactorResult:
            value = i.get(input_key)
            text = str(value or "").casefold()
            found = [(p, word) for word, p in words.items() if word in text]
            if not found:
                return FactorResult(name, value, 0.0, w, "nothing of higher risk" if value else "not given")
            best, word = max(found)
            return FactorResult(name, value, best, w, f"{name.replace('_', ' ')} mentions {word}")

        return scorer

    if "legal_form" in factors:
        scorers.append(contains_scorer("legal_form", "legal_form"))
    if "occupation" in factors:
        scorers.append(contains_scorer("occupation", "occupation"))

    if "industry" in factors:
        prefixes, w_industry = _table(factors["industry"], "prefixes"), weight("industry")
        ordered = sorted(prefixes.items(), key=lambda kv: -len(kv[0]))

        def industry(i: RiskInputs) -> FactorResult:
            code = str(i.get("industry_code") or "")
            for prefix, p in ordered:
                if code.startswith(prefix):
                    return FactorResult("industry", code, p, w_industry, f"industry code {prefix}*")
            return FactorResult("industry", code or None, 0.0, w_industry,
                                "nothing of higher risk" if code else "not given")

        scorers.append(industry)

    def list_scorer(name: str) -> Scorer:
        points, w = _table(factors[name], "points"), weight(name)

        def scorer(i: RiskInputs) -> FactorResult:
            values = [str(v) for v in i.get(name) or []]
            scored = [(points.get(v.casefold(), 0.0), v) for v in values]
            if not scored:
                return FactorResult(name, values, 0.0, w, "none given")
            best, which = max(scored)
            return FactorResult(name, values, best, w, which if best else "nothing of higher risk")

        return scorer

    for name in ("products", "channels"):
        if name in factors:
            scorers.append(list_scorer(name))

    if "countries" in factors:
        category_points = _table(factors["countries"], "category_points")
        share = {role: float(v) for role, v in (factors["countries"].get("role_share") or {}).items()}
        w_countries = weight("countries")

        def countries_factor(i: RiskInputs) -> FactorResult:
            given = i.get("countries") or {}
            best, why = 0.0, "no country of higher risk"
            for role, codes in given.items():
                for code in codes or []:
                    categories = sorted(countries.of(code), key=lambda c: (-category_points.get(c, 0.0), c))
                    if not categories:
                        continue
                    p = category_points.get(categories[0], 0.0) * share.get(role, 0.0)
                    if p > best:
                        best = p
                        why = f"{role} {code}: " + "; ".join(countries.labels.get(c, c) for c in categories)
            return FactorResult("countries", {r: list(c) for r, c in given.items() if c}, round(best, 2),
                                w_countries, why)

        scorers.append(countries_factor)

    if "pep" in factors:
        points_pep, w_pep = _table(factors["pep"], "points"), weight("pep")

        def pep(i: RiskInputs) -> FactorResult:
            value = i.get("pep")
            source = i.get("pep_source") or "declared"
            if not value:
                return FactorResult("pep", None, 0.0, w_pep, "not a politically exposed person")
            return FactorResult("pep", value, points_pep.get(str(value), 0.0), w_pep,
                                f"{str(value).replace('_', ' ')} ({source})")

        scorers.append(pep)

    if "screening" in factors:
        spec = factors["screening"]
        per, cap, w_screening = float(spec.get("per_open_alert", 0)), float(spec.get("max", 0)), weight("screening")

        def screening(i: RiskInputs) -> FactorResult:
            s = i.get("screening") or {}
            open_alerts = int(s.get("open_alerts", 0))
            value = {"open_alerts": open_alerts, "confirmed_matches": int(s.get("confirmed_matches", 0))}
            p = min(per * open_alerts, cap) if cap else per * open_alerts
            why = f"{open_alerts} open alert(s)" if open_alerts else "no open alerts"
            return FactorResult("screening", value, p, w_screening, why)

        scorers.append(screening)

    if "ownership" in factors:
        o = factors["ownership"]
        w_own = weight("ownership")

        def ownership(i: RiskInputs) -> FactorResult:
            own = i.get("ownership")
            if not own:
                return FactorResult("ownership", None, 0.0, w_own, "no ownership structure")
            parts: list[str] = []
            p = 0.0
            layers = int(own.get("layers", 0))
            if layers > 1:
                layer_points = float(o.get("per_layer_above_one", 0)) * (layers - 1)
                p += min(layer_points, float(o.get("max_layers_points", layer_points)))
                parts.append(f"{layers} layers")
            if own.get("cycles"):
                p += float(o.get("cycle", 0))
                parts.append("circular ownership")
            unidentified = float(own.get("unidentified_share", 0))
            if unidentified > float(o.get("unidentified_above", 100)):
                p += float(o.get("unidentified_points", 0))
                parts.append(f"{unidentified:g}% not identified")
            if own.get("nominee_or_trust"):
                p += float(o.get("nominee_or_trust", 0))
                parts.append("nominee or trust arrangement")
            return FactorResult("ownership", dict(own), p, w_own, ", ".join(parts) or "simple ownership")

        scorers.append(ownership)

    if "relationship" in factors:
        r = factors["relationship"]
        under, new_points, w_rel = float(r.get("new_under_years", 0)), float(r.get("new_points", 0)), \
            weight("relationship")

        def relationship(i: RiskInputs) -> FactorResult:
            years = float(i.get("relationship_years") or 0)
            if years < under:
                return FactorResult("relationship", round(years, 2), new_points, w_rel,
                                    f"relationship under {under:g} year(s)")
            return FactorResult("relationship", round(years, 2), 0.0, w_rel, f"{years:.1f} years")

        scorers.append(relationship)

    if "documents" in factors:
        d = factors["documents"]
        per_doc, cap_doc, w_docs = float(d.get("per_expired", 0)), float(d.get("max", 0)), weight("documents")

        def documents(i: RiskInputs) -> FactorResult:
            expired = int((i.get("documents") or {}).get("expired", 0))
            p = min(per_doc * expired, cap_doc) if cap_doc else per_doc * expired
            return FactorResult("documents", {"expired": expired}, p, w_docs,
                                f"{expired} expired document(s)" if expired else "no expired documents")

        scorers.append(documents)
    return scorers


@dataclass
class CompiledModel:
    version: int
    definition: dict[str, Any]
    countries: CountryTable
    scorers: list[Scorer]
    bands: list[tuple[float, str]]  # (upper bound, rating), the last bound infinite
    overrides: list[dict[str, Any]]
    cdd_levels: dict[str, str]
    review_years: dict[str, float]

    def band(self, score: float) -> str:
        for upper, rating in self.bands:
            if score < upper:
                return rating
        return self.bands[-1][1]

    def _override_applies(self, rule: Mapping[str, Any], inputs: RiskInputs) -> str | None:
        name = rule["rule"]
        screening = inputs.get("screening") or {}
        if name == "confirmed_sanctions_match":
            n = int(screening.get("confirmed_matches", 0))
            return f"{n} confirmed sanctions match(es)" if n else None
        if name == "pep":
            return f"{str(inputs['pep']).replace('_', ' ')}" if inputs.get("pep") else None
        if name == "open_alerts":
            n = int(screening.get("open_alerts", 0))
            return f"{n} open alert(s)" if n > float(rule.get("above", 0)) else None
        category = "comprehensively_sanctioned" if name == "comprehensively_sanctioned_country" \
            else "fatf_call_for_action"
        for role in ("residence", "incorporation", "nationality", "operations"):
            for code in (inputs.get("countries") or {}).get(role) or []:
                if category in self.countries.of(code):
                    return f"{role} {code}"
        return None

    def assess(self, inputs: RiskInputs) -> RiskResult:
        """Score ``inputs`` and explain it: each factor's part, then the override rules."""
        factors = [scorer(inputs) for scorer in self.scorers]
        score = round(sum(f.contribution for f in factors), 2)
        score_rating = rating = self.band(score)
        applied: list[dict[str, Any]] = []
        for rule in self.overrides:
            why = self._override_applies(rule, inputs)
            if why is None:
                continue
            # Every rule that holds is listed, also when the score alone reached its rating: it stops a manual
            # rating from going below it, and an analyst should see it.
            before = rating
            if "rating" in rule:
                rating = rule["rating"]
                label = f"{RULE_LABELS[rule['rule']]} → {rule['rating']}"
            else:
                if RANK[rule["at_least"]] > RANK[rating]:
                    rating = rule["at_least"]
                label = f"{RULE_LABELS[rule['rule']]} → at least {rule['at_least']}"
            applied.append({"rule": rule["rule"], "rating": rule.get("rating") or rule["at_least"],
                            "at_least": "at_least" in rule, "why": why, "label": label,
                            "changed": rating != before})
        return RiskResult(score=score, score_rating=score_rating, rating=rating, cdd_level=self.cdd_levels[rating],
                          review_years=self.review_years[rating], factors=factors, overrides=applied)

    def rate(self, inputs: RiskInputs) -> str:
        """Only the rating (the what-if report and the book re-rating need no explanation)."""
        return self.assess(inputs).rating


def model_compile(*, version: int, definition: dict[str, Any], countries: CountryTable) -> CompiledModel:
    """Check a definition and prepare it for scoring; ``ModelInvalid`` names every problem."""
    errors = model_problems(definition)
    if errors:
        raise ModelInvalid(errors)
    bands = [(float(b["below"]) if "below" in b and b["below"] is not None else float("inf"), str(b["rating"]))
             for b in definition["bands"]]
    return CompiledModel(
        version=version, definition=definition, countries=countries,
        scorers=_factor_scorers(definition["factors"], countries), bands=bands,
        overrides=list(definition.get("overrides") or []),
        cdd_levels={r: str(definition["cdd_levels"][r]) for r in RATINGS},
        review_years={r: float(definition["review_years"][r]) for r in RATINGS},
    )


def rating_raised(before: str | None, after: str) -> bool:
    return before in RANK and RANK[after] > RANK[str(before)]


@dataclass
class WhatIf:
    """How a book would move from one model to another: counts per (current, proposed) rating."""

    total: int = 0
    moves: dict[tuple[str, str], int] = field(default_factory=dict)

    def add(self, current: str, proposed: str) -> None:
        self.total += 1
        self.moves[(current, proposed)] = self.moves.get((current, proposed), 0) + 1

    def merge(self, other: WhatIf) -> None:
        self.total += other.total
        for key, n in other.moves.items():
            self.moves[key] = self.moves.get(key, 0) + n

    def changed(self) -> int:
        return sum(n for (a, b), n in self.moves.items() if a != b)

    def by_rating(self, which: int) -> dict[str, int]:
        out = dict.fromkeys(RATINGS, 0)
        for key, n in self.moves.items():
            out[key[which]] = out.get(key[which], 0) + n
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "changed": self.changed(), "current": self.by_rating(0),
                "proposed": self.by_rating(1),
                "moves": [{"from": a, "to": b, "customers": n} for (a, b), n in sorted(
                    self.moves.items(), key=lambda kv: (RANK.get(kv[0][0], 9), RANK.get(kv[0][1], 9)))]}


def whatif(*, current: CompiledModel, proposed: CompiledModel, book: Any) -> WhatIf:
    """Rate every customer's inputs in ``book`` (an iterable of RiskInputs) under both models."""
    result = WhatIf()
    for inputs in book:
        result.add(current.rate(inputs), proposed.rate(inputs))
    return result
