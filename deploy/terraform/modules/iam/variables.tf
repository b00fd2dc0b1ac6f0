variable "name" {
  description = "Name prefix of the environment, e.g. cdd-prod."
  type        = string
}

variable "table_arns_by_kind" {
  description = "DynamoDB table ARNs by kind: domain, alerts, audit (modules/data output)."
  type        = map(list(string))
}

variable "bucket_arns" {
  description = "Data bucket ARNs by logical name: documents, lists, exports, audit."
  type        = map(string)
}

variable "queue_arns" {
  description = "SQS queue ARNs by logical name."
  type        = map(string)
}

variable "secret_arns" {
  description = "Secrets Manager ARNs by logical name."
  type        = map(string)
}

variable "service_secrets" {
  description = "Logical secret names each service's task receives (and its execution role may read)."
  type        = map(list(string))
}

variable "kms_key_arn" {
  description = "The environment's customer-managed key."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ECR repository of the CDD image."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}

variable "audit_mac_key_arn" {
  description = "The audit trail's HMAC key: writers GenerateMac, verifiers VerifyMac (modules/kms)."
  type        = string
}
