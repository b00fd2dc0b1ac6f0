variable "name" {
  description = "Name prefix of the environment, e.g. cdd-prod."
  type        = string
}

variable "cluster_name" {
  description = "ECS cluster of the services."
  type        = string
}

variable "http_services" {
  description = "Per HTTP service: ECS service name, load balancer ARN suffix, listeners and blue/green target groups."
  type = map(object({
    service_name             = string
    load_balancer_arn_suffix = string
    prod_listener_arn        = string
    test_listener_arn        = string
    blue_target_group_name   = string
    green_target_group_name  = string
  }))
}

variable "canary_percent" {
  description = "Share of production traffic (%) the new version gets during the canary interval."
  type        = number
  default     = 10

  validation {
    condition     = var.canary_percent > 0 && var.canary_percent < 100
    error_message = "canary_percent must be between 1 and 99."
  }
}

variable "canary_interval_minutes" {
  description = "Minutes the canary runs on canary_percent % of traffic before the rest shifts."
  type        = number
  default     = 10
}

variable "manual_promotion" {
  description = "Hold each deployment on the test listener until someone promotes it (prod)."
  type        = bool
  default     = false
}

variable "promotion_timeout_minutes" {
  description = "With manual_promotion: minutes to wait for promotion before the deployment stops and rolls back."
  type        = number
  default     = 60
}

variable "blue_termination_minutes" {
  description = "Minutes the previous version's tasks are kept after a successful deployment."
  type        = number
  default     = 30
}

variable "max_5xx_percent" {
  description = "5xx responses (% of requests, per minute) above which a canary rolls back."
  type        = number
  default     = 2
}

variable "max_p95_latency_seconds" {
  description = "p95 target response time (seconds) above which a canary rolls back."
  type        = number
  default     = 1.5
}

variable "alarm_topic_arns" {
  description = "SNS topics notified when an alarm goes off (optional)."
  type        = list(string)
  default     = []
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
