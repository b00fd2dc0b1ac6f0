output "cluster_name" {
  description = "ECS cluster name."
  value       = module.cdd.cluster_name
}

output "service_names" {
  description = "ECS service name by CDD_SERVICE."
  value       = module.cdd.service_names
}

output "task_families" {
  description = "Task definition family by service."
  value       = module.cdd.task_families
}

output "codedeploy_application" {
  description = "CodeDeploy application."
  value       = module.cdd.codedeploy_application
}

output "codedeploy_groups" {
  description = "CodeDeploy deployment group by HTTP service."
  value       = module.cdd.codedeploy_groups
}

output "load_balancers" {
  description = "Load balancers to point the hostnames at."
  value       = module.cdd.load_balancers
}

output "secret_arns" {
  description = "Secrets to fill in after the first apply."
  value       = module.cdd.secret_arns
}

output "database_endpoint" {
  description = "Identity database endpoint."
  value       = module.cdd.database_endpoint
}

output "database_master_secret_arn" {
  description = "Secret with the RDS master credentials."
  value       = module.cdd.database_master_secret_arn
}

output "private_subnet_ids" {
  description = "Private subnets (one-off tasks)."
  value       = module.cdd.private_subnet_ids
}

output "security_group_ids" {
  description = "Security group by service (one-off tasks use the worker's)."
  value       = module.cdd.security_group_ids
}
