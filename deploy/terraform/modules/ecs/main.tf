# The ECS cluster and one Fargate service per entrypoint of the CDD image.
#
#   http   (api, web, admin): behind their load balancer, deployed by CodeDeploy
#          blue/green canaries (modules/canary), scaled on CPU, registered in Cloud Map
#   worker celery workers, deployed by ECS rolling updates with the circuit breaker
#          (the pipeline uses ecs-deploy), scaled on SQS backlog per task
#   beat   celery beat: exactly one task, never two at once (min 0% / max 100% on deploy)
#
# Every task: awsvpc networking in the private subnets (two or more zones), no public IP,
# a pinned Fargate platform version, read-only root filesystem with /tmp as a task volume,
# non-root user, logs to its own KMS-encrypted log group, secrets from Secrets Manager.

data "aws_region" "current" {}

locals {
  region = data.aws_region.current.region

  http_services   = { for k, s in var.services : k => s if s.kind == "http" }
  worker_services = { for k, s in var.services : k => s if s.kind == "worker" }
  scaled_services = merge(local.http_services, local.worker_services)
  db_clients      = { for k, s in var.services : k => s if s.kind != "beat" }

  # Services allowed to call an HTTP service directly through Cloud Map (port 8000).
  callers = {
    for pair in setproduct(keys(local.http_services), keys(local.worker_services)) :
    "${pair[1]}-to-${pair[0]}" => { target = pair[0], caller = pair[1] } if pair[0] != "admin"
  }

  # Environment variable each logical secret is delivered as.
  secret_env = {
    #checkov:skip=CKV_SECRET_6:An environment variable name, not a secret value.
    django_secret_key = "DJANGO_SECRET_KEY"
    database_url      = "DATABASE_URL"
  }

  image = "${var.image_repository}:${var.image_tag}"
}

# --- cluster -------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "exec" {
  name              = "/cdd/${var.name}/ecs-exec"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_ecs_cluster" "this" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enhanced"
  }

  configuration {
    execute_command_configuration {
      kms_key_id = var.kms_key_arn
      logging    = "OVERRIDE"
      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.exec.name
      }
    }
  }

  tags = var.tags
}

resource "aws_ecs_cluster_capacity_providers" "this" {
  cluster_name       = aws_ecs_cluster.this.name
  capacity_providers = ["FARGATE"]

  default_capacity_provider_strategy {
    capacity_provider = "FARGATE"
    weight            = 1
  }
}

# --- service discovery ---------------------------------------------------------------

resource "aws_service_discovery_private_dns_namespace" "this" {
  name        = var.namespace
  description = "Service-to-service names of CDD ${var.name} (<service>.${var.namespace})"
  vpc         = var.vpc_id
  tags        = var.tags
}

resource "aws_service_discovery_service" "this" {
  for_each = local.http_services
  name     = each.key

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.this.id
    routing_policy = "MULTIVALUE"
    dns_records {
      type = "A"
      ttl  = 10
    }
    dns_records {
      type = "SRV"
      ttl  = 10
    }
  }

  tags = merge(var.tags, { Service = each.key })
}

# --- logs ----------------------------------------------------------------------------

resource "aws_cloudwatch_log_group" "service" {
  for_each          = var.services
  name              = "/cdd/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = merge(var.tags, { Service = each.key })
}

# --- alarms on what the services log ---------------------------------------------------

# The worker's periodic audit verification (beat: audit.verify_recent) logs "AUDIT TRAIL BROKEN: ..."
# when a chain, an anchor or a checkpoint does not verify (apps/audit/tasks.py). Counted in every
# service's log group, so a one-off `manage.py audit_verify` task that finds a break alarms too.
resource "aws_cloudwatch_log_metric_filter" "audit_trail_broken" {
  for_each       = var.services
  name           = "${var.name}-${each.key}-audit-trail-broken"
  log_group_name = aws_cloudwatch_log_group.service[each.key].name
  pattern        = "{ $.message = \"AUDIT TRAIL BROKEN*\" }"

  metric_transformation {
    name          = "AuditTrailBroken"
    namespace     = "CDD/${var.name}"
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "audit_trail_broken" {
  alarm_name          = "${var.name}-audit-trail-broken"
  alarm_description   = "The audit trail did not verify: an event, a chain or an anchor was changed or is missing. Run manage.py audit_verify --since <date> in an admin task and follow docs/audit.md (Verifying)."
  namespace           = "CDD/${var.name}"
  metric_name         = "AuditTrailBroken"
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_topic_arns
  ok_actions          = var.alarm_topic_arns
  tags                = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.audit_trail_broken]
}

# --- security groups -----------------------------------------------------------------

resource "aws_security_group" "service" {
  for_each    = var.services
  name        = "${var.name}-${each.key}"
  description = "Tasks of the ${each.key} service"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-${each.key}", Service = each.key })
}

resource "aws_vpc_security_group_ingress_rule" "from_alb" {
  for_each                     = local.http_services
  security_group_id            = aws_security_group.service[each.key].id
  description                  = "gunicorn from the ${each.key} load balancer"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = var.alb_security_group_ids[each.key]
}

resource "aws_vpc_security_group_ingress_rule" "from_callers" {
  for_each                     = local.callers
  security_group_id            = aws_security_group.service[each.value.target].id
  description                  = "gunicorn from ${each.value.caller} through Cloud Map"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.service[each.value.caller].id
}

resource "aws_vpc_security_group_egress_rule" "https" {
  for_each          = var.services
  security_group_id = aws_security_group.service[each.key].id
  description       = "HTTPS: AWS APIs through the VPC endpoints; sanctions-list sources and webhooks through NAT"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "to_callees" {
  for_each                     = local.callers
  security_group_id            = aws_security_group.service[each.value.caller].id
  description                  = "To ${each.value.target} through Cloud Map"
  ip_protocol                  = "tcp"
  from_port                    = 8000
  to_port                      = 8000
  referenced_security_group_id = aws_security_group.service[each.value.target].id
}

resource "aws_vpc_security_group_egress_rule" "to_database" {
  for_each                     = local.db_clients
  security_group_id            = aws_security_group.service[each.key].id
  description                  = "PostgreSQL (identity database)"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = var.database_security_group_id
}

resource "aws_vpc_security_group_ingress_rule" "database" {
  for_each                     = local.db_clients
  security_group_id            = var.database_security_group_id
  description                  = "PostgreSQL from the ${each.key} service"
  ip_protocol                  = "tcp"
  from_port                    = 5432
  to_port                      = 5432
  referenced_security_group_id = aws_security_group.service[each.key].id
}

# --- task definitions ----------------------------------------------------------------

resource "aws_ecs_task_definition" "this" {
  for_each                 = var.services
  family                   = "${var.name}-${each.key}"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = var.execution_role_arns[each.key]
  task_role_arn            = var.task_role_arns[each.key]

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  # The root filesystem is read-only; /tmp is the task's own scratch space.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([
    {
      name                   = "app"
      image                  = local.image
      essential              = true
      user                   = "10001:10001"
      readonlyRootFilesystem = true
      privileged             = false
      stopTimeout            = each.value.kind == "http" ? 30 : 120
      portMappings           = each.value.kind == "http" ? [{ name = "http", containerPort = 8000, protocol = "tcp" }] : []
      mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
      environment = [
        for k, v in merge(var.environment, each.value.environment, { CDD_SERVICE = each.key }) : { name = k, value = v }
      ]
      secrets = [
        for s in each.value.secrets : { name = local.secret_env[s], valueFrom = var.secret_arns[s] }
      ]
      healthCheck = {
        command     = ["CMD", "python", "/app/docker/healthcheck.py"]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
          awslogs-region        = local.region
          awslogs-stream-prefix = each.key
          mode                  = "non-blocking"
          max-buffer-size       = "25m"
        }
      }
    }
  ])

  tags = merge(var.tags, { Service = each.key })
}

# --- services ------------------------------------------------------------------------

resource "aws_ecs_service" "http" {
  #checkov:skip=CKV_AWS_332:The platform version is pinned (var.platform_version) so a Fargate change is a reviewed change, not a surprise on the next deployment.
  for_each                          = local.http_services
  name                              = each.key
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.this[each.key].arn
  launch_type                       = "FARGATE"
  platform_version                  = var.platform_version
  desired_count                     = each.value.min_count
  health_check_grace_period_seconds = 60
  enable_execute_command            = false
  enable_ecs_managed_tags           = true
  propagate_tags                    = "SERVICE"

  deployment_controller {
    type = "CODE_DEPLOY"
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service[each.key].id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arns[each.key]
    container_name   = "app"
    container_port   = 8000
  }

  # A and SRV records in Cloud Map (<service>.<namespace>). var.service_discovery turns this
  # off should an account refuse service registries next to the CODE_DEPLOY controller.
  dynamic "service_registries" {
    for_each = var.service_discovery ? [aws_service_discovery_service.this[each.key].arn] : []
    content {
      registry_arn   = service_registries.value
      container_name = "app"
      container_port = 8000
    }
  }

  # CodeDeploy owns the task definition and target group in use; autoscaling owns the count.
  lifecycle {
    ignore_changes = [task_definition, load_balancer, desired_count]
  }

  tags = merge(var.tags, { Service = each.key })
}

resource "aws_ecs_service" "worker" {
  #checkov:skip=CKV_AWS_332:The platform version is pinned (var.platform_version) so a Fargate change is a reviewed change, not a surprise on the next deployment.
  for_each                           = local.worker_services
  name                               = each.key
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this[each.key].arn
  launch_type                        = "FARGATE"
  platform_version                   = var.platform_version
  desired_count                      = each.value.min_count
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  enable_execute_command             = false
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"

  deployment_controller {
    type = "ECS"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service[each.key].id]
    assign_public_ip = false
  }

  # The pipeline (ecs-deploy) registers new revisions; autoscaling owns the count.
  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }

  tags = merge(var.tags, { Service = each.key })
}

# Exactly one beat: never scaled, and stopped before its replacement starts.
resource "aws_ecs_service" "beat" {
  #checkov:skip=CKV_AWS_332:The platform version is pinned (var.platform_version) so a Fargate change is a reviewed change, not a surprise on the next deployment.
  name                               = "beat"
  cluster                            = aws_ecs_cluster.this.id
  task_definition                    = aws_ecs_task_definition.this["beat"].arn
  launch_type                        = "FARGATE"
  platform_version                   = var.platform_version
  desired_count                      = 1
  deployment_minimum_healthy_percent = 0
  deployment_maximum_percent         = 100
  enable_execute_command             = false
  enable_ecs_managed_tags            = true
  propagate_tags                     = "SERVICE"

  deployment_controller {
    type = "ECS"
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.service["beat"].id]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [task_definition]
  }

  tags = merge(var.tags, { Service = "beat" })
}

# --- autoscaling ---------------------------------------------------------------------

resource "aws_appautoscaling_target" "this" {
  for_each           = local.scaled_services
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${each.key}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = each.value.min_count
  max_capacity       = each.value.max_count
  depends_on         = [aws_ecs_service.http, aws_ecs_service.worker]
}

resource "aws_appautoscaling_policy" "cpu" {
  for_each           = local.http_services
  name               = "${var.name}-${each.key}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.http_cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

# Workers scale on queue depth: messages waiting, summed over their queues, per running task.
resource "aws_appautoscaling_policy" "queue_depth" {
  for_each           = local.worker_services
  name               = "${var.name}-${each.key}-queue-depth"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.worker_backlog_per_task
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    customized_metric_specification {
      dynamic "metrics" {
        for_each = var.queue_names
        content {
          id          = "q_${metrics.key}"
          return_data = false
          metric_stat {
            stat = "Maximum"
            metric {
              namespace   = "AWS/SQS"
              metric_name = "ApproximateNumberOfMessagesVisible"
              dimensions {
                name  = "QueueName"
                value = metrics.value
              }
            }
          }
        }
      }

      metrics {
        id          = "tasks"
        return_data = false
        metric_stat {
          stat = "Average"
          metric {
            namespace   = "ECS/ContainerInsights"
            metric_name = "RunningTaskCount"
            dimensions {
              name  = "ClusterName"
              value = aws_ecs_cluster.this.name
            }
            dimensions {
              name  = "ServiceName"
              value = each.key
            }
          }
        }
      }

      metrics {
        id          = "backlog_per_task"
        label       = "SQS messages waiting per ${each.key} task"
        expression  = "(${join(" + ", [for q in keys(var.queue_names) : "q_${q}"])}) / IF(tasks < 1, 1, tasks)"
        return_data = true
      }
    }
  }
}
