output "cluster_name" {
  description = "ECS cluster name."
  value       = module.ecs.cluster_name
}

output "service_names" {
  description = "ECS service name by CDD_SERVICE."
  value       = module.ecs.service_names
}

output "task_families" {
  description = "Task definition family by service."
  value       = module.ecs.task_families
}

output "codedeploy_application" {
  description = "CodeDeploy application of the canaried services."
  value       = module.canary.application_name
}

output "codedeploy_groups" {
  description = "CodeDeploy deployment group by HTTP service."
  value       = module.canary.deployment_groups
}

output "load_balancers" {
  description = "Load balancer DNS names and zones by HTTP service (point the hostnames here)."
  value       = module.ingress.load_balancers
}

output "secret_arns" {
  description = "Secrets to fill in after the first apply."
  value       = module.data.secret_arns
}

output "database_endpoint" {
  description = "Identity database endpoint."
  value       = module.data.database_endpoint
}

output "database_master_secret_arn" {
  description = "Secret holding the RDS master credentials (for creating the app user)."
  value       = module.data.database_master_secret_arn
}

output "private_subnet_ids" {
  description = "Private subnets (for one-off tasks such as migrations)."
  value       = module.network.private_subnet_ids
}

output "namespace" {
  description = "Cloud Map namespace."
  value       = module.ecs.namespace
}

output "security_group_ids" {
  description = "Security group of each service's tasks."
  value       = module.ecs.security_group_ids
}
