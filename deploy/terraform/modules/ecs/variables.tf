variable "name" {
  description = "Name prefix of the environment, e.g. cdd-prod."
  type        = string
}

variable "services" {
  description = "Services by CDD_SERVICE name: kind (http | worker | beat), Fargate size, task counts, secrets and extra environment."
  type = map(object({
    kind        = string
    cpu         = number
    memory      = number
    min_count   = number
    max_count   = number
    secrets     = list(string)
    environment = map(string)
  }))

  validation {
    condition     = alltrue([for s in values(var.services) : contains(["http", "worker", "beat"], s.kind)])
    error_message = "Each service's kind must be http, worker or beat."
  }

  validation {
    condition     = length([for s in values(var.services) : s if s.kind == "beat"]) == 1 && try(var.services["beat"].kind, "") == "beat"
    error_message = "There must be exactly one beat service, named beat."
  }
}

variable "image_repository" {
  description = "ECR repository URL of the CDD image."
  type        = string
}

variable "image_tag" {
  description = "Image tag (the Jenkins build number) for the task definitions Terraform registers."
  type        = string
}

variable "platform_version" {
  description = "Pinned Fargate platform version."
  type        = string
  default     = "1.4.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+$", var.platform_version))
    error_message = "Pin an exact Fargate platform version such as 1.4.0 (not LATEST)."
  }
}

variable "cpu_architecture" {
  description = "CPU architecture of the image (X86_64 or ARM64)."
  type        = string
  default     = "X86_64"
}

variable "environment" {
  description = "Environment variables every service receives (CDD_ENV, buckets, table prefix, ...)."
  type        = map(string)
}

variable "namespace" {
  description = "Cloud Map private DNS namespace, e.g. prod.cdd.internal."
  type        = string
}

variable "service_discovery" {
  description = "Register the HTTP services' tasks in Cloud Map (A and SRV records)."
  type        = bool
  default     = true
}

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets (two or more availability zones) for the tasks."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "Give private subnets in at least two availability zones."
  }
}

variable "alb_security_group_ids" {
  description = "Load balancer security group by HTTP service."
  type        = map(string)
}

variable "target_group_arns" {
  description = "Initial (blue) target group ARN by HTTP service."
  type        = map(string)
}

variable "database_security_group_id" {
  description = "Security group of the identity database."
  type        = string
}

variable "task_role_arns" {
  description = "Task role ARN by service."
  type        = map(string)
}

variable "execution_role_arns" {
  description = "Execution role ARN by service."
  type        = map(string)
}

variable "secret_arns" {
  description = "Secrets Manager ARNs by logical name."
  type        = map(string)
}

variable "queue_names" {
  description = "SQS queue names by logical name (worker autoscaling)."
  type        = map(string)
}

variable "kms_key_arn" {
  description = "The environment's customer-managed key (log groups, ECS Exec)."
  type        = string
}

variable "http_cpu_target" {
  description = "Average CPU utilisation (%) the HTTP services are scaled to."
  type        = number
  default     = 60
}

variable "worker_backlog_per_task" {
  description = "SQS messages waiting per worker task that the workers are scaled to."
  type        = number
  default     = 50
}

variable "log_retention_days" {
  description = "Retention of the service log groups."
  type        = number
  default     = 365
}

variable "alarm_topic_arns" {
  description = "SNS topics notified when an alarm goes off (the audit trail's alarm; optional)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
