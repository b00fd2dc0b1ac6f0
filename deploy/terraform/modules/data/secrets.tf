# Application secrets in Secrets Manager, encrypted with the environment's key. Terraform
# creates each secret with the placeholder "__set-me__" and never manages its value
# afterwards (so no secret ends up in the state): an operator puts the real value in
# (docs/deploy.md, "First deployment" and "Rotating secrets"). The entrypoint refuses to
# start a service while a secret still holds the placeholder.

locals {
  secrets = {
    django_secret_key = "Django SECRET_KEY (signing of sessions, CSRF and password-reset tokens)"
    database_url      = "DATABASE_URL of the identity database: postgres://cdd_app_a:...@host:5432/cdd?sslmode=require"
  }
}

resource "aws_secretsmanager_secret" "this" {
  #checkov:skip=CKV2_AWS_57:Rotation is an operator runbook (docs/deploy.md, "Rotating secrets"): a new Django key or database password needs a coordinated redeploy of the services (and the DB password alternating users), which a rotation Lambda cannot do.
  for_each                = local.secrets
  name                    = "${var.name}/${each.key}"
  description             = each.value
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = 30
  tags                    = var.tags
}

resource "aws_secretsmanager_secret_version" "placeholder" {
  for_each      = local.secrets
  secret_id     = aws_secretsmanager_secret.this[each.key].id
  secret_string = "__set-me__"

  lifecycle {
    ignore_changes = [secret_string]
  }
}
