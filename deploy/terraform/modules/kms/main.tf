# One customer-managed KMS key per environment. It encrypts the DynamoDB tables, the
# data buckets, the SQS queues, the secrets, the database, and the CloudWatch log groups.
# Key administration stays with the account root (delegated through IAM); services get
# kms:Decrypt/GenerateDataKey on this key only, through their own task roles.

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  account_root = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"
  logs_service = "logs.${data.aws_region.current.region}.amazonaws.com"
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is this key alone; administration stays with the account root, delegated through IAM.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is this key alone; write access is granted per role through IAM on this key's ARN.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is this key alone (AWS requires "*" in key policies).
  # Key policies always name the key itself as "*": the policy is attached to one key only.
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }

  statement {
    sid    = "CloudWatchLogsEncryptsThisEnvironmentsLogGroups"
    effect = "Allow"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = [local.logs_service]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${data.aws_partition.current.partition}:logs:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:log-group:*"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "CDD ${var.name}: data, queues, secrets and logs"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}

# The audit trail's HMAC key: every audit event and checkpoint carries a MAC under it, so
# access to the table or the bucket alone cannot forge or re-chain the trail. KMS never exports
# the key; task roles may only GenerateMac (writers) or VerifyMac (verifiers) through IAM
# (modules/iam). HMAC keys have no automatic rotation; a new key means a new CDD_AUDIT_MAC_KEY_ID
# and verifiers that know the old one (docs/audit.md).
resource "aws_kms_key" "audit_mac" {
  description              = "CDD ${var.name}: MACs of the audit trail (GenerateMac/VerifyMac only)"
  customer_master_key_spec = "HMAC_256"
  key_usage                = "GENERATE_VERIFY_MAC"
  deletion_window_in_days  = 30
  policy                   = data.aws_iam_policy_document.audit_mac.json
  tags                     = var.tags
}

resource "aws_kms_alias" "audit_mac" {
  name          = "alias/${var.name}-audit-mac"
  target_key_id = aws_kms_key.audit_mac.key_id
}

data "aws_iam_policy_document" "audit_mac" {
  #checkov:skip=CKV_AWS_109:A key policy's "*" resource is this key alone; administration stays with the account root, delegated through IAM.
  #checkov:skip=CKV_AWS_111:A key policy's "*" resource is this key alone; MAC use is granted per role through IAM on this key's ARN.
  #checkov:skip=CKV_AWS_356:A key policy's "*" resource is this key alone (AWS requires "*" in key policies).
  statement {
    sid       = "AccountAdministersTheKeyThroughIam"
    effect    = "Allow"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = [local.account_root]
    }
  }
}
