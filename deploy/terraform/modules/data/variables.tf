variable "name" {
  description = "Name prefix of the environment, e.g. cdd-prod."
  type        = string
}

variable "table_prefix" {
  description = "Prefix of the DynamoDB table names (CDD_TABLE_PREFIX), e.g. cdd-prod."
  type        = string
}

variable "queue_prefix" {
  description = "Prefix of the SQS queue names (CDD_QUEUE_PREFIX), e.g. cdd-prod-."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's customer-managed key."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the database."
  type        = list(string)
}

variable "multi_az" {
  description = "Run the identity database in two availability zones (true in prod)."
  type        = bool
}

variable "db_instance_class" {
  description = "Instance class of the identity database."
  type        = string
  default     = "db.t4g.medium"
}

variable "db_backup_retention_days" {
  description = "Automated backup retention of the identity database."
  type        = number
  default     = 14
}

variable "audit_retention_days" {
  description = "Object Lock (compliance mode) retention of the audit bucket. Cannot be shortened for objects already written."
  type        = number
}

variable "noncurrent_version_days" {
  description = "Days to keep non-current object versions in the documents and lists buckets."
  type        = number
  default     = 365
}

variable "export_retention_days" {
  description = "Days before exports are deleted."
  type        = number
  default     = 30
}

variable "access_log_retention_days" {
  description = "Days to keep S3 and ALB access logs."
  type        = number
  default     = 400
}

variable "max_receive_count" {
  description = "Deliveries of a message before it moves to the dead-letter queue."
  type        = number
  default     = 5
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
