"""Field rules: countries, partial dates, LEIs, percentages, required fields per customer type."""

from __future__ import annotations

from datetime import date

import pytest

from apps.customers.validation import (
    country_problem,
    lei_problem,
    name_normalise,
    name_prefix_key,
    ownership_sum_problem,
    partial_date_problem,
    status_transition_problem,
    type_problems,
)

TODAY = date(2026, 11, 26)


@pytest.mark.parametrize("value", ["1984", "1984-03", "1984-03-17", "2026-11-26", "2026", "2026-11"])
def test_full_and_partial_dates_in_the_past_are_accepted(value: str) -> None:
    assert partial_date_problem(value, today=TODAY) is None


@pytest.mark.parametrize(("value", "problem"), [
    ("2026-11-27", "in the future"),
    ("2027", "in the future"),
    ("2026-12", "in the future"),
    ("1984-02-30", "not a real calendar date"),
    ("1984-13", "not a real calendar date"),
    ("17/03/1984", "not a date in the form"),
    ("84", "not a date in the form"),
    ("1700-01-01", "before 1800"),
])
def test_impossible_or_future_dates_are_refused_with_the_reason(value: str, problem: str) -> None:
    assert problem in (partial_date_problem(value, today=TODAY) or "")


def test_a_full_date_can_be_required() -> None:
    assert "YYYY-MM-DD" in (partial_date_problem("1984-03", today=TODAY, allow_partial=False) or "")


@pytest.mark.parametrize("code", ["GB", "DE", "US", "XK", "CW"])
def test_iso_country_codes_are_accepted(code: str) -> None:
    assert country_problem(code) is None


@pytest.mark.parametrize("code", ["gb", "UK", "EU", "ZZ", "GBR", ""])
def test_non_iso_country_codes_are_refused(code: str) -> None:
    assert "ISO 3166-1 alpha-2" in (country_problem(code) or "")


def test_an_lei_with_good_check_digits_passes_and_a_typo_fails() -> None:
    assert lei_problem("5493001KJTIIGC8Y1R12") is None  # Bloomberg's published LEI
    assert "check digits" in (lei_problem("5493001KJTIIGC8Y1R13") or "")
    assert "20 characters" in (lei_problem("5493001KJT") or "")


def test_holders_of_one_entity_may_sum_to_100_but_not_more() -> None:
    assert ownership_sum_problem([50, 25, 25]) is None
    assert ownership_sum_problem([33.3333, 33.3333, 33.3334]) is None
    assert "100.5%" in (ownership_sum_problem([50, 50.5]) or "")
    assert ownership_sum_problem([None, 60, 40]) is None


def test_individuals_and_entities_need_their_own_fields_and_refuse_the_others() -> None:
    errors = type_problems(customer_type="individual", values={"legal_name": "A", "registration_number": "1"})
    assert set(errors) == {"date_of_birth", "nationalities", "country_of_residence", "registration_number"}
    assert errors["registration_number"] == ["This field does not apply to an individual."]
    errors = type_problems(customer_type="legal_entity", values={"legal_name": "B", "date_of_birth": "1990"})
    assert errors["registration_number"] == ["This field is required for a legal entity."]
    assert errors["date_of_birth"] == ["This field does not apply to a legal entity."]


def test_status_moves_forward_and_exited_is_final() -> None:
    assert status_transition_problem("prospect", "onboarding") is None
    assert status_transition_problem("active", "suspended") is None
    assert status_transition_problem("suspended", "active") is None
    assert "cannot move from 'exited' to 'active'" in (status_transition_problem("exited", "active") or "")
    assert "allowed from 'prospect': active, exited, onboarding, rejected" in (
        status_transition_problem("prospect", "suspended") or "")
    assert "cannot move from 'rejected' to 'active'" in (status_transition_problem("rejected", "active") or "")


def test_names_normalise_to_plain_lower_case_words_for_prefix_search() -> None:
    assert name_normalise("  Müller-Lüdenscheidt GmbH ") == "muller ludenscheidt gmbh"
    assert name_normalise("Ōsaka Trading Co.") == "osaka trading co"
    assert name_normalise("Владимир Петров") == "vladimir petrov"
    assert name_prefix_key("muller") == "mu"
    assert name_prefix_key("x") == "x_"
