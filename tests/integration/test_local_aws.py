"""CDD_ENV=local reaches the local stack and never AWS, whatever credentials the shell holds."""

from __future__ import annotations

import subprocess
import sys
from urllib.parse import urlsplit

import pytest

from tests.integration.conftest import ROOT, Stack

pytestmark = pytest.mark.integration

# What a developer's shell may hold: real-looking keys, a profile, a session token, an endpoint override.
REAL_LOOKING_AWS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_SESSION_TOKEN": "FwoGZXIvYXdzEXAMPLE", "AWS_PROFILE": "bank-prod", "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_ENDPOINT_URL_DYNAMODB": "https://dynamodb.eu-west-1.amazonaws.com",
    # Any request that tried to leave the machine would go through this proxy, where nothing listens.
    "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost",
}


def local_shell(stack: Stack, **extra: str) -> dict[str, str]:
    """A second terminal beside the stack: its names, no AWS_ENDPOINT_URL, and real-looking AWS settings."""
    env = {k: v for k, v in stack.env.items() if not k.startswith("AWS_")}
    env["CDD_LOCAL_PORT"] = str(urlsplit(stack.urls["moto"]).port)
    env.update(REAL_LOOKING_AWS)
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False)


def test_audit_verify_in_a_second_terminal_reads_the_local_stack_not_aws(stack: Stack) -> None:
    result = manage(local_shell(stack), "audit_verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "credentials" not in (result.stdout + result.stderr).lower()
    tables = manage(local_shell(stack), "dynamo_tables", "--check")
    assert tables.returncode == 0 and "tables ready" in tables.stdout, tables.stdout + tables.stderr


def test_an_aws_endpoint_is_refused_in_the_local_environment(stack: Stack) -> None:
    result = manage(local_shell(stack, AWS_ENDPOINT_URL="https://dynamodb.eu-west-1.amazonaws.com"), "audit_verify")
    assert result.returncode != 0
    assert "CDD_ENV=local talks only to the local stack" in result.stderr


def test_a_command_without_a_running_stack_says_how_to_start_it(stack: Stack) -> None:
    result = manage(local_shell(stack, CDD_LOCAL_PORT="9"), "audit_verify")
    assert result.returncode == 2
    assert "Start it with `make run`" in result.stderr
