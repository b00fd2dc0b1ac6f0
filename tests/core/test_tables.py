"""`manage.py dynamo_tables`: creates what is missing, leaves what exists, reports what differs."""

from __future__ import annotations

import uuid
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.core import aws


def test_it_creates_every_table_once_then_reports_them_ready(aws_session: None, settings: Any) -> None:
    settings.CDD_TABLE_PREFIX = f"t{uuid.uuid4().hex[:10]}"
    first, second = StringIO(), StringIO()
    call_command("dynamo_tables", stdout=first)
    call_command("dynamo_tables", stdout=second)
    assert f"{settings.CDD_TABLE_PREFIX}-audit_events" in first.getvalue()
    assert "created" in first.getvalue()
    assert "created" not in second.getvalue()
    assert "tables ready" in second.getvalue()
    table = aws.client("dynamodb").describe_table(TableName=f"{settings.CDD_TABLE_PREFIX}-audit_events")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} >= {"by-actor", "by-action", "by-day", "by-id"}
    assert table["SSEDescription"]["Status"] == "ENABLED"


def test_check_mode_names_a_missing_table_and_fails(aws_session: None, settings: Any) -> None:
    settings.CDD_TABLE_PREFIX = f"t{uuid.uuid4().hex[:10]}"
    out = StringIO()
    with pytest.raises(CommandError, match="do not match the code"):
        call_command("dynamo_tables", "--check", stdout=out)
    assert f"{settings.CDD_TABLE_PREFIX}-audit_events" in out.getvalue()
    assert "table is missing" in out.getvalue()
