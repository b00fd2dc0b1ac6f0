# CDD dev: its own VPC (10.40.0.0/16), its own Terraform state (key cdd/dev/terraform.tfstate).
#
#   cd deploy/terraform/envs/dev
#   terraform init -backend-config="bucket=<state bucket from bootstrap>"
#   terraform plan -var-file=dev.tfvars -var image_tag=<build number> -out=tfplan
#   terraform apply tfplan
#
# Settings every bank fills in (certificate, hostnames, admin networks) are variables, set
# in dev.tfvars (see dev.tfvars.example). What makes dev dev is in locals below.

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
    key          = "cdd/dev/terraform.tfstate"
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
      Environment = "dev"
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
  environment  = "dev"
  cidr_block   = "10.40.0.0/16"
  zone_letters = ["a", "b"]
  multi_az     = false

  # Object Lock retention of the audit anchors (compliance mode: cannot be shortened).
  audit_retention_days = 1

  # Hold HTTP deployments on the test listener until someone promotes them.
  manual_promotion = false

  capacity = {
    api    = { cpu = 256, memory = 512, min_count = 1, max_count = 2 }
    web    = { cpu = 256, memory = 512, min_count = 1, max_count = 2 }
    admin  = { cpu = 256, memory = 512, min_count = 1, max_count = 2 }
    worker = { cpu = 512, memory = 1024, min_count = 1, max_count = 2 }
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
  canary_interval_minutes  = 5
  blue_termination_minutes = 5
  db_instance_class        = "db.t4g.small"
  db_backup_retention_days = 7
}
