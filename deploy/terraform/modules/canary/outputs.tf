output "application_name" {
  description = "CodeDeploy application."
  value       = aws_codedeploy_app.this.name
}

output "deployment_groups" {
  description = "CodeDeploy deployment group by HTTP service."
  value       = { for k, g in aws_codedeploy_deployment_group.this : k => g.deployment_group_name }
}

output "deployment_config_name" {
  description = "Canary deployment configuration."
  value       = aws_codedeploy_deployment_config.canary.deployment_config_name
}
