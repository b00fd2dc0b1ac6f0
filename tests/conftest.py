"""Shared fixtures: AWS on in-process moto, personas with roles, API clients."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from moto import mock_aws
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.core import aws as core_aws
from apps.core import health
from apps.core.roles import ANALYST, AUDITOR, INTEGRATION, PLATFORM_ADMIN, REVIEWER, SCOPES, SENIOR_REVIEWER


@pytest.fixture(scope="session")
def aws_session() -> Iterator[None]:
    """In-process AWS (moto) for the whole run, with the platform's buckets, key and queues."""
    from django.conf import settings

    from apps.core.bootstrap import aws_resources_ensure

    settings.AWS_ENDPOINT_URL = None
    with mock_aws():
        core_aws.clients_reset()
        aws_resources_ensure()
        yield
    core_aws.clients_reset()


@pytest.fixture
def aws(aws_session: None, settings: Any) -> Iterator[None]:
    """Fresh DynamoDB tables for this test (a table prefix of its own); buckets and queues are shared.

    Tables are created with one CreateTable call each: ``manage.py dynamo_tables`` (which waits,
    checks and enables recovery) has its own tests; here it would cost seconds per test.
    """
    from apps.core.tables import tables_create_fast

    settings.CDD_TABLE_PREFIX = f"t{uuid.uuid4().hex[:10]}"
    health._cache.update(at=0.0, result=None)
    tables_create_fast()
    yield
    health._cache.update(at=0.0, result=None)


def _persona(username: str, *roles: str) -> User:
    from django.contrib.auth.models import Group

    user = User.objects.create_user(username=username, password="a-long-test-password")
    user.groups.set(Group.objects.filter(name__in=roles))
    user.is_staff = INTEGRATION not in roles
    user.save()
    return user


@pytest.fixture
def analyst(db: Any) -> User:
    return _persona("ana.analyst", ANALYST)


@pytest.fixture
def analyst2(db: Any) -> User:
    return _persona("andy.analyst", ANALYST)


@pytest.fixture
def reviewer(db: Any) -> User:
    return _persona("rita.reviewer", REVIEWER)


@pytest.fixture
def senior_reviewer(db: Any) -> User:
    return _persona("sam.senior", REVIEWER, SENIOR_REVIEWER)


@pytest.fixture
def auditor(db: Any) -> User:
    return _persona("audrey.auditor", AUDITOR)


@pytest.fixture
def platform_admin(db: Any) -> User:
    return _persona("pat.admin", PLATFORM_ADMIN)


@pytest.fixture
def integration_user(db: Any) -> User:
    return _persona("portal", INTEGRATION)


@pytest.fixture
def system_actor() -> Actor:
    return Actor.system("tests")


@pytest.fixture
def api_key(aws: None, integration_user: User) -> str:
    """A full-scope integration key (the string a client sends)."""
    from apps.core.services import api_key_create

    _, full = api_key_create(name="test portal", user=integration_user, scopes=list(SCOPES),
                             actor=Actor.system("tests"))
    return full


@pytest.fixture
def api(api_key: str) -> APIClient:
    """An API client authenticated with a full-scope integration key."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {api_key}")
    return client


@pytest.fixture
def client_for() -> Any:
    """``client_for(user)``: an API client signed in as ``user`` (session auth)."""

    def make(user: User) -> APIClient:
        client = APIClient()
        client.force_login(user)
        return client

    return make
