variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "account_id" {
  description = "AWS account the environment lives in (the provider refuses any other)."
  type        = string
}

variable "ecr_repository_name" {
  description = "ECR repository of the CDD image (created by ../../bootstrap)."
  type        = string
  default     = "cdd"
}

variable "image_tag" {
  description = "Image tag (Jenkins build number) for the task definitions Terraform registers: pass the one currently deployed."
  type        = string
}

variable "certificate_arn" {
  description = "ACM certificate for the service hostnames."
  type        = string
}

variable "hostnames" {
  description = "Hostname of each HTTP service: api, web, admin."
  type        = map(string)
}

variable "admin_allowed_cidrs" {
  description = "Networks allowed to reach the admin service."
  type        = list(string)
}

variable "release_cidrs" {
  description = "Networks allowed to reach the CodeDeploy test listener (CI agents, release team)."
  type        = list(string)
  default     = []
}

variable "alarm_topic_arns" {
  description = "SNS topics for the canary alarms."
  type        = list(string)
  default     = []
}
