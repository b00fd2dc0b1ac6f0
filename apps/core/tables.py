"""Create and check the DynamoDB tables the code declares (``manage.py dynamo_tables``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

from apps.core import aws
from apps.core.dynamo import CddModel, registered_models


@dataclass
class TableReport:
    table: str
    created: bool = False
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def table_spec(model: type[CddModel]) -> dict[str, Any]:
    """The CreateTable request of a model's table."""
    schema = model._get_schema()
    spec: dict[str, Any] = {
        "TableName": model.Meta.table_name,
        "KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in schema["key_schema"]],
        "AttributeDefinitions": [
            {"AttributeName": a["AttributeName"], "AttributeType": a["AttributeType"]}
            for a in schema["attribute_definitions"]
        ],
        "BillingMode": "PAY_PER_REQUEST",
        "SSESpecification": {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": settings.CDD_KMS_KEY_ID},
        "DeletionProtectionEnabled": settings.CDD_ENV in ("staging", "prod"),
    }
    if schema["global_secondary_indexes"]:
        spec["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index["index_name"],
                "KeySchema": [{"AttributeName": k["AttributeName"], "KeyType": k["KeyType"]} for k in index["key_schema"]],
                "Projection": dict(index["projection"]),
            }
            for index in schema["global_secondary_indexes"]
        ]
    return spec


def table_ensure(model: type[CddModel], *, create: bool = True) -> TableReport:
    """Create the table if missing (when ``create``), then compare it with the code."""
    client = aws.client("dynamodb")
    spec = table_spec(model)
    report = TableReport(table=spec["TableName"])
    try:
        live = client.describe_table(TableName=spec["TableName"])["Table"]
    except client.exceptions.ResourceNotFoundException:
        if not create:
            report.problems.append("table is missing")
            return report
        client.create_table(**spec)
        client.get_waiter("table_exists").wait(TableName=spec["TableName"], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
        report.created = True
        live = client.describe_table(TableName=spec["TableName"])["Table"]
    if live["KeySchema"] != spec["KeySchema"]:
        report.problems.append(f"key schema {live['KeySchema']} differs from the code's {spec['KeySchema']}")
    live_indexes = {i["IndexName"]: i for i in live.get("GlobalSecondaryIndexes", [])}
    for index in spec.get("GlobalSecondaryIndexes", []):
        found = live_indexes.get(index["IndexName"])
        if found is None:
            report.problems.append(f"index {index['IndexName']} is missing")
        elif found["KeySchema"] != index["KeySchema"]:
            report.problems.append(f"index {index['IndexName']} has another key schema")
    ttl = model._ttl_attribute()
    if ttl is not None:
        status = client.describe_time_to_live(TableName=spec["TableName"]).get("TimeToLiveDescription", {})
        if status.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            if create:
                client.update_time_to_live(TableName=spec["TableName"],
                                           TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl.attr_name})
                report.notes.append(f"time to live enabled on {ttl.attr_name}")
            else:
                report.problems.append(f"time to live is off (expected on {ttl.attr_name})")
    billing = live.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    if billing != "PAY_PER_REQUEST":
        report.problems.append(f"billing mode is {billing}, expected on-demand")
    sse = live.get("SSEDescription", {})
    if sse.get("Status") not in ("ENABLED", "ENABLING"):
        report.notes.append("encryption status not reported by this endpoint")
    try:
        backups = client.describe_continuous_backups(TableName=spec["TableName"])
        pitr = backups["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        if pitr != "ENABLED" and create:
            client.update_continuous_backups(
                TableName=spec["TableName"],
                PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
            )
            report.notes.append("point-in-time recovery enabled")
        elif pitr != "ENABLED":
            report.problems.append("point-in-time recovery is off")
    except (client.exceptions.ClientError, KeyError) as exc:  # endpoint without PITR support
        report.notes.append(f"point-in-time recovery not supported here ({type(exc).__name__})")
    return report


def tables_ensure(*, create: bool = True) -> list[TableReport]:
    return [table_ensure(model, create=create) for model in registered_models()]


def tables_create_fast() -> None:
    """Create every table with a single CreateTable call each (tests on in-process moto, where
    tables are active at once and there is nothing to wait for or check)."""
    client = aws.client("dynamodb")
    for model in registered_models():
        client.create_table(**table_spec(model))


def terraform_tables() -> dict[str, dict[str, Any]]:
    """Every table as Terraform declares it (deploy/terraform/modules/data/tables.json).

    Generated from the models so the tables in AWS cannot drift from the code: a test
    compares the committed file with this output. ``kind`` (domain | alerts | audit) decides
    which task roles may write (deploy/terraform/modules/iam).
    """
    out: dict[str, dict[str, Any]] = {}
    for model in sorted(registered_models(), key=lambda m: m.Meta.name):
        schema = model._get_schema()
        keys = {k["KeyType"]: k["AttributeName"] for k in schema["key_schema"]}
        ttl = model._ttl_attribute()
        out[model.Meta.name] = {
            "kind": getattr(model.Meta, "kind", "domain"),
            "hash_key": keys["HASH"],
            "range_key": keys.get("RANGE"),
            "attributes": sorted(
                ({"name": a["AttributeName"], "type": a["AttributeType"]} for a in schema["attribute_definitions"]),
                key=lambda a: a["name"],
            ),
            "global_secondary_indexes": [
                {
                    "name": index["index_name"],
                    "hash_key": next(k["AttributeName"] for k in index["key_schema"] if k["KeyType"] == "HASH"),
                    "range_key": next((k["AttributeName"] for k in index["key_schema"] if k["KeyType"] == "RANGE"),
                                      None),
                    "projection_type": index["projection"]["ProjectionType"],
                }
                for index in sorted(schema["global_secondary_indexes"], key=lambda i: i["index_name"])
            ],
            "ttl_attribute": ttl.attr_name if ttl is not None else None,
        }
    return out
