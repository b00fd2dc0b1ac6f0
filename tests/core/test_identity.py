"""Identity changes are audited and duties are segregated: the holes of the security review, closed.

Before: a platform admin could make itself a reviewer, a senior reviewer and a superuser in the stock
user admin, then approve a case, and only Django's LogEntry knew.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.test import Client

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core.errors import Forbidden, ValidationFailed
from apps.core.roles import ANALYST, AUDITOR, PLATFORM_ADMIN, REVIEWER, SENIOR_REVIEWER
from apps.core.services import roles_conflicts, user_change, user_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


def _events(user: User) -> list[AuditEvent]:
    return list(AuditEvent.query(f"user#{user.pk}", AuditEvent.sk.startswith("E#")))


def _admin(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _change_form(user: User, **fields: Any) -> dict[str, Any]:
    data = {"username": user.username, "email": user.email, "first_name": user.first_name,
            "last_name": user.last_name, "is_active": "on" if user.is_active else "",
            "roles": sorted(user.groups.values_list("name", flat=True))}
    data.update(fields)
    return {k: v for k, v in data.items() if v != ""}


def test_a_platform_admin_cannot_make_itself_a_reviewer_or_superuser(platform_admin: User) -> None:
    browser = _admin(platform_admin)
    page = browser.get(f"/admin/auth/user/{platform_admin.pk}/change/")
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()  # shown, not editable
    response = browser.post(f"/admin/auth/user/{platform_admin.pk}/change/", _change_form(
        platform_admin, roles=[PLATFORM_ADMIN, REVIEWER, SENIOR_REVIEWER], is_superuser="on", is_staff="on",
        groups=[g.pk for g in Group.objects.all()]))
    assert response.status_code == 200  # the form again, with the refusal
    assert "segregation of duties" in response.content.decode()
    platform_admin.refresh_from_db()
    assert sorted(platform_admin.groups.values_list("name", flat=True)) == [PLATFORM_ADMIN]
    assert not platform_admin.is_superuser


def test_nobody_changes_their_own_roles_even_to_something_allowed(platform_admin: User) -> None:
    with pytest.raises(Forbidden, match="another platform admin"):
        user_change(user=platform_admin, actor=Actor.from_user(platform_admin), roles=[])


def test_roles_of_both_sides_of_a_four_eyes_control_are_refused_for_anyone(platform_admin: User) -> None:
    assert roles_conflicts([ANALYST, REVIEWER]) and roles_conflicts([PLATFORM_ADMIN, REVIEWER])
    assert roles_conflicts([AUDITOR, ANALYST]) and roles_conflicts([SENIOR_REVIEWER])  # a senior is a reviewer
    assert roles_conflicts([REVIEWER, SENIOR_REVIEWER]) == []
    with pytest.raises(ValidationFailed) as refused:
        user_create(username="both.sides", password=None, roles=[ANALYST, REVIEWER],
                    actor=Actor.from_user(platform_admin))
    assert "approve" in " ".join(refused.value.errors["roles"])
    assert not User.objects.filter(username="both.sides").exists()


def test_a_role_grant_in_the_admin_is_an_event_in_the_trail(platform_admin: User, analyst: User) -> None:
    response = _admin(platform_admin).post(f"/admin/auth/user/{analyst.pk}/change/", _change_form(
        analyst, roles=[REVIEWER], email="ana@bank.example"))
    assert response.status_code == 302, response.content.decode()[:2000]
    [event] = _events(analyst)
    assert event.action == "user.roles_changed"
    assert event.actor["name"] == platform_admin.username
    assert event.data["granted"] == [REVIEWER] and event.data["removed"] == [ANALYST]
    assert event.changes["email"] == {"before": "", "after": "ana@bank.example"}
    assert event.changes["is_staff"] == {"before": True, "after": False}  # reviewers do not use the admin


def test_creating_a_user_and_setting_a_password_in_the_admin_are_audited(platform_admin: User) -> None:
    browser = _admin(platform_admin)
    created = browser.post("/admin/auth/user/add/", {
        "username": "new.analyst", "first_name": "Nia", "last_name": "Okafor", "email": "nia@bank.example",
        "roles": [ANALYST], "usable_password": "true", "password1": "a-long-first-password-42",
        "password2": "a-long-first-password-42"})
    assert created.status_code == 302, created.content.decode()[:3000]
    user = User.objects.get(username="new.analyst")
    assert list(user.groups.values_list("name", flat=True)) == [ANALYST] and user.is_staff
    changed = browser.post(f"/admin/auth/user/{user.pk}/password/", {
        "usable_password": "true", "password1": "another-long-password-43", "password2": "another-long-password-43",
        "set-password": "Change password"})
    assert changed.status_code == 302, changed.content.decode()[:3000]
    user.refresh_from_db()
    assert user.check_password("another-long-password-43")
    events = _events(user)
    assert [e.action for e in events] == ["user.created", "user.password_set"]
    assert all(e.actor["name"] == platform_admin.username for e in events)
    assert events[0].changes["roles"]["after"] == [ANALYST]
    assert "another-long-password-43" not in str([e.changes for e in events] + [e.data for e in events])


def test_users_are_deactivated_not_deleted(platform_admin: User, analyst: User) -> None:
    browser = _admin(platform_admin)
    assert browser.get(f"/admin/auth/user/{analyst.pk}/delete/").status_code == 403
    response = browser.post(f"/admin/auth/user/{analyst.pk}/change/", _change_form(analyst, is_active=""))
    assert response.status_code == 302
    assert [e.action for e in _events(analyst)] == ["user.deactivated"]


def test_the_first_superuser_is_created_by_a_command_that_audits_itself(monkeypatch: Any) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-root-password-7")
    out = io.StringIO()
    call_command("createsuperuser", "--noinput", "--username", "root", "--email", "root@bank.example", stdout=out)
    user = User.objects.get(username="root")
    assert user.is_superuser and user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == [PLATFORM_ADMIN]
    [event] = _events(user)
    assert event.action == "user.created" and event.actor["kind"] == "system"
    assert event.actor["name"].startswith("createsuperuser (")
    assert event.changes["is_superuser"]["after"] is True
    assert "audit trail" in out.getvalue()


def test_a_platform_admin_holds_no_case_role_so_cannot_approve(platform_admin: User, client_for: Any) -> None:
    from apps.reviews import services

    case = services.case_open_onboarding(customer_id="cus-x", actor=Actor.system("tests"))
    response = client_for(platform_admin).post(f"/api/v1/cases/{case.case_id}/approve", {"rationale": "x"},
                                               format="json")
    assert response.status_code == 403


def test_changing_your_own_password_in_the_admin_is_audited(analyst: User) -> None:
    analyst.set_password("the-old-long-password-1")
    analyst.save()
    browser = _admin(analyst)
    response = browser.post("/admin/password_change/", {
        "old_password": "the-old-long-password-1", "new_password1": "the-new-long-password-2",
        "new_password2": "the-new-long-password-2"})
    assert response.status_code == 302, response.content.decode()[:2000]
    analyst.refresh_from_db()
    assert analyst.check_password("the-new-long-password-2")
    [event] = _events(analyst)
    assert (event.action, event.actor["name"], event.data["own"]) == ("user.password_set", analyst.username, True)
