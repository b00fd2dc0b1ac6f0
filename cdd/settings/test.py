"""Settings for the test suite: every AWS name is per run, so runs never collide."""

from __future__ import annotations

import os
import uuid

_run = os.environ.setdefault("CDD_TEST_RUN", uuid.uuid4().hex[:8])
_defaults = {
    "CDD_ENV": "test",
    "CDD_SERVICE": "all",
    "DJANGO_SECRET_KEY": "test-only-not-a-secret",
    "AWS_REGION": "eu-west-1",
    # moto accepts any credentials; these exist only so botocore signs requests.
    "AWS_ACCESS_KEY_ID": "moto",
    "AWS_SECRET_ACCESS_KEY": "moto",
    "CDD_TABLE_PREFIX": f"test-{_run}",
    "CDD_DOCUMENTS_BUCKET": f"test-{_run}-documents",
    "CDD_LISTS_BUCKET": f"test-{_run}-lists",
    "CDD_AUDIT_BUCKET": f"test-{_run}-audit",
    "CDD_EXPORTS_BUCKET": f"test-{_run}-exports",
    "CDD_KMS_KEY_ID": "alias/cdd-test",
    "CDD_QUEUE_PREFIX": f"test-{_run}-",
    "DATABASE_URL": "sqlite://:memory:",
}
for _name, _value in _defaults.items():
    os.environ.setdefault(_name, _value)

from cdd.settings.base import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}  # noqa: F405
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
