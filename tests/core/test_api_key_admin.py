"""Issuing an API key in the admin: the key is in the answer to the POST only — never in a cookie or the session."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]
ADD = "/admin/core/apikey/add/"
KEY = re.compile(r"cdd_[A-Za-z0-9_\-]{20,}")


def test_a_platform_admin_issues_a_key_that_is_shown_once_and_works(platform_admin: User,
                                                                     integration_user: Any) -> None:
    browser = Client()
    browser.force_login(platform_admin)
    assert browser.get(ADD).status_code == 200
    response = browser.post(ADD, {"name": "core banking", "user": integration_user.pk,
                                  "scopes": ["customers:read"]})
    assert response.status_code == 201
    body = response.content.decode()
    assert "Copy the key now; it is not shown again." in body
    [full] = set(KEY.findall(body))
    # Not carried anywhere a later request could read it: no cookie set by this answer, nothing in the session.
    assert all(full not in morsel.value for morsel in response.cookies.values())
    assert all(full not in str(s.get_decoded()) for s in Session.objects.all())
    listing = browser.get("/admin/core/apikey/").content.decode()
    assert full not in listing and "core banking" in listing
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Api-Key {full}")
    answer = api.get("/api/v1/customers?status=active")
    assert answer.status_code == 200, answer.content
