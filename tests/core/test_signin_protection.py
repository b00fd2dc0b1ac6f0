"""Guessing passwords and API keys: lockouts by account and by address, and every sign-in on the trail."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-test-password"  # the personas' (tests/conftest.py)
LIMIT = 5  # CDD_SIGNIN_FAILURE_LIMIT's default


def _events(chain: str) -> list[AuditEvent]:
    return [e for e in AuditEvent.query(chain) if e.action]


@pytest.fixture
def web(settings: Any) -> Any:
    settings.ROOT_URLCONF = "cdd.urls.web"
    return lambda ip="198.51.100.10", **extra: Client(REMOTE_ADDR=ip, **extra)


@pytest.fixture
def admin_service(settings: Any) -> Any:
    settings.ROOT_URLCONF = "cdd.urls.admin"
    return lambda ip="198.51.100.10", **extra: Client(REMOTE_ADDR=ip, **extra)


def _web_sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def _admin_sign_in(client: Client, username: str, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password, "next": "/admin/"})


# --- web and admin: by account ----------------------------------------------------------------


def test_the_web_sign_in_locks_an_account_after_repeated_wrong_passwords(aws: None, web: Any, analyst: Any) -> None:
    answers = [_web_sign_in(web(f"198.51.100.{i}"), analyst.username, "wrong-guess").status_code
               for i in range(LIMIT)]
    assert answers == [200] * (LIMIT - 1) + [429]

    client = web("203.0.113.50")  # another address: the account itself is locked
    response = _web_sign_in(client, analyst.username, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Sign-in locked" in page and "Try again in 15 minutes" in page
    assert "ask a platform admin" in page
    assert int(response["Retry-After"]) > 14 * 60
    assert client.get("/").status_code == 302  # not signed in


def test_the_admin_sign_in_locks_an_account_and_says_how_to_get_unlocked(aws: None, admin_service: Any,
                                                                         analyst: Any) -> None:
    answers = [_admin_sign_in(admin_service(f"198.51.100.{i}"), analyst.username, "wrong-guess").status_code
               for i in range(LIMIT)]
    assert answers == [200] * (LIMIT - 1) + [429]
    client = admin_service("203.0.113.50")
    response = _admin_sign_in(client, analyst.username, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "Try again in 15 minutes" in page
    assert "signin_unlock --username" in page
    assert client.get("/admin/").status_code == 302


def test_a_platform_admin_lifts_a_lockout_with_signin_unlock_and_the_trail_says_who_and_why(
        aws: None, web: Any, analyst: Any) -> None:
    from io import StringIO

    for i in range(LIMIT):
        _web_sign_in(web(f"198.51.100.{i}"), analyst.username, "wrong-guess")
    assert _web_sign_in(web("203.0.113.50"), analyst.username, PASSWORD).status_code == 429
    out = StringIO()
    call_command("signin_unlock", "--username", analyst.username, "--reason", "called the helpdesk; identity checked",
                 "--actor", "pat.admin", stdout=out)
    assert "Lifted" in out.getvalue()
    assert _web_sign_in(web("203.0.113.50"), analyst.username, PASSWORD).status_code == 302
    [lifted] = [e for e in _events(f"user#{analyst.pk}")  # one event for the account, not one per attempt row
                if e.action in ("signin.unlocked", "signin.failures_cleared")]
    assert lifted.action == "signin.unlocked"
    assert lifted.actor["name"] == "manage.py signin_unlock (pat.admin)"
    assert lifted.reason == "called the helpdesk; identity checked"
    assert (lifted.data["username"], lifted.data["failures_cleared"], lifted.data["failures_left"]) == (
        analyst.username, LIMIT, 0)
    assert len(lifted.data["addresses"]) == LIMIT


def test_axes_own_reset_command_is_recorded_too_once_for_the_account(aws: None, web: Any, analyst: Any) -> None:
    for i in range(LIMIT):  # five addresses: five attempt rows, one account lockout
        _web_sign_in(web(f"198.51.100.{30 + i}"), analyst.username, "wrong-guess")
    call_command("axes_reset_username", analyst.username)
    assert _web_sign_in(web("203.0.113.50"), analyst.username, PASSWORD).status_code == 302
    [lifted] = [e for e in _events(f"user#{analyst.pk}") if e.action in ("signin.unlocked", "signin.failures_cleared")]
    assert lifted.action == "signin.unlocked" and lifted.data["failures_cleared"] == LIMIT
    assert lifted.actor["name"].startswith("manage.py ") or lifted.actor["name"] == "axes"


def test_deleting_an_attempt_in_the_admin_lifts_the_lockout_on_the_trail(
        aws: None, web: Any, analyst: Any, platform_admin: Any, settings: Any) -> None:
    from axes.models import AccessAttempt

    for _ in range(LIMIT):
        _web_sign_in(web("198.51.100.4"), analyst.username, "wrong-guess")
    [attempt] = AccessAttempt.objects.filter(username=analyst.username)
    settings.ROOT_URLCONF = "cdd.urls.admin"
    admin = Client()
    admin.force_login(platform_admin)
    listed = admin.get("/admin/axes/accessattempt/").content.decode()
    assert "account locked out until" in listed and "address locked out until" in listed
    page = admin.get(f"/admin/axes/accessattempt/{attempt.pk}/delete/")
    assert page.status_code == 200
    deleted = admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 302 and not AccessAttempt.objects.filter(pk=attempt.pk).exists()
    [lifted] = [e for e in _events(f"user#{analyst.pk}") if e.action == "signin.unlocked"]
    assert lifted.actor["name"] == platform_admin.username
    assert lifted.reason == "deleted in the admin (Access attempts)" and lifted.data["addresses"] == ["198.51.100.4"]
    # the address had reached the limit too: its lockout is lifted on its own chain
    [address] = [e for e in _events("signin#address:198.51.100.4") if e.action == "signin.unlocked"]
    assert address.data["usernames"] == [analyst.username]


def test_signin_unlock_says_what_it_needs(aws: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--username NAME or --address IP"):
        call_command("signin_unlock", "--reason", "asked")
    with pytest.raises(CommandError, match="--reason"):
        call_command("signin_unlock", "--username", "nobody", "--reason", "  ")


# --- by address, and the address is the trusted one ---------------------------------------------


def test_one_address_guessing_many_usernames_is_locked_out(aws: None, web: Any, reviewer: Any) -> None:
    answers = [_web_sign_in(web("198.51.100.7"), f"guess{i}", "wrong-guess").status_code for i in range(LIMIT)]
    assert answers[-1] == 429
    assert _web_sign_in(web("198.51.100.7"), reviewer.username, PASSWORD).status_code == 429
    assert _web_sign_in(web("198.51.100.8"), reviewer.username, PASSWORD).status_code == 302


def test_a_forged_forwarded_header_does_not_escape_the_address_lockout(aws: None, web: Any, settings: Any) -> None:
    settings.CDD_TRUSTED_PROXY_HOPS = 1
    alb = "10.20.0.7"
    answers = [
        web(alb).post("/login/", {"username": f"guess{i}", "password": "x"},
                      HTTP_X_FORWARDED_FOR=f"10.0.{i}.1, 198.51.100.7").status_code
        for i in range(LIMIT + 1)
    ]
    assert answers[-2:] == [429, 429]
    other = web(alb).post("/login/", {"username": "guess-other", "password": "x"},
                          HTTP_X_FORWARDED_FOR="198.51.100.7, 198.51.100.99")
    assert other.status_code == 200  # a different client behind the same load balancer


# --- API keys ---------------------------------------------------------------------------------


def test_made_up_api_keys_lock_the_address_out_with_a_json_429(aws: None, api_key: str) -> None:
    guesser = APIClient(REMOTE_ADDR="198.51.100.66")
    codes = []
    for i in range(LIMIT + 2):
        guesser.credentials(HTTP_AUTHORIZATION=f"Api-Key cdd_{i:012d}_guess")
        codes.append(guesser.post("/api/v1/diagnostics/ping").status_code)
    assert codes == [401] * (LIMIT - 1) + [429] * 3

    guesser.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    response = guesser.post("/api/v1/diagnostics/ping")  # even a good key, from the locked address
    assert response.status_code == 429
    body = response.json()
    assert body["code"] == "locked_out"
    assert "Try again in 15 minutes" in body["message"]
    assert int(response["Retry-After"]) > 14 * 60

    elsewhere = APIClient(REMOTE_ADDR="198.51.100.67")
    elsewhere.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    assert elsewhere.post("/api/v1/diagnostics/ping").status_code == 202


def test_failed_api_keys_are_audited_on_the_key_or_the_address(aws: None, api_key: str) -> None:
    prefix = api_key.split("_")[1]
    client = APIClient(REMOTE_ADDR="198.51.100.66")
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key cdd_{prefix}_wrong-secret")
    assert client.post("/api/v1/diagnostics/ping").status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Api-Key cdd_000000000000_guess")
    assert client.post("/api/v1/diagnostics/ping").status_code == 401

    on_key = [e for e in _events(f"api_key#{prefix}") if e.action == "api_key.authentication_failed"]
    assert len(on_key) == 1 and on_key[0].source_ip == "198.51.100.66"
    assert "wrong-secret" not in str(on_key[0].data)
    on_address = _events("signin#address:198.51.100.66")
    assert [e.action for e in on_address] == ["api_key.authentication_failed"]


# --- the audit trail --------------------------------------------------------------------------


def test_a_sign_in_and_a_sign_out_are_audited_with_the_source_address(aws: None, web: Any, reviewer: Any) -> None:
    client = web("198.51.100.20")
    assert _web_sign_in(client, reviewer.username, PASSWORD).status_code == 302
    assert client.post("/logout/").status_code == 302
    events = _events(f"user#{reviewer.pk}")
    assert [e.action for e in events] == ["user.signed_in", "user.signed_out"]
    assert {e.source_ip for e in events} == {"198.51.100.20"}
    assert events[0].actor["id"] == str(reviewer.pk)


def test_admin_sign_in_and_sign_out_are_audited(aws: None, admin_service: Any, analyst: Any) -> None:
    client = admin_service("198.51.100.21")
    assert _admin_sign_in(client, analyst.username, PASSWORD).status_code == 302
    assert client.post("/admin/logout/").status_code == 200
    events = _events(f"user#{analyst.pk}")
    assert [(e.action, e.data["surface"]) for e in events] == [("user.signed_in", "admin"),
                                                               ("user.signed_out", "admin")]


def test_a_failed_sign_in_is_audited_on_the_users_chain_without_the_password(aws: None, web: Any,
                                                                            reviewer: Any) -> None:
    assert _web_sign_in(web("198.51.100.30"), reviewer.username, "Secret-Guess-123").status_code == 200
    events = _events(f"user#{reviewer.pk}")
    assert [e.action for e in events] == ["signin.failed"]
    assert events[0].source_ip == "198.51.100.30"
    assert events[0].data["username"] == reviewer.username
    assert "Secret-Guess-123" not in str(events[0].data)


def test_a_failed_sign_in_for_an_unknown_username_is_audited_on_its_own_chain(aws: None, web: Any) -> None:
    assert _web_sign_in(web("198.51.100.31"), "no.such.person", "whatever").status_code == 200
    events = _events("signin#username:no.such.person")
    assert [e.action for e in events] == ["signin.failed"]
    assert events[0].data["known_user"] is False and events[0].source_ip == "198.51.100.31"


def test_a_lockout_is_audited_once_and_refused_attempts_after_it_are_not(aws: None, web: Any,
                                                                        analyst: Any) -> None:
    for _ in range(LIMIT + 2):
        _web_sign_in(web("198.51.100.40"), analyst.username, "wrong-guess")
    actions = [e.action for e in _events(f"user#{analyst.pk}")]
    assert actions == ["signin.failed"] * LIMIT + ["signin.locked_out"]
