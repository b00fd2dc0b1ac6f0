"""Webhook endpoints in the admin: a platform admin registers one for an integration (its secret shown once), changes
its URL, events and description against the version it saw, and rotates its secret with an overlap."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from apps.audit.models import AuditEvent
from apps.audit.services import chain_key
from apps.core.events import CATALOGUE
from apps.core.roles import INTEGRATION
from apps.core.webhooks import selectors, services
from apps.core.webhooks.admin_views import _when
from apps.core.webhooks.models import WebhookEndpoint
from apps.core.webhooks.secrets import secret_new
from tests.core.test_webhooks import OWN, Receiver, _client, create_customer, deliver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]

LIST = "/admin/domain/webhooks/"
ADD = "/admin/domain/webhooks/add/"
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")
ONCE = "copy it now; it is not shown again"


def page_of(endpoint_id: str) -> str:
    return f"/admin/domain/webhooks/endpoints/{endpoint_id}/"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def integrations(db: Any) -> dict[str, User]:
    """Two integration service accounts, known by their full names."""
    made = {}
    for username, first, last in (("portal", "Onboarding", "Portal"), ("corebank", "Core", "Banking")):
        user = User.objects.create_user(username=username, first_name=first, last_name=last)
        user.groups.set(Group.objects.filter(name=INTEGRATION))
        made[username] = user
    return made


@pytest.fixture
def admin(platform_admin: User) -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(platform_admin)
    return browser


def csrf(browser: Client, url: str = ADD) -> str:
    response = browser.get(url)
    assert response.status_code == 200
    return str(response.cookies["csrftoken"].value if "csrftoken" in response.cookies
               else browser.cookies["csrftoken"].value)


def register(browser: Client, **fields: Any) -> Any:
    data = {"integration": "portal", "url": "https://93.184.215.14/cdd", "events": ["customer.created"],
            "description": "", **fields}
    return browser.post(ADD, {**data, "csrfmiddlewaretoken": csrf(browser)})


def field_errors(body: str, field: str) -> str:
    """The error list Django renders next to a field (``id_<field>_error``), as text."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', body, re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))) if found else ""


def only_endpoint() -> WebhookEndpoint:
    (endpoint,) = selectors.webhook_endpoints_all()
    return endpoint


def audit(endpoint: WebhookEndpoint) -> list[AuditEvent]:
    return list(AuditEvent.query(chain_key("webhook_endpoint", endpoint.endpoint_id)))


# --- registering ----------------------------------------------------------------------------------------------


def test_the_list_offers_registration_and_the_form_names_integrations_and_public_events(
        admin: Client, integrations: dict[str, User]) -> None:
    listing = admin.get(LIST).content.decode()
    assert f'href="{ADD}"' in listing and "Add webhook endpoint" in listing
    form = admin.get(ADD).content.decode()
    assert '<option value="portal">Onboarding Portal</option>' in form
    assert '<option value="corebank">Core Banking</option>' in form
    for kind in CATALOGUE:
        label = f"{html.escape(kind.description)} <code>{kind.name}</code>"
        assert (label in form) is kind.public, kind.name
    assert "version 1" in form
    (every,) = re.findall(r'<input type="checkbox" name="every_customer"[^>]*>', form)
    assert "checked" not in every  # confined to its own integration's customers unless the admin says otherwise
    assert "the endpoint hears only about the customers this integration created" in form


def test_registering_in_the_admin_shows_the_secret_once_and_it_verifies_a_real_delivery(
        admin: Client, integrations: dict[str, User], receiver: Receiver, platform_admin: User) -> None:
    response = register(admin, url=receiver.url, events=["customer.created", "case.decided"],
                        description="onboarding portal hooks")
    assert response.status_code == 201
    body = response.content.decode()
    assert ONCE in body
    (secret,) = set(SECRET.findall(body))
    assert "no-store" in response["Cache-Control"]
    endpoint = only_endpoint()
    assert (endpoint.integration, endpoint.confined, endpoint.url, endpoint.events, endpoint.description) == (
        "portal", True, receiver.url, ["customer.created", "case.decided"], "onboarding portal hooks")
    (created,) = audit(endpoint)
    assert created.action == "webhook_endpoint.created" and created.actor["name"] == platform_admin.username
    assert secret not in str(created.attribute_values)
    # Not kept anywhere the next request could read it: no cookie, no session.
    assert all(secret not in morsel.value for morsel in admin.cookies.values())
    assert secret not in str(dict(admin.session.items()))
    later = admin.get(page_of(endpoint.endpoint_id)).content.decode()
    assert secret not in later and ONCE not in later and not SECRET.search(later)
    assert "receives events about its own customers only" in later

    create_customer(_client("portal", OWN))
    deliver()
    headers, sent = receiver.requests[-1]
    assert Webhook(secret).verify(sent, headers)["type"] == "customer.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(secret_new()).verify(sent, headers)


def test_an_endpoint_for_every_integrations_customers_says_so_on_its_page(
        admin: Client, integrations: dict[str, User]) -> None:
    assert register(admin, integration="corebank", every_customer="on").status_code == 201
    endpoint = only_endpoint()
    assert endpoint.integration == "corebank" and endpoint.confined is False
    page = admin.get(page_of(endpoint.endpoint_id)).content.decode()
    assert ('class="wh-warning" role="note"><strong>This endpoint receives events about every integration\'s '
            "customers</strong>") in page.replace("&#x27;", "'")


@pytest.mark.parametrize(("url", "private_allowed", "problem"), [
    ("ftp://x", True, "must start with https://"),
    ("https://10.1.2.3/hooks", False, "10.1.2.3 is a private address"),
    ("http://169.254.169.254/latest/meta-data/", True, "cloud metadata address"),
])
def test_a_refused_url_is_shown_by_its_field_keeps_the_entries_and_registers_nothing(
        admin: Client, integrations: dict[str, User], settings: Any, url: str, private_allowed: bool,
        problem: str) -> None:
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = private_allowed
    response = register(admin, url=url, events=["case.decided"], description="kept as typed")
    assert response.status_code == 400
    body = response.content.decode()
    assert problem in field_errors(body, "url")
    assert f'value="{html.escape(url)}"' in body and "kept as typed</textarea>" in body
    assert re.search(r'<input[^>]*value="case.decided"[^>]*checked', body)
    assert '<option value="portal" selected>' in body
    assert "Nothing was registered" in body and not SECRET.search(body)
    assert selectors.webhook_endpoints_all() == []


def test_missing_choices_are_named_by_their_fields(admin: Client, integrations: dict[str, User]) -> None:
    response = register(admin, integration="", events=[], url="")
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose the integration." in field_errors(body, "integration")
    assert "Choose at least one event." in field_errors(body, "events")
    assert "Enter the URL" in field_errors(body, "url")
    unknown = register(admin, integration="ana.analyst")
    assert unknown.status_code == 400 and "not one of the available choices" in field_errors(
        unknown.content.decode(), "integration")
    assert selectors.webhook_endpoints_all() == []


def test_a_registration_without_the_csrf_token_is_refused(admin: Client,
                                                          integrations: dict[str, User]) -> None:
    response = admin.post(ADD, {"integration": "portal", "url": "https://hooks.example.test/cdd",
                                "events": ["customer.created"]})
    assert response.status_code == 403 and selectors.webhook_endpoints_all() == []


# --- changing -------------------------------------------------------------------------------------------------


def test_editing_changes_the_events_and_description_and_is_audited(
        admin: Client, integrations: dict[str, User], platform_admin: User) -> None:
    register(admin)
    endpoint = only_endpoint()
    page = admin.get(page_of(endpoint.endpoint_id)).content.decode()
    assert f'name="version" value="{endpoint.version}"' in page
    response = admin.post(f"{page_of(endpoint.endpoint_id)}edit/", {
        "url": endpoint.url, "events": ["case.decided", "document.expired"], "description": "decisions only",
        "version": endpoint.version, "csrfmiddlewaretoken": csrf(admin, page_of(endpoint.endpoint_id))})
    assert response.status_code == 302 and response["Location"] == page_of(endpoint.endpoint_id)
    changed = only_endpoint()
    assert changed.events == ["case.decided", "document.expired"] and changed.description == "decisions only"
    updated = [e for e in audit(changed) if e.action == "webhook_endpoint.updated"]
    assert len(updated) == 1 and updated[0].actor["name"] == platform_admin.username
    shown = admin.get(page_of(endpoint.endpoint_id)).content.decode()
    assert "are saved" in shown and "A reviewer approved or rejected a case. (case.decided, v1)" in shown


def test_an_edit_against_a_stale_version_says_reload_and_changes_nothing(
        admin: Client, integrations: dict[str, User], system_actor: Any) -> None:
    register(admin)
    seen = only_endpoint()
    services.webhook_endpoint_update(endpoint_id=seen.endpoint_id, actor=system_actor,
                                     changes={"description": "changed by the integration"})
    response = admin.post(f"{page_of(seen.endpoint_id)}edit/", {
        "url": seen.url, "events": ["case.decided"], "description": "mine", "version": seen.version,
        "csrfmiddlewaretoken": csrf(admin, page_of(seen.endpoint_id))})
    assert response.status_code == 409
    body = response.content.decode()
    assert "changed meanwhile" in body and "Reload the endpoint" in body
    assert "mine</textarea>" in body  # what the admin typed is still there to copy
    now = only_endpoint()
    assert now.events == ["customer.created"] and now.description == "changed by the integration"


def test_an_edit_to_a_refused_url_is_shown_by_the_field(admin: Client, integrations: dict[str, User],
                                                        settings: Any) -> None:
    register(admin)
    endpoint = only_endpoint()
    settings.CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    response = admin.post(f"{page_of(endpoint.endpoint_id)}edit/", {
        "url": "https://192.168.1.9/h", "events": ["customer.created"], "description": "",
        "version": endpoint.version, "csrfmiddlewaretoken": csrf(admin, page_of(endpoint.endpoint_id))})
    assert response.status_code == 400
    assert "192.168.1.9 is a private address" in field_errors(response.content.decode(), "url")
    assert only_endpoint().url == endpoint.url


def test_changes_are_post_only(admin: Client, integrations: dict[str, User]) -> None:
    register(admin)
    endpoint = only_endpoint()
    for action in ("edit/", "rotate-secret/"):
        assert admin.get(f"{page_of(endpoint.endpoint_id)}{action}").status_code == 405


# --- rotating -------------------------------------------------------------------------------------------------


def test_rotating_shows_the_new_secret_once_and_the_page_shows_the_old_ones_expiry(
        admin: Client, integrations: dict[str, User], receiver: Receiver, settings: Any) -> None:
    settings.CDD_WEBHOOKS_ROTATION_OVERLAP_HOURS = 6
    (first,) = set(SECRET.findall(register(admin, url=receiver.url).content.decode()))
    endpoint = only_endpoint()
    page = admin.get(page_of(endpoint.endpoint_id)).content.decode()
    assert re.search(r'name="overlap_hours" value="6"', page)
    response = admin.post(f"{page_of(endpoint.endpoint_id)}rotate-secret/", {
        "overlap_hours": "2", "csrfmiddlewaretoken": csrf(admin, page_of(endpoint.endpoint_id))})
    assert response.status_code == 200
    body = response.content.decode()
    (second,) = set(SECRET.findall(body))
    assert second != first and ONCE in body and "no-store" in response["Cache-Control"]
    rotated = only_endpoint()
    old_until = rotated.secrets[1]["expires_at"]
    readable = _when(old_until)
    assert f"The previous secret (secret 1) stays valid <strong>until {readable}</strong>" in body
    later = admin.get(page_of(endpoint.endpoint_id)).content.decode()
    assert not SECRET.search(later) and ONCE not in later
    assert "Secret 1: made" in later and f"valid until {readable}" in later
    assert "Secret 2: made" in later and "valid until the next rotation" in later
    assert [e.action for e in audit(rotated)][-1] == "webhook_endpoint.secret_rotated"

    create_customer(_client("portal", OWN))
    deliver()
    assert receiver.verified(second)["type"] == "customer.created"
    assert receiver.verified(first)["type"] == "customer.created"  # the overlap: both sign


@pytest.mark.parametrize("hours", ["169", "-1", "soon", ""])
def test_an_overlap_out_of_bounds_is_shown_by_its_field_and_rotates_nothing(
        admin: Client, integrations: dict[str, User], hours: str) -> None:
    register(admin)
    endpoint = only_endpoint()
    response = admin.post(f"{page_of(endpoint.endpoint_id)}rotate-secret/", {
        "overlap_hours": hours, "csrfmiddlewaretoken": csrf(admin, page_of(endpoint.endpoint_id))})
    assert response.status_code == 400
    body = response.content.decode()
    assert field_errors(body, "overlap_hours") and "was not rotated" in body and not SECRET.search(body)
    assert len(only_endpoint().secrets) == 1


# --- who may ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["analyst", "auditor", "senior_reviewer", "reviewer"])
def test_other_roles_cannot_open_or_use_the_new_pages(
        request: pytest.FixtureRequest, admin: Client, integrations: dict[str, User], persona: str) -> None:
    register(admin)
    endpoint = only_endpoint()
    user = request.getfixturevalue(persona)
    other = Client()
    other.force_login(user)
    pages = [ADD, f"{page_of(endpoint.endpoint_id)}edit/", f"{page_of(endpoint.endpoint_id)}rotate-secret/"]
    posts = [{"integration": "portal", "url": "https://hooks.example.test/x", "events": ["case.decided"]},
             {"url": "https://hooks.example.test/x", "events": ["case.decided"], "version": endpoint.version},
             {"overlap_hours": "0"}]
    for url, data in zip(pages, posts, strict=True):
        for response in (other.get(url), other.post(url, data)):
            if persona == "reviewer":  # not an admin role at all: the admin sends them to its sign-in
                assert response.status_code == 302 and "/admin/login/" in response["Location"]
            else:
                assert response.status_code == 403, (url, response.status_code)
                assert not SECRET.search(response.content.decode())
    after = only_endpoint()
    assert (len(selectors.webhook_endpoints_all()), after.events, len(after.secrets), after.version) == (
        1, endpoint.events, 1, endpoint.version)
