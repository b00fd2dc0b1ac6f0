variable "name" {
  description = "Name prefix of the environment, e.g. cdd-prod (keep it short: load balancer names allow 32 characters)."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the environment."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR range of the VPC (egress from the load balancers to the tasks)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets for the internet-facing load balancers."
  type        = list(string)
}

variable "private_subnet_ids" {
  description = "Private subnets for internal load balancers (admin)."
  type        = list(string)
}

variable "http_services" {
  description = "HTTP services: whether the load balancer is internal, who may reach it, and its ACM certificate."
  type = map(object({
    internal        = bool
    allowed_cidrs   = list(string)
    certificate_arn = string
  }))
}

variable "test_listener_cidrs" {
  description = "Who may reach the CodeDeploy test listener (port 8443): the VPC and the release team's networks."
  type        = list(string)
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listeners (TLS 1.2 and 1.3 only)."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition     = can(regex("TLS13-1-2|TLS-1-2", var.ssl_policy))
    error_message = "Use a TLS 1.2+ policy, e.g. ELBSecurityPolicy-TLS13-1-2-2021-06."
  }
}

variable "health_check_path" {
  description = "Readiness path the target groups probe."
  type        = string
  default     = "/readyz"
}

variable "access_logs_bucket" {
  description = "Bucket for ALB access logs (SSE-S3, see modules/data)."
  type        = string
}

variable "kms_key_arn" {
  description = "The environment's customer-managed key (WAF log group)."
  type        = string
}

variable "waf_rate_limit" {
  description = "Requests per 5 minutes from one IP before WAF blocks it."
  type        = number
  default     = 2000
}

variable "log_retention_days" {
  description = "Retention of the WAF logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
