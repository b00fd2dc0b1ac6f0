variable "name" {
  description = "Name prefix of the environment, e.g. cdd-prod."
  type        = string
}

variable "tags" {
  description = "Tags applied to every resource."
  type        = map(string)
  default     = {}
}
