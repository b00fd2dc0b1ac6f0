# DynamoDB tables of the app.
#
# tables.json is generated from the app's PynamoDB models
# (`python manage.py dynamo_tables --terraform-json deploy/terraform/modules/data/tables.json`)
# and a test fails when it drifts from the code, so the keys, indexes and TTL in AWS are the
# ones the code queries. Tables are named <table_prefix>-<name>; after applying, the app's
# `manage.py dynamo_tables --check` confirms them (docs/deploy.md).
#
# kind decides who may write (modules/iam):
#   domain: read/write for the services that own the data
#   alerts: written by the worker only (screening); the HTTP services read
#   audit:  append-only: PutItem (with conditions) and reads; no role may UpdateItem or
#           DeleteItem, and the table's resource policy below denies it to every principal
locals {
  tables = jsondecode(file("${path.module}/tables.json"))

  audit_tables = { for name, t in local.tables : name => t if t.kind == "audit" }

  # Writing or deleting an audit record in place is denied to every principal, whatever
  # IAM allows: audit records are only ever added.
  audit_item_mutations = [
    "dynamodb:DeleteItem",
    "dynamodb:UpdateItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLDelete",
    "dynamodb:PartiQLUpdate",
  ]
}

resource "aws_dynamodb_table" "this" {
  for_each = local.tables

  name                        = "${var.table_prefix}-${each.key}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = each.value.hash_key
  range_key                   = each.value.range_key
  deletion_protection_enabled = true

  dynamic "attribute" {
    for_each = each.value.attributes
    content {
      name = attribute.value.name
      type = attribute.value.type
    }
  }

  dynamic "global_secondary_index" {
    for_each = each.value.global_secondary_indexes
    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection_type
    }
  }

  dynamic "ttl" {
    for_each = each.value.ttl_attribute == null ? [] : [each.value.ttl_attribute]
    content {
      attribute_name = ttl.value
      enabled        = true
    }
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = true
  }

  tags = merge(var.tags, { Name = "${var.table_prefix}-${each.key}", DataKind = each.value.kind })
}

data "aws_iam_policy_document" "audit_table" {
  for_each = local.audit_tables

  statement {
    sid       = "AuditRecordsAreAppendOnly"
    effect    = "Deny"
    actions   = local.audit_item_mutations
    resources = [aws_dynamodb_table.this[each.key].arn]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
  }
}

resource "aws_dynamodb_resource_policy" "audit" {
  for_each     = local.audit_tables
  resource_arn = aws_dynamodb_table.this[each.key].arn
  policy       = data.aws_iam_policy_document.audit_table[each.key].json
}
