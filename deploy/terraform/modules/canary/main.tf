# Canary deployments of the HTTP services through CodeDeploy blue/green.
#
# A deployment (started by the Jenkins pipeline with a new task definition revision):
#   1. starts the new version's tasks in the idle (green) target group;
#   2. routes the test listener (8443) to them; where var.manual_promotion is true (prod),
#      it waits there until someone promotes it (`aws deploy continue-deployment`), or
#      stops and rolls back after var.promotion_timeout_minutes;
#   3. shifts var.canary_percent % of production traffic to green for
#      var.canary_interval_minutes, then all of it;
#   4. keeps the old (blue) tasks for var.blue_termination_minutes for a fast rollback.
# Any alarm below (5xx rate or p95 latency of the service's load balancer) going off
# during the deployment stops it and rolls traffic back to blue automatically.

data "aws_partition" "current" {}

data "aws_iam_policy_document" "codedeploy_assume" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["codedeploy.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "codedeploy" {
  name               = "${var.name}-codedeploy"
  description        = "CodeDeploy shifting traffic between blue and green tasks of the CDD HTTP services"
  assume_role_policy = data.aws_iam_policy_document.codedeploy_assume.json
  tags               = var.tags
}

resource "aws_iam_role_policy_attachment" "codedeploy" {
  role       = aws_iam_role.codedeploy.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AWSCodeDeployRoleForECS"
}

resource "aws_codedeploy_app" "this" {
  name             = var.name
  compute_platform = "ECS"
  tags             = var.tags
}

resource "aws_codedeploy_deployment_config" "canary" {
  deployment_config_name = "${var.name}-canary-${var.canary_percent}pct-${var.canary_interval_minutes}min"
  compute_platform       = "ECS"

  traffic_routing_config {
    type = "TimeBasedCanary"
    time_based_canary {
      percentage = var.canary_percent
      interval   = var.canary_interval_minutes
    }
  }
}

# --- alarms that stop a canary -------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "error_rate" {
  for_each            = var.http_services
  alarm_name          = "${var.name}-${each.key}-5xx-rate"
  alarm_description   = "More than ${var.max_5xx_percent}% of ${each.key} requests answered 5xx: stops and rolls back a canary"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_5xx_percent
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arns

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * (target_5xx + elb_5xx) / requests, 0)"
    label       = "5xx %"
    return_data = true
  }
  metric_query {
    id = "target_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = each.value.load_balancer_arn_suffix }
    }
  }
  metric_query {
    id = "elb_5xx"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = each.value.load_balancer_arn_suffix }
    }
  }
  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "RequestCount"
      period      = 60
      stat        = "Sum"
      dimensions  = { LoadBalancer = each.value.load_balancer_arn_suffix }
    }
  }

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_cloudwatch_metric_alarm" "latency" {
  for_each            = var.http_services
  alarm_name          = "${var.name}-${each.key}-p95-latency"
  alarm_description   = "p95 response time of ${each.key} above ${var.max_p95_latency_seconds}s: stops and rolls back a canary"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  extended_statistic  = "p95"
  period              = 60
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.max_p95_latency_seconds
  treat_missing_data  = "notBreaching"
  dimensions          = { LoadBalancer = each.value.load_balancer_arn_suffix }
  alarm_actions       = var.alarm_topic_arns
  tags                = merge(var.tags, { Service = each.key })
}

# --- deployment groups ---------------------------------------------------------------

resource "aws_codedeploy_deployment_group" "this" {
  for_each               = var.http_services
  app_name               = aws_codedeploy_app.this.name
  deployment_group_name  = each.key
  deployment_config_name = aws_codedeploy_deployment_config.canary.deployment_config_name
  service_role_arn       = aws_iam_role.codedeploy.arn

  deployment_style {
    deployment_type   = "BLUE_GREEN"
    deployment_option = "WITH_TRAFFIC_CONTROL"
  }

  blue_green_deployment_config {
    deployment_ready_option {
      action_on_timeout    = var.manual_promotion ? "STOP_DEPLOYMENT" : "CONTINUE_DEPLOYMENT"
      wait_time_in_minutes = var.manual_promotion ? var.promotion_timeout_minutes : 0
    }
    terminate_blue_instances_on_deployment_success {
      action                           = "TERMINATE"
      termination_wait_time_in_minutes = var.blue_termination_minutes
    }
  }

  auto_rollback_configuration {
    enabled = true
    events  = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]
  }

  alarm_configuration {
    enabled = true
    alarms = [
      aws_cloudwatch_metric_alarm.error_rate[each.key].alarm_name,
      aws_cloudwatch_metric_alarm.latency[each.key].alarm_name,
    ]
  }

  ecs_service {
    cluster_name = var.cluster_name
    service_name = each.value.service_name
  }

  load_balancer_info {
    target_group_pair_info {
      prod_traffic_route {
        listener_arns = [each.value.prod_listener_arn]
      }
      test_traffic_route {
        listener_arns = [each.value.test_listener_arn]
      }
      target_group {
        name = each.value.blue_target_group_name
      }
      target_group {
        name = each.value.green_target_group_name
      }
    }
  }

  tags = merge(var.tags, { Service = each.key })
}
