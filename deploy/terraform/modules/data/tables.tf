# DynamoDB tables of the app: the one place to add, rename or drop a table.
#
# Tables are named <table_prefix>-<name>. Every table has the same generic
# single-table-style key layout: hash key pk (S), range key sk (S), and two global
# secondary indexes gsi1 (gsi1pk/gsi1sk) and gsi2 (gsi2pk/gsi2sk). The app's
# `python manage.py dynamo_tables` checks the live tables against its PynamoDB models,
# so run it after changing this map (docs/deploy.md).
#
# kind decides who may write (modules/iam):
#   domain: read/write for the services that own the data
#   alerts: written by the worker only (screening); the HTTP services read
#   audit:  append-only: PutItem (with conditions) and reads; no role may UpdateItem or
#           DeleteItem, and the table's resource policy below denies it to every principal
locals {
  tables = {
    customers             = { kind = "domain" }
    related_parties       = { kind = "domain" }
    idempotency_keys      = { kind = "domain" }
    list_versions         = { kind = "domain" }
    screening_alerts      = { kind = "alerts" }
    documents             = { kind = "domain" }
    document_requirements = { kind = "domain" }
    cases                 = { kind = "domain" }
    audit_events          = { kind = "audit" }
    audit_chains          = { kind = "audit" }
  }

  key_attributes = ["pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk"]
  indexes        = ["gsi1", "gsi2"]

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
  hash_key                    = "pk"
  range_key                   = "sk"
  deletion_protection_enabled = true

  dynamic "attribute" {
    for_each = local.key_attributes
    content {
      name = attribute.value
      type = "S"
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.indexes
    content {
      name            = global_secondary_index.value
      hash_key        = "${global_secondary_index.value}pk"
      range_key       = "${global_secondary_index.value}sk"
      projection_type = "ALL"
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
