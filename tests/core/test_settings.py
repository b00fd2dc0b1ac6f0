"""Start-up fails loudly, naming every missing setting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ["DJANGO_SECRET_KEY", "CDD_TABLE_PREFIX", "CDD_DOCUMENTS_BUCKET", "CDD_LISTS_BUCKET",
            "CDD_AUDIT_BUCKET", "CDD_EXPORTS_BUCKET", "CDD_KMS_KEY_ID", "CDD_QUEUE_PREFIX", "CDD_AUDIT_MAC_KEY_ID",
            "CDD_DOCUMENT_SCANNER"]


def _check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CDD_", "DJANGO_"))}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "cdd.settings.base"
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=clean,
                          capture_output=True, text=True, timeout=60, check=False)


def test_start_up_names_every_missing_required_setting() -> None:
    result = _check({"CDD_ENV": "prod", "DJANGO_SECRET_KEY": "x" * 50})
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert message.startswith("cdd.env.MissingSettings: Missing required settings:")
    for name in REQUIRED[1:]:
        assert name in message
    assert "DJANGO_SECRET_KEY" not in message


def test_a_secret_can_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file-" + "x" * 40)
    env = dict.fromkeys(REQUIRED[1:], "value")
    env["DJANGO_SECRET_KEY_FILE"] = str(secret)
    env["CDD_ENV"] = "prod"
    result = _check(env)
    assert result.returncode == 0, result.stderr


def test_an_unknown_service_is_refused() -> None:
    env = dict.fromkeys(REQUIRED, "value")
    env["CDD_SERVICE"] = "scheduler"
    result = _check(env)
    assert result.returncode != 0
    assert "CDD_SERVICE='scheduler' is not one of api, web, admin, worker, beat, all" in result.stderr


def test_workers_name_their_sqs_queues_when_the_role_cannot_list_them() -> None:
    env = dict.fromkeys(REQUIRED, "value")
    env.update({"CDD_QUEUE_PREFIX": "cdd-prod-", "AWS_REGION": "eu-west-1",
                "CDD_SQS_QUEUE_URL_BASE": "https://sqs.eu-west-1.amazonaws.com/123456789012/"})
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CDD_", "DJANGO_"))}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "cdd.settings.base"
    code = ("from django.conf import settings; import json; "
            "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS['predefined_queues']))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True,
                            timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    import json

    queues = json.loads(result.stdout)
    assert queues["cdd-prod-screening"] == {"url": "https://sqs.eu-west-1.amazonaws.com/123456789012/cdd-prod-screening"}
    assert set(queues) == {"cdd-prod-default", "cdd-prod-screening", "cdd-prod-documents", "cdd-prod-events"}


def test_outside_local_a_missing_secret_key_is_named_too() -> None:
    result = _check({"CDD_ENV": "dev"})
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr.strip().splitlines()[-1]


def test_a_developer_machine_needs_no_configuration(tmp_path: Path) -> None:
    result = _check({"CDD_LOCAL_DIR": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    key = tmp_path / "secret_key"
    assert key.exists()
    assert oct(key.stat().st_mode & 0o777) == "0o600"
