output "key_arn" {
  description = "ARN of the environment's customer-managed key."
  value       = aws_kms_key.this.arn
}

output "key_id" {
  description = "Key id of the environment's customer-managed key."
  value       = aws_kms_key.this.key_id
}

output "alias_name" {
  description = "Alias of the key (alias/<name>)."
  value       = aws_kms_alias.this.name
}

output "audit_mac_key_arn" {
  description = "ARN of the audit trail's HMAC key (CDD_AUDIT_MAC_KEY_ID)."
  value       = aws_kms_key.audit_mac.arn
}
