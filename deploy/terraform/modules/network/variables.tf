variable "name" {
  description = "Name prefix of the environment, e.g. cdd-prod."
  type        = string
}

variable "cidr_block" {
  description = "CIDR range of the environment's VPC (a /16, distinct per environment)."
  type        = string

  validation {
    condition     = can(cidrnetmask(var.cidr_block)) && endswith(var.cidr_block, "/16")
    error_message = "cidr_block must be a /16, e.g. 10.20.0.0/16."
  }
}

variable "availability_zones" {
  description = "Availability zones for the subnets: at least two."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2
    error_message = "Give at least two availability zones."
  }
}

variable "kms_key_arn" {
  description = "Customer-managed key for the flow-log group."
  type        = string
}

variable "log_retention_days" {
  description = "Retention of the flow logs."
  type        = number
  default     = 365
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
