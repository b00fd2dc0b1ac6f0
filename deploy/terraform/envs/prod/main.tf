# CDD prod: its own VPC (10.42.0.0/16), its own Terraform state (key cdd/prod/terraform.tfstate).
#
#   cd deploy/terraform/envs/prod
#   terraform init -backend-config="bucket=<state bucket from bootstrap>"
#   terraform plan -var-file=prod.tfvars -var image_tag=<build number> -out=tfplan
#   terraform apply tfplan
#
# Settings every bank fills in (certificate, hostnames, admin networks) are variables, set
# in prod.tfvars (see prod.tfvars.example). What makes prod prod is in locals below.

terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
  }

  # bucket comes from -backend-config (the bank's state bucket, see ../../bootstrap).
  backend "s3" {
    key          = "cdd/prod/terraform.tfstate"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = [var.account_id]

  default_tags {
    tags = {
      Project     = "cdd"
      Environment = "prod"
      ManagedBy   = "terraform"
    }
  }
}

# Pinned zones: the environment never spreads to a zone AWS adds later without a change here.
data "aws_availability_zones" "pinned" {
  state = "available"
  filter {
    name   = "zone-name"
    values = [for letter in local.zone_letters : "${var.region}${letter}"]
  }
}

data "aws_ecr_repository" "cdd" {
  name = var.ecr_repository_name
}

locals {
  environment  = "prod"
  cidr_block   = "10.42.0.0/16"
  zone_letters = ["a", "b", "c"]
  multi_az     = true

  # Object Lock retention of the audit anchors (compliance mode: cannot be shortened).
  audit_retention_days = 3650

  # Hold HTTP deployments on the test listener until someone promotes them.
  manual_promotion = true

  capacity = {
    api    = { cpu = 1024, memory = 2048, min_count = 3, max_count = 12 }
    web    = { cpu = 1024, memory = 2048, min_count = 3, max_count = 8 }
    admin  = { cpu = 512, memory = 1024, min_count = 2, max_count = 4 }
    worker = { cpu = 2048, memory = 4096, min_count = 2, max_count = 20 }
    beat   = { cpu = 256, memory = 512, min_count = 1, max_count = 1 }
  }
}

module "cdd" {
  source = "../../modules/environment"

  environment              = local.environment
  cidr_block               = local.cidr_block
  availability_zones       = data.aws_availability_zones.pinned.names
  multi_az                 = local.multi_az
  audit_retention_days     = local.audit_retention_days
  manual_promotion         = local.manual_promotion
  capacity                 = local.capacity
  ecr_repository_url       = data.aws_ecr_repository.cdd.repository_url
  ecr_repository_arn       = data.aws_ecr_repository.cdd.arn
  image_tag                = var.image_tag
  certificate_arn          = var.certificate_arn
  hostnames                = var.hostnames
  admin_allowed_cidrs      = var.admin_allowed_cidrs
  release_cidrs            = var.release_cidrs
  alarm_topic_arns         = var.alarm_topic_arns
  canary_interval_minutes  = 15
  blue_termination_minutes = 60
  db_instance_class        = "db.r7g.large"
  db_backup_retention_days = 35
}
