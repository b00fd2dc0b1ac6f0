variable "region" {
  description = "Home region of the account's shared resources."
  type        = string
}

variable "account_id" {
  description = "AWS account to create them in (the provider refuses any other)."
  type        = string
}

variable "state_bucket_prefix" {
  description = "Name prefix of the Terraform state bucket (the account id is appended)."
  type        = string
  default     = "cdd-terraform-state"
}

variable "ecr_repository_name" {
  description = "Name of the ECR repository of the CDD image."
  type        = string
  default     = "cdd"
}

variable "images_to_keep" {
  description = "Images kept in ECR; older ones expire."
  type        = number
  default     = 200
}
