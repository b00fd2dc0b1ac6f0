# IAM in its tiers.
#
#  * One execution role per service: what ECS itself needs to start the task (pull the
#    image from ECR, write the service's log group, read that service's secrets).
#  * One task role per service: what the running code may do, and nothing more. No task
#    role has a wildcard action or a wildcard resource.
#
# Rules enforced here (and asserted by tests/deploy/test_terraform.py):
#  * only the worker writes screening alerts; api, web and admin read them;
#  * no role may UpdateItem or DeleteItem on the audit tables: they are append-only
#    (PutItem, which the app sends with attribute_not_exists conditions). Every task role
#    also carries an explicit Deny, and the tables' resource policies deny it to everyone;
#  * Scan is for offline jobs: only the worker may Scan.
#  * IAM cannot require a put's condition, so a role that may PutItem could still put over an
#    audit item: every event carries a MAC under the audit HMAC key, which the writers may only
#    GenerateMac with and the verifiers (worker, web) VerifyMac with; no role may do anything
#    else with that key, and the checkpoints in the Object Lock bucket catch what the MAC cannot
#    (a deleted or truncated chain).
#
# Adding a service: add a policy document below, an entry in local.task_policies, and
# the service in modules/environment (docs/deploy.md, "Adding a service").

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  partition  = data.aws_partition.current.partition
  account_id = data.aws_caller_identity.current.account_id
  region     = data.aws_region.current.region

  # Resources, with each table's indexes (Query on an index names the index ARN).
  domain_tables = flatten([for arn in var.table_arns_by_kind["domain"] : [arn, "${arn}/index/*"]])
  alert_tables  = flatten([for arn in var.table_arns_by_kind["alerts"] : [arn, "${arn}/index/*"]])
  audit_tables  = flatten([for arn in var.table_arns_by_kind["audit"] : [arn, "${arn}/index/*"]])
  all_queues    = values(var.queue_arns)

  # Actions.
  table_read     = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:DescribeTable", "dynamodb:ConditionCheckItem"]
  table_write    = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"]
  table_scan     = ["dynamodb:Scan"]
  audit_append   = ["dynamodb:PutItem"]
  audit_mutation = ["dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete", "dynamodb:DeleteTable"]
  object_read    = ["s3:GetObject", "s3:GetObjectVersion"]
  object_write   = ["s3:PutObject"]
  bucket_list    = ["s3:ListBucket"]
  queue_send     = ["sqs:SendMessage", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
  queue_consume  = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:ChangeMessageVisibility", "sqs:GetQueueUrl", "sqs:GetQueueAttributes"]
  key_use        = ["kms:Decrypt", "kms:GenerateDataKey"]
  secret_seal    = ["kms:Encrypt"] # webhook signing secrets (apps/core/webhooks/secrets.py), bound by context
  audit_sign     = ["kms:GenerateMac"]
  audit_check    = ["kms:VerifyMac"]
  anchors_prefix = ["anchors/*"]

  task_policies = {
    api    = data.aws_iam_policy_document.api.json
    web    = data.aws_iam_policy_document.web.json
    admin  = data.aws_iam_policy_document.admin.json
    worker = data.aws_iam_policy_document.worker.json
    beat   = data.aws_iam_policy_document.beat.json
  }
}

# --- trust --------------------------------------------------------------------------

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

# --- task roles ----------------------------------------------------------------------

data "aws_iam_policy_document" "api" {
  statement {
    sid       = "ReadWriteDomainTables"
    actions   = concat(local.table_read, local.table_write)
    resources = local.domain_tables
  }
  statement {
    sid       = "ReadAlerts"
    actions   = local.table_read
    resources = local.alert_tables
  }
  statement {
    sid       = "AppendAndReadAudit"
    actions   = concat(local.table_read, local.audit_append)
    resources = local.audit_tables
  }
  statement {
    sid       = "NoAuditRecordIsChangedOrDeleted"
    effect    = "Deny"
    actions   = local.audit_mutation
    resources = local.audit_tables
  }
  statement {
    sid       = "UploadAndReadDocuments"
    actions   = concat(local.object_read, local.object_write)
    resources = ["${var.bucket_arns["documents"]}/*"]
  }
  statement {
    sid       = "QueueWork"
    actions   = local.queue_send
    resources = local.all_queues
  }
  statement {
    sid       = "UseTheEnvironmentKey"
    actions   = local.key_use
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "SealWebhookSecrets"
    actions   = local.secret_seal
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:purpose"
      values   = ["cdd-webhook-signing-secret"]
    }
  }
  statement {
    sid       = "SignAuditEvents"
    actions   = local.audit_sign
    resources = [var.audit_mac_key_arn]
  }
}

data "aws_iam_policy_document" "web" {
  statement {
    sid       = "ReadWriteDomainTables"
    actions   = concat(local.table_read, local.table_write)
    resources = local.domain_tables
  }
  statement {
    sid       = "ReadAlerts"
    actions   = local.table_read
    resources = local.alert_tables
  }
  statement {
    sid       = "AppendAndReadAudit"
    actions   = concat(local.table_read, local.audit_append)
    resources = local.audit_tables
  }
  statement {
    sid       = "NoAuditRecordIsChangedOrDeleted"
    effect    = "Deny"
    actions   = local.audit_mutation
    resources = local.audit_tables
  }
  statement {
    sid       = "UploadAndReadDocuments"
    actions   = concat(local.object_read, local.object_write)
    resources = ["${var.bucket_arns["documents"]}/*"]
  }
  statement {
    sid       = "ReadExportsAndAuditAnchors"
    actions   = local.object_read
    resources = ["${var.bucket_arns["exports"]}/*", "${var.bucket_arns["audit"]}/*"]
  }
  statement {
    sid       = "QueueWork"
    actions   = local.queue_send
    resources = local.all_queues
  }
  statement {
    sid       = "UseTheEnvironmentKey"
    actions   = local.key_use
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "SignAuditEvents"
    actions   = local.audit_sign
    resources = [var.audit_mac_key_arn]
  }
  statement {
    sid       = "VerifyTheAuditTrail"
    actions   = local.audit_check
    resources = [var.audit_mac_key_arn]
  }
  statement {
    sid       = "FindTheLatestAuditCheckpoints"
    actions   = local.bucket_list
    resources = [var.bucket_arns["audit"]]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = local.anchors_prefix
    }
  }
}

data "aws_iam_policy_document" "admin" {
  statement {
    sid       = "ReadWriteDomainTables"
    actions   = concat(local.table_read, local.table_write)
    resources = local.domain_tables
  }
  statement {
    sid       = "ReadAlerts"
    actions   = local.table_read
    resources = local.alert_tables
  }
  statement {
    sid       = "AppendAndReadAudit"
    actions   = concat(local.table_read, local.audit_append)
    resources = local.audit_tables
  }
  statement {
    sid       = "NoAuditRecordIsChangedOrDeleted"
    effect    = "Deny"
    actions   = local.audit_mutation
    resources = local.audit_tables
  }
  statement {
    sid       = "UploadAndReadDocuments"
    actions   = concat(local.object_read, local.object_write)
    resources = ["${var.bucket_arns["documents"]}/*"]
  }
  statement {
    sid       = "ReadListsExportsAndAuditAnchors"
    actions   = local.object_read
    resources = ["${var.bucket_arns["lists"]}/*", "${var.bucket_arns["exports"]}/*", "${var.bucket_arns["audit"]}/*"]
  }
  statement {
    sid       = "QueueWork"
    actions   = local.queue_send
    resources = local.all_queues
  }
  statement {
    sid       = "UseTheEnvironmentKey"
    actions   = local.key_use
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "SealWebhookSecrets"
    actions   = local.secret_seal
    resources = [var.kms_key_arn]
    condition {
      test     = "StringEquals"
      variable = "kms:EncryptionContext:purpose"
      values   = ["cdd-webhook-signing-secret"]
    }
  }
  statement {
    sid       = "SignAuditEvents"
    actions   = local.audit_sign
    resources = [var.audit_mac_key_arn]
  }
}

data "aws_iam_policy_document" "worker" {
  statement {
    sid       = "ReadWriteDomainTables"
    actions   = concat(local.table_read, local.table_write)
    resources = local.domain_tables
  }
  statement {
    sid       = "ScanForOfflineJobs"
    actions   = local.table_scan
    resources = concat(local.domain_tables, local.alert_tables)
  }
  statement {
    sid       = "WriteAlerts"
    actions   = concat(local.table_read, local.table_write)
    resources = local.alert_tables
  }
  statement {
    sid       = "AppendAndReadAudit"
    actions   = concat(local.table_read, local.audit_append)
    resources = local.audit_tables
  }
  statement {
    sid       = "NoAuditRecordIsChangedOrDeleted"
    effect    = "Deny"
    actions   = local.audit_mutation
    resources = local.audit_tables
  }
  statement {
    sid       = "ReadWriteObjects"
    actions   = concat(local.object_read, local.object_write)
    resources = ["${var.bucket_arns["documents"]}/*", "${var.bucket_arns["lists"]}/*", "${var.bucket_arns["exports"]}/*", "${var.bucket_arns["audit"]}/*"]
  }
  statement {
    # GuardDuty Malware Protection's result on each document file (apps/documents/scanning.py).
    sid       = "ReadMalwareScanResults"
    actions   = ["s3:GetObjectTagging", "s3:GetObjectVersionTagging"]
    resources = ["${var.bucket_arns["documents"]}/*"]
  }
  statement {
    sid       = "ListListSnapshots"
    actions   = local.bucket_list
    resources = [var.bucket_arns["lists"]]
  }
  statement {
    sid       = "ConsumeAndQueueWork"
    actions   = concat(local.queue_consume, local.queue_send)
    resources = local.all_queues
  }
  statement {
    sid       = "UseTheEnvironmentKey"
    actions   = local.key_use
    resources = [var.kms_key_arn]
  }
  statement {
    sid       = "SignAuditEvents"
    actions   = local.audit_sign
    resources = [var.audit_mac_key_arn]
  }
  statement {
    sid       = "VerifyTheAuditTrail"
    actions   = local.audit_check
    resources = [var.audit_mac_key_arn]
  }
  statement {
    sid       = "FindTheLatestAuditCheckpoints"
    actions   = local.bucket_list
    resources = [var.bucket_arns["audit"]]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = local.anchors_prefix
    }
  }
}

data "aws_iam_policy_document" "beat" {
  statement {
    sid       = "QueueScheduledWork"
    actions   = local.queue_send
    resources = local.all_queues
  }
  statement {
    sid       = "NoAuditRecordIsChangedOrDeleted"
    effect    = "Deny"
    actions   = local.audit_mutation
    resources = local.audit_tables
  }
  statement {
    sid       = "UseTheEnvironmentKey"
    actions   = local.key_use
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "task" {
  for_each             = local.task_policies
  name                 = "${var.name}-${each.key}-task"
  description          = "What the ${each.key} service's code may do"
  assume_role_policy   = data.aws_iam_policy_document.ecs_tasks_assume.json
  max_session_duration = 3600
  tags                 = merge(var.tags, { Service = each.key })
}

resource "aws_iam_role_policy" "task" {
  for_each = local.task_policies
  name     = "${each.key}-data-access"
  role     = aws_iam_role.task[each.key].id
  policy   = each.value
}

# --- execution roles -----------------------------------------------------------------

data "aws_iam_policy_document" "execution" {
  for_each = local.task_policies

  statement {
    # ecr:GetAuthorizationToken has no resource-level permissions: AWS requires "*" for it.
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "PullTheImage"
    actions   = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"]
    resources = [var.ecr_repository_arn]
  }
  statement {
    sid       = "WriteTheServiceLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:/cdd/${var.name}/${each.key}:*"]
  }
  statement {
    sid       = "ReadTheServiceSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [for s in var.service_secrets[each.key] : var.secret_arns[s]]
  }
  statement {
    sid       = "DecryptTheServiceSecrets"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role" "execution" {
  for_each           = local.task_policies
  name               = "${var.name}-${each.key}-execution"
  description        = "What ECS needs to start the ${each.key} service: image, logs, secrets"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
  tags               = merge(var.tags, { Service = each.key })
}

resource "aws_iam_role_policy" "execution" {
  for_each = local.task_policies
  name     = "${each.key}-start-task"
  role     = aws_iam_role.execution[each.key].id
  policy   = data.aws_iam_policy_document.execution[each.key].json
}
