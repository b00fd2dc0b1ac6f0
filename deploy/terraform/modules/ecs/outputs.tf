output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.this.name
}

output "service_names" {
  description = "ECS service name by CDD_SERVICE."
  value = merge(
    { for k, s in aws_ecs_service.http : k => s.name },
    { for k, s in aws_ecs_service.worker : k => s.name },
    { beat = aws_ecs_service.beat.name },
  )
}

output "task_families" {
  description = "Task definition family by service (the pipeline registers new revisions of these)."
  value       = { for k, t in aws_ecs_task_definition.this : k => t.family }
}

output "log_groups" {
  description = "CloudWatch log group by service."
  value       = { for k, g in aws_cloudwatch_log_group.service : k => g.name }
}

output "namespace" {
  description = "Cloud Map namespace: services are reachable as <service>.<namespace>."
  value       = aws_service_discovery_private_dns_namespace.this.name
}

output "security_group_ids" {
  description = "Security group of each service's tasks (one-off tasks such as migrations use the worker's)."
  value       = { for k, sg in aws_security_group.service : k => sg.id }
}
