# PostgreSQL for identity only (users, roles, API keys, sessions): encrypted with the
# environment's key, TLS enforced, private subnets only, multi-AZ where var.multi_az
# (prod). The master password is generated and kept by RDS in Secrets Manager; the app
# connects as its own user through the database_url secret.

resource "aws_db_subnet_group" "this" {
  name       = "${var.name}-identity"
  subnet_ids = var.private_subnet_ids
  tags       = var.tags
}

resource "aws_security_group" "database" {
  name        = "${var.name}-database"
  description = "Identity database: PostgreSQL from the CDD services only (rules added by the ecs module)"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-database" })
}

resource "aws_db_parameter_group" "this" {
  name   = "${var.name}-identity-pg17"
  family = "postgres17"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }
  parameter {
    name  = "log_statement"
    value = "ddl"
  }
  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }
  parameter {
    name  = "log_connections"
    value = "1"
  }

  tags = var.tags
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${var.name}-rds-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_db_instance" "identity" {
  #checkov:skip=CKV_AWS_157:multi_az comes from var.multi_az: true in prod (asserted by tests/deploy/test_terraform.py); dev and staging run single-AZ to save cost.
  identifier                            = "${var.name}-identity"
  engine                                = "postgres"
  engine_version                        = "17"
  instance_class                        = var.db_instance_class
  allocated_storage                     = 20
  max_allocated_storage                 = 200
  storage_type                          = "gp3"
  storage_encrypted                     = true
  kms_key_id                            = var.kms_key_arn
  db_name                               = "cdd"
  username                              = "cdd_admin"
  manage_master_user_password           = true
  master_user_secret_kms_key_id         = var.kms_key_arn
  multi_az                              = var.multi_az
  db_subnet_group_name                  = aws_db_subnet_group.this.name
  vpc_security_group_ids                = [aws_security_group.database.id]
  parameter_group_name                  = aws_db_parameter_group.this.name
  publicly_accessible                   = false
  iam_database_authentication_enabled   = true
  ca_cert_identifier                    = "rds-ca-rsa2048-g1"
  backup_retention_period               = var.db_backup_retention_days
  copy_tags_to_snapshot                 = true
  deletion_protection                   = true
  skip_final_snapshot                   = false
  final_snapshot_identifier             = "${var.name}-identity-final"
  auto_minor_version_upgrade            = true
  enabled_cloudwatch_logs_exports       = ["postgresql", "upgrade"]
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = var.kms_key_arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  tags                                  = var.tags
}
