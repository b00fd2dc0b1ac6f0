# One CDD environment: network, key, data stores, IAM, load balancers with WAF, the ECS
# services and their canary deployments. envs/<env>/main.tf calls this module with the
# environment's own CIDR range, sizes and settings.

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

locals {
  name         = "cdd-${var.environment}"
  queue_prefix = "${local.name}-"
  tags         = merge(var.tags, { Project = "cdd", Environment = var.environment })
  namespace    = "${var.environment}.cdd.internal"

  http_services = {
    api   = { internal = false, allowed_cidrs = var.public_allowed_cidrs }
    web   = { internal = false, allowed_cidrs = var.public_allowed_cidrs }
    admin = { internal = true, allowed_cidrs = var.admin_allowed_cidrs }
  }

  # Logical secrets each service's task receives (modules/data/secrets.tf).
  service_secrets = {
    api    = ["django_secret_key", "database_url"]
    web    = ["django_secret_key", "database_url"]
    admin  = ["django_secret_key", "database_url"]
    worker = ["django_secret_key", "database_url"]
    beat   = ["django_secret_key"]
  }

  gunicorn = {
    GUNICORN_WORKERS             = "2"
    GUNICORN_THREADS             = "4"
    GUNICORN_FORWARDED_ALLOW_IPS = var.cidr_block
  }

  # The HTTP services sit behind one load balancer that appends the client's address to X-Forwarded-For
  # (modules/ingress, xff_header_processing_mode = "append"): the app believes that one entry and no other.
  behind_alb = {
    CDD_TRUSTED_PROXY_HOPS = "1"
  }

  services = {
    for svc, kind in { api = "http", web = "http", admin = "http", worker = "worker", beat = "beat" } :
    svc => {
      kind      = kind
      cpu       = var.capacity[svc].cpu
      memory    = var.capacity[svc].memory
      min_count = kind == "beat" ? 1 : var.capacity[svc].min_count
      max_count = kind == "beat" ? 1 : var.capacity[svc].max_count
      secrets   = local.service_secrets[svc]
      environment = (
        kind == "http" ? tomap(merge(local.gunicorn, local.behind_alb, {
          # localhost: the container health check (docker/healthcheck.py) calls 127.0.0.1 with Host: localhost.
          DJANGO_ALLOWED_HOSTS        = "${var.hostnames[svc]},localhost"
          DJANGO_CSRF_TRUSTED_ORIGINS = "https://${var.hostnames[svc]}"
        }))
        : kind == "worker" ? tomap({
          CDD_WORKER_QUEUES      = "default,screening,documents,events"
          CDD_WORKER_CONCURRENCY = tostring(var.worker_concurrency)
        })
        : tomap({})
      )
    }
  }

  app_environment = {
    CDD_ENV                 = var.environment
    AWS_REGION              = data.aws_region.current.region
    CDD_TABLE_PREFIX        = local.name
    CDD_DOCUMENTS_BUCKET    = module.data.bucket_names["documents"]
    CDD_DOCUMENT_SCANNER    = "guardduty" # GuardDuty Malware Protection for S3 (modules/data/malware_protection.tf)
    CDD_LISTS_BUCKET        = module.data.bucket_names["lists"]
    CDD_AUDIT_BUCKET        = module.data.bucket_names["audit"]
    CDD_EXPORTS_BUCKET      = module.data.bucket_names["exports"]
    CDD_KMS_KEY_ID          = module.kms.key_arn
    CDD_AUDIT_MAC_KEY_ID    = module.kms.audit_mac_key_arn
    CDD_QUEUE_PREFIX        = local.queue_prefix
    CDD_SQS_QUEUE_URL_BASE  = "https://sqs.${data.aws_region.current.region}.amazonaws.com/${data.aws_caller_identity.current.account_id}/"
    CDD_SCREENING_THRESHOLD = tostring(var.screening_threshold)

    # Links between the services: the admin's case links open the reviewer UI, the web leads analysts to the admin.
    CDD_WEB_URL   = "https://${var.hostnames["web"]}"
    CDD_ADMIN_URL = "https://${var.hostnames["admin"]}"

    # Screen against the active list versions in DynamoDB/S3, not the snapshot bundled in the image.
    CDD_SCREENING_LIST_SOURCE = "active"
    # Beat fetches each list from its official URL on its schedule (through the NAT gateway).
    CDD_LISTS_REFRESH_ENABLED = "true"

    CDD_ADMIN_ALLOWED_CIDRS = join(",", var.admin_allowed_cidrs)
    CDD_SERVICE_NAMESPACE   = local.namespace
    CDD_LOCAL_DIR           = "/tmp/cdd"
    CDD_LOG_LEVEL           = var.log_level
  }
}

module "kms" {
  source = "../kms"
  name   = local.name
  tags   = local.tags
}

module "network" {
  source             = "../network"
  name               = local.name
  cidr_block         = var.cidr_block
  availability_zones = var.availability_zones
  kms_key_arn        = module.kms.key_arn
  log_retention_days = var.log_retention_days
  tags               = local.tags
}

module "data" {
  source                   = "../data"
  name                     = local.name
  table_prefix             = local.name
  queue_prefix             = local.queue_prefix
  kms_key_arn              = module.kms.key_arn
  vpc_id                   = module.network.vpc_id
  private_subnet_ids       = module.network.private_subnet_ids
  multi_az                 = var.multi_az
  db_instance_class        = var.db_instance_class
  db_backup_retention_days = var.db_backup_retention_days
  audit_retention_days     = var.audit_retention_days
  tags                     = local.tags
}

module "iam" {
  source             = "../iam"
  name               = local.name
  table_arns_by_kind = module.data.table_arns_by_kind
  bucket_arns        = module.data.bucket_arns
  queue_arns         = module.data.queue_arns
  secret_arns        = module.data.secret_arns
  service_secrets    = local.service_secrets
  kms_key_arn        = module.kms.key_arn
  audit_mac_key_arn  = module.kms.audit_mac_key_arn
  ecr_repository_arn = var.ecr_repository_arn
  tags               = local.tags
}

module "ingress" {
  source             = "../ingress"
  name               = local.name
  vpc_id             = module.network.vpc_id
  vpc_cidr           = module.network.cidr_block
  public_subnet_ids  = module.network.public_subnet_ids
  private_subnet_ids = module.network.private_subnet_ids
  http_services = {
    for svc, cfg in local.http_services : svc => merge(cfg, { certificate_arn = var.certificate_arn })
  }
  test_listener_cidrs = concat([var.cidr_block], var.release_cidrs)
  access_logs_bucket  = module.data.access_logs_bucket
  kms_key_arn         = module.kms.key_arn
  waf_rate_limit      = var.waf_rate_limit
  log_retention_days  = var.log_retention_days
  tags                = local.tags
}

module "ecs" {
  source                     = "../ecs"
  name                       = local.name
  services                   = local.services
  image_repository           = var.ecr_repository_url
  image_tag                  = var.image_tag
  platform_version           = var.fargate_platform_version
  service_discovery          = var.service_discovery
  environment                = local.app_environment
  namespace                  = local.namespace
  vpc_id                     = module.network.vpc_id
  private_subnet_ids         = module.network.private_subnet_ids
  alb_security_group_ids     = module.ingress.alb_security_group_ids
  target_group_arns          = { for svc, tg in module.ingress.target_groups : svc => tg.blue_arn }
  database_security_group_id = module.data.database_security_group_id
  task_role_arns             = module.iam.task_role_arns
  execution_role_arns        = module.iam.execution_role_arns
  secret_arns                = module.data.secret_arns
  queue_names                = module.data.queue_names
  kms_key_arn                = module.kms.key_arn
  log_retention_days         = var.log_retention_days
  alarm_topic_arns           = var.alarm_topic_arns
  tags                       = local.tags
}

module "canary" {
  source       = "../canary"
  name         = local.name
  cluster_name = module.ecs.cluster_name
  http_services = {
    for svc in keys(local.http_services) : svc => {
      service_name             = module.ecs.service_names[svc]
      load_balancer_arn_suffix = module.ingress.load_balancers[svc].arn_suffix
      prod_listener_arn        = module.ingress.listener_arns[svc].prod
      test_listener_arn        = module.ingress.listener_arns[svc].test
      blue_target_group_name   = module.ingress.target_groups[svc].blue_name
      green_target_group_name  = module.ingress.target_groups[svc].green_name
    }
  }
  canary_percent           = var.canary_percent
  canary_interval_minutes  = var.canary_interval_minutes
  manual_promotion         = var.manual_promotion
  blue_termination_minutes = var.blue_termination_minutes
  alarm_topic_arns         = var.alarm_topic_arns
  tags                     = local.tags
}
