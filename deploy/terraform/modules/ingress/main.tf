# Load balancing for the HTTP services: one Application Load Balancer per service (so
# CodeDeploy can shift each service's traffic on its own listener), HTTPS only with a
# TLS 1.2+ policy and an ACM certificate, HTTP answered with a redirect, access logs to
# S3, and AWS WAF with AWS managed rule groups in front of every load balancer.
#
# api and web are internet-facing; admin is internal and its security group admits only
# var.http_services["admin"].allowed_cidrs (the bank's staff networks over VPN / Direct
# Connect). Each service has a blue and a green target group and a test listener (8443)
# that CodeDeploy uses to reach the new version before it gets production traffic.

locals {
  colors = ["blue", "green"]

  target_groups = {
    for pair in setproduct(keys(var.http_services), local.colors) :
    "${pair[0]}-${pair[1]}" => { service = pair[0], color = pair[1] }
  }

  # One ingress rule per (service, port, CIDR).
  listener_ports = { https = 443, http = 80 }
  ingress = merge([
    for svc, cfg in var.http_services : {
      for pair in setproduct(keys(local.listener_ports), cfg.allowed_cidrs) :
      "${svc}-${pair[0]}-${pair[1]}" => { service = svc, port = local.listener_ports[pair[0]], cidr = pair[1] }
    }
  ]...)
  test_ingress = merge([
    for svc, _ in var.http_services : {
      for cidr in var.test_listener_cidrs : "${svc}-test-${cidr}" => { service = svc, cidr = cidr }
    }
  ]...)
}

resource "aws_security_group" "alb" {
  for_each    = var.http_services
  name        = "${var.name}-${each.key}-alb"
  description = "Load balancer of the ${each.key} service"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-${each.key}-alb", Service = each.key })
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  # Port 80 only answers with a redirect to HTTPS (aws_lb_listener.http); nothing is forwarded over HTTP.
  for_each          = local.ingress
  security_group_id = aws_security_group.alb[each.value.service].id
  description       = "${each.value.port == 443 ? "HTTPS" : "HTTP (redirected to HTTPS)"} from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = each.value.port
  to_port           = each.value.port
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_ingress_rule" "alb_test" {
  for_each          = local.test_ingress
  security_group_id = aws_security_group.alb[each.value.service].id
  description       = "CodeDeploy test listener (new version before it takes traffic) from ${each.value.cidr}"
  ip_protocol       = "tcp"
  from_port         = 8443
  to_port           = 8443
  cidr_ipv4         = each.value.cidr
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  for_each          = var.http_services
  security_group_id = aws_security_group.alb[each.key].id
  description       = "To the ${each.key} tasks (gunicorn on 8000) inside the VPC"
  ip_protocol       = "tcp"
  from_port         = 8000
  to_port           = 8000
  cidr_ipv4         = var.vpc_cidr
}

resource "aws_lb" "this" {
  for_each                   = var.http_services
  name                       = "${var.name}-${each.key}"
  load_balancer_type         = "application"
  internal                   = each.value.internal
  subnets                    = each.value.internal ? var.private_subnet_ids : var.public_subnet_ids
  security_groups            = [aws_security_group.alb[each.key].id]
  drop_invalid_header_fields = true
  # The ALB adds the address it saw to the right of X-Forwarded-For; the services believe only that entry
  # (CDD_TRUSTED_PROXY_HOPS = 1, set by modules/environment). No port: the allow-list compares addresses.
  xff_header_processing_mode = "append"
  enable_xff_client_port     = false
  desync_mitigation_mode     = "strictest"
  enable_deletion_protection = true
  idle_timeout               = 60

  access_logs {
    enabled = true
    bucket  = var.access_logs_bucket
    prefix  = "alb"
  }

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_lb_target_group" "this" {
  #checkov:skip=CKV_AWS_378:TLS ends at the load balancer; traffic to the tasks stays inside the VPC's private subnets, limited by security groups to the load balancer.
  for_each             = local.target_groups
  name                 = "${var.name}-${each.value.service}-${each.value.color}"
  target_type          = "ip"
  protocol             = "HTTP"
  port                 = 8000
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  # Readiness: a task whose dependencies are down stops receiving requests.
  health_check {
    enabled             = true
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = merge(var.tags, { Service = each.value.service, Color = each.value.color })
}

resource "aws_lb_listener" "https" {
  for_each          = var.http_services
  load_balancer_arn = aws_lb.this[each.key].arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = each.value.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["${each.key}-blue"].arn
  }

  # CodeDeploy swaps the target group on every deployment.
  lifecycle {
    ignore_changes = [default_action]
  }
}

resource "aws_lb_listener" "test" {
  for_each          = var.http_services
  load_balancer_arn = aws_lb.this[each.key].arn
  port              = 8443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = each.value.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this["${each.key}-green"].arn
  }

  lifecycle {
    ignore_changes = [default_action]
  }
}

resource "aws_lb_listener" "http" {
  for_each          = var.http_services
  load_balancer_arn = aws_lb.this[each.key].arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"
    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

# --- WAF -----------------------------------------------------------------------------

resource "aws_wafv2_web_acl" "this" {
  name        = var.name
  description = "CDD ${var.name}: AWS managed rule groups and a per-IP rate limit"
  scope       = "REGIONAL"

  default_action {
    allow {}
  }

  rule {
    name     = "aws-ip-reputation"
    priority = 10
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAmazonIpReputationList"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-ip-reputation"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-anonymous-ip"
    priority = 15
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesAnonymousIpList"
        vendor_name = "AWS"
        # Integrations (onboarding portals) run on cloud hosting: count those, block anonymisers.
        rule_action_override {
          name = "HostingProviderIPList"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-anonymous-ip"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-common"
    priority = 20
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesCommonRuleSet"
        vendor_name = "AWS"
        # Document uploads are larger than the rule's 8 KB body limit; the app limits sizes itself.
        rule_action_override {
          name = "SizeRestrictions_BODY"
          action_to_use {
            count {}
          }
        }
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-common"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-known-bad-inputs"
    priority = 30
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-known-bad-inputs"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "aws-sqli"
    priority = 40
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        name        = "AWSManagedRulesSQLiRuleSet"
        vendor_name = "AWS"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-sqli"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "rate-limit-per-ip"
    priority = 50
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.waf_rate_limit
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-limit"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = var.name
    sampled_requests_enabled   = true
  }

  tags = var.tags
}

resource "aws_wafv2_web_acl_association" "this" {
  for_each     = var.http_services
  resource_arn = aws_lb.this[each.key].arn
  web_acl_arn  = aws_wafv2_web_acl.this.arn
}

resource "aws_cloudwatch_log_group" "waf" {
  # WAF requires the aws-waf-logs- prefix.
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  # API keys and session cookies never reach the logs.
  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
  redacted_fields {
    single_header {
      name = "cookie"
    }
  }
}
