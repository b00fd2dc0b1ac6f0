output "load_balancers" {
  description = "Per HTTP service: ARN suffix (CloudWatch dimension), DNS name and hosted zone of its load balancer."
  value = {
    for k, lb in aws_lb.this : k => {
      arn_suffix = lb.arn_suffix
      dns_name   = lb.dns_name
      zone_id    = lb.zone_id
    }
  }
}

output "alb_security_group_ids" {
  description = "Security group of each HTTP service's load balancer."
  value       = { for k, sg in aws_security_group.alb : k => sg.id }
}

output "target_groups" {
  description = "Per HTTP service: blue and green target group ARN, name and ARN suffix."
  value = {
    for svc in keys(var.http_services) : svc => {
      blue_arn         = aws_lb_target_group.this["${svc}-blue"].arn
      green_arn        = aws_lb_target_group.this["${svc}-green"].arn
      blue_name        = aws_lb_target_group.this["${svc}-blue"].name
      green_name       = aws_lb_target_group.this["${svc}-green"].name
      blue_arn_suffix  = aws_lb_target_group.this["${svc}-blue"].arn_suffix
      green_arn_suffix = aws_lb_target_group.this["${svc}-green"].arn_suffix
    }
  }
}

output "listener_arns" {
  description = "Per HTTP service: production (443) and test (8443) listener ARNs."
  value = {
    for svc in keys(var.http_services) : svc => {
      prod = aws_lb_listener.https[svc].arn
      test = aws_lb_listener.test[svc].arn
    }
  }
}

output "web_acl_arn" {
  description = "WAF web ACL in front of the load balancers."
  value       = aws_wafv2_web_acl.this.arn
}
