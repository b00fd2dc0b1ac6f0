variable "environment" {
  description = "Environment name: dev, staging or prod (CDD_ENV)."
  type        = string

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "cidr_block" {
  description = "The environment's own VPC range (a /16, distinct from every other environment)."
  type        = string
}

variable "availability_zones" {
  description = "Availability zones of the subnets (at least two)."
  type        = list(string)
}

variable "ecr_repository_url" {
  description = "ECR repository URL of the CDD image (from deploy/terraform/bootstrap)."
  type        = string
}

variable "ecr_repository_arn" {
  description = "ECR repository ARN of the CDD image."
  type        = string
}

variable "image_tag" {
  description = "Image tag (Jenkins build number) Terraform puts in the task definitions it registers."
  type        = string
}

variable "fargate_platform_version" {
  description = "Pinned Fargate platform version."
  type        = string
  default     = "1.4.0"
}

variable "service_discovery" {
  description = "Register the HTTP services in Cloud Map (A and SRV records) for service-to-service calls."
  type        = bool
  default     = true
}

variable "certificate_arn" {
  description = "ACM certificate covering the hostnames of api, web and admin."
  type        = string
}

variable "hostnames" {
  description = "Public hostname of each HTTP service (DJANGO_ALLOWED_HOSTS), e.g. { api = \"api.cdd.example-bank.com\", ... }."
  type        = map(string)

  validation {
    condition     = alltrue([for s in ["api", "web", "admin"] : contains(keys(var.hostnames), s)])
    error_message = "Give a hostname for api, web and admin."
  }
}

variable "public_allowed_cidrs" {
  description = "Who may reach the internet-facing load balancers (api, web)."
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "admin_allowed_cidrs" {
  description = "The only networks that may reach the admin service (staff networks over VPN / Direct Connect)."
  type        = list(string)

  validation {
    condition     = length(var.admin_allowed_cidrs) > 0 && !contains(var.admin_allowed_cidrs, "0.0.0.0/0")
    error_message = "admin_allowed_cidrs must list specific networks, never 0.0.0.0/0."
  }
}

variable "release_cidrs" {
  description = "Networks of the release team / CI agents that may reach the CodeDeploy test listener (8443)."
  type        = list(string)
  default     = []
}

variable "capacity" {
  description = "Fargate size and task counts per service."
  type = map(object({
    cpu       = number
    memory    = number
    min_count = number
    max_count = number
  }))
}

variable "worker_concurrency" {
  description = "Celery processes per worker task."
  type        = number
  default     = 4
}

variable "multi_az" {
  description = "Identity database in two availability zones."
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
  description = "Object Lock (compliance) retention of audit anchors."
  type        = number
}

variable "screening_threshold" {
  description = "CDD_SCREENING_THRESHOLD: minimum match score that raises an alert."
  type        = number
  default     = 0.8
}

variable "log_level" {
  description = "CDD_LOG_LEVEL of the services."
  type        = string
  default     = "INFO"
}

variable "log_retention_days" {
  description = "Retention of every log group (at least a year for audit purposes)."
  type        = number
  default     = 365
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP before WAF blocks it."
  type        = number
  default     = 2000
}

variable "canary_percent" {
  description = "Traffic share (%) of a canary."
  type        = number
  default     = 10
}

variable "canary_interval_minutes" {
  description = "Minutes a canary runs before the rest of the traffic shifts."
  type        = number
  default     = 10
}

variable "manual_promotion" {
  description = "Hold each HTTP deployment on the test listener until someone promotes it."
  type        = bool
  default     = false
}

variable "blue_termination_minutes" {
  description = "Minutes the previous version's tasks are kept after a deployment."
  type        = number
  default     = 30
}

variable "alarm_topic_arns" {
  description = "SNS topics for the canary alarms."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
