output "table_names" {
  description = "DynamoDB table names by logical name."
  value       = { for k, t in aws_dynamodb_table.this : k => t.name }
}

output "table_arns_by_kind" {
  description = "DynamoDB table ARNs grouped by kind (domain, alerts, audit)."
  value = {
    for kind in ["domain", "alerts", "audit"] :
    kind => [for k, t in aws_dynamodb_table.this : t.arn if local.tables[k].kind == kind]
  }
}

output "bucket_names" {
  description = "Data bucket names by logical name (documents, lists, exports, audit)."
  value       = { for k, b in aws_s3_bucket.this : k => b.bucket }
}

output "bucket_arns" {
  description = "Data bucket ARNs by logical name."
  value       = { for k, b in aws_s3_bucket.this : k => b.arn }
}

output "access_logs_bucket" {
  description = "Name of the access-log bucket (S3 and ALB access logs)."
  value       = aws_s3_bucket.access_logs.bucket
}

output "queue_arns" {
  description = "SQS queue ARNs by logical name."
  value       = { for k, q in aws_sqs_queue.this : k => q.arn }
}

output "queue_names" {
  description = "SQS queue names by logical name."
  value       = { for k, q in aws_sqs_queue.this : k => q.name }
}

output "secret_arns" {
  description = "Secrets Manager ARNs by logical name (django_secret_key, database_url)."
  value       = { for k, s in aws_secretsmanager_secret.this : k => s.arn }
}

output "database_security_group_id" {
  description = "Security group of the identity database."
  value       = aws_security_group.database.id
}

output "database_endpoint" {
  description = "Host:port of the identity database."
  value       = aws_db_instance.identity.endpoint
}

output "database_master_secret_arn" {
  description = "Secrets Manager secret RDS keeps the master credentials in."
  value       = aws_db_instance.identity.master_user_secret[0].secret_arn
}
