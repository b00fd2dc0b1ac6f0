"""The tables Terraform creates are the ones the code queries."""

from __future__ import annotations

import json
from pathlib import Path

from apps.core.tables import terraform_tables

TABLES_JSON = Path(__file__).resolve().parents[2] / "deploy" / "terraform" / "modules" / "data" / "tables.json"


def test_terraform_declares_every_table_key_and_index_of_the_models() -> None:
    committed = json.loads(TABLES_JSON.read_text())
    assert committed == terraform_tables(), (
        "deploy/terraform/modules/data/tables.json is out of date: run "
        "`python manage.py dynamo_tables --terraform-json deploy/terraform/modules/data/tables.json`"
    )


def test_the_audit_table_is_the_append_only_kind() -> None:
    tables = terraform_tables()
    assert tables["audit_events"]["kind"] == "audit"
    assert {name for name, spec in tables.items() if spec["kind"] == "audit"} == {"audit_events"}


def test_idempotency_records_expire_through_ttl() -> None:
    assert terraform_tables()["idempotency_keys"]["ttl_attribute"] == "expires_at"
