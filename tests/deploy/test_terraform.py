"""The Terraform in deploy/terraform has the properties a bank's platform team checks.

Parsed with python-hcl2 (no terraform binary, no AWS): each test names one property of
the issue and fails when the code stops having it.
"""

from __future__ import annotations

import ipaddress
import json
import re

import pytest

from tests.deploy.terraform_model import (
    ENVIRONMENTS,
    TERRAFORM,
    all_tf_files,
    env,
    first,
    load,
    module,
    parse_file,
    resolve_list,
)

DATA_MODULE = TERRAFORM / "modules" / "data"
TASK_ROLES = ("api", "web", "admin", "worker", "beat")
READ_ONLY_TABLE_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:DescribeTable",
    "dynamodb:ConditionCheckItem",
}
TABLE_WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:PartiQLInsert",
    "dynamodb:PartiQLUpdate",
    "dynamodb:PartiQLDelete",
}
AUDIT_MUTATIONS = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}
KMS_KEY_REFS = {"${var.kms_key_arn}", "${module.kms.key_arn}"}


def _statements(doc: dict) -> list[dict]:
    return doc.get("statement", [])


def _task_policy(service: str) -> tuple[list[dict], dict]:
    iam = module("iam")
    return _statements(iam.data["aws_iam_policy_document"][service]), iam.locals


def _allowed(statement: dict) -> bool:
    return statement.get("effect", "Allow") == "Allow"


# --- files and layout ---------------------------------------------------------------


def test_every_terraform_file_parses_and_each_environment_has_a_root():
    files = all_tf_files()
    assert len(files) > 20
    for path in files:
        assert isinstance(parse_file(path), dict), path
    for name in ENVIRONMENTS:
        assert env(name).modules["cdd"]["source"] == "../../modules/environment"


def test_each_environment_has_its_own_vpc_range_and_its_own_state():
    cidrs, keys = {}, {}
    for name in ENVIRONMENTS:
        root = env(name)
        assert root.locals["environment"] == name
        cidrs[name] = ipaddress.ip_network(root.locals["cidr_block"])
        assert root.modules["cdd"]["cidr_block"] == "${local.cidr_block}"
        backend = first(first(root.terraform)["backend"])["s3"]
        assert backend["encrypt"] is True
        assert backend["use_lockfile"] is True
        keys[name] = backend["key"]
        assert name in backend["key"]
    assert len(set(keys.values())) == len(ENVIRONMENTS), keys
    nets = list(cidrs.values())
    for i, a in enumerate(nets):
        assert a.is_private, a
        for b in nets[i + 1 :]:
            assert not a.overlaps(b), f"{a} overlaps {b}"


# --- network ------------------------------------------------------------------------


def test_private_subnets_span_at_least_two_availability_zones_in_every_environment():
    network = module("network")
    private = network.resource("aws_subnet", "private")
    assert private["count"] == "${local.az_count}"
    assert private["availability_zone"] == "${var.availability_zones[count.index]}"
    assert private["map_public_ip_on_launch"] is False
    assert network.locals["az_count"] == "${length(var.availability_zones)}"
    validation = first(network.variables["availability_zones"]["validation"])
    assert ">= 2" in validation["condition"]
    for name in ENVIRONMENTS:
        root = env(name)
        letters = root.locals["zone_letters"]
        assert len(set(letters)) >= 2, (name, letters)
        assert root.modules["cdd"]["availability_zones"] == "${data.aws_availability_zones.pinned.names}"


def test_public_subnets_hold_only_load_balancers_and_nat_gateways():
    network = module("network")
    assert network.resource("aws_subnet", "public")["map_public_ip_on_launch"] is False
    lb = module("ingress").resource("aws_lb", "this")
    assert lb["subnets"] == "${each.value.internal ? var.private_subnet_ids : var.public_subnet_ids}"
    for kind in ("http", "worker"):
        svc = module("ecs").resource("aws_ecs_service", kind)
        assert first(svc["network_configuration"])["subnets"] == "${var.private_subnet_ids}"


def test_vpc_endpoints_cover_every_aws_service_the_tasks_call():
    network = module("network")
    assert set(re.findall(r'"([^"]+)"', network.locals["gateway_endpoints"])) == {"s3", "dynamodb"}
    interface = set(re.findall(r'"([^"]+)"', network.locals["interface_endpoints"]))
    assert {"sqs", "ecr.api", "ecr.dkr", "logs", "secretsmanager", "kms"} <= interface
    endpoint = network.resource("aws_vpc_endpoint", "interface")
    assert endpoint["private_dns_enabled"] is True
    assert endpoint["subnet_ids"] == "${aws_subnet.private[*].id}"
    gateway = network.resource("aws_vpc_endpoint", "gateway")
    assert gateway["route_table_ids"] == "${aws_route_table.private[*].id}"


def test_vpc_flow_logs_capture_all_traffic_into_an_encrypted_log_group():
    network = module("network")
    flow = network.resource("aws_flow_log", "this")
    assert flow["traffic_type"] == "ALL"
    assert flow["vpc_id"] == "${aws_vpc.this.id}"
    group = network.resource("aws_cloudwatch_log_group", "flow_logs")
    assert group["kms_key_id"] in KMS_KEY_REFS
    # The default security group is claimed with no rules, so nothing can use it.
    default_sg = network.resource("aws_default_security_group", "this")
    assert "ingress" not in default_sg and "egress" not in default_sg


# --- ECS ----------------------------------------------------------------------------


def test_every_task_definition_uses_awsvpc_on_fargate_with_separate_execution_and_task_roles():
    task = module("ecs").resource("aws_ecs_task_definition", "this")
    assert task["network_mode"] == "awsvpc"
    assert task["requires_compatibilities"] == ["FARGATE"]
    assert task["execution_role_arn"] == "${var.execution_role_arns[each.key]}"
    assert task["task_role_arn"] == "${var.task_role_arns[each.key]}"
    assert task["cpu"] == "${each.value.cpu}" and task["memory"] == "${each.value.memory}"
    containers = task["container_definitions"]
    assert "readonlyRootFilesystem = true" in containers
    assert 'user = "10001:10001"' in containers
    assert "privileged = false" in containers
    assert 'logDriver = "awslogs"' in containers
    assert "valueFrom = var.secret_arns[s]" in containers
    assert "image = local.image" in containers
    assert module("ecs").locals["image"] == "${var.image_repository}:${var.image_tag}"


def test_every_ecs_service_runs_awsvpc_in_private_subnets_on_a_pinned_platform_version():
    ecs = module("ecs")
    services = ecs.all_of("aws_ecs_service")
    assert set(services) == {"http", "worker", "beat"}
    for name, svc in services.items():
        assert svc["launch_type"] == "FARGATE", name
        assert svc["platform_version"] == "${var.platform_version}", name
        net = first(svc["network_configuration"])
        assert net["subnets"] == "${var.private_subnet_ids}", name
        assert net["assign_public_ip"] is False, name
        assert svc["enable_execute_command"] is False, name
    default = ecs.variables["platform_version"]["default"]
    assert re.fullmatch(r"\d+\.\d+\.\d+", default), default
    assert "LATEST" in first(ecs.variables["platform_version"]["validation"])["error_message"]
    assert ">= 2" in first(ecs.variables["private_subnet_ids"]["validation"])["condition"]
    # The environment hands the ECS module the private subnets, not the public ones.
    assert module("environment").modules["ecs"]["private_subnet_ids"] == "${module.network.private_subnet_ids}"


def test_beat_runs_exactly_one_task_and_never_two_during_a_deployment():
    ecs = module("ecs")
    beat = ecs.resource("aws_ecs_service", "beat")
    assert beat["desired_count"] == 1
    assert beat["deployment_minimum_healthy_percent"] == 0
    assert beat["deployment_maximum_percent"] == 100
    assert beat["task_definition"] == '${aws_ecs_task_definition.this["beat"].arn}'
    # Not among the autoscaled services.
    assert ecs.locals["scaled_services"] == "${merge(local.http_services, local.worker_services)}"
    assert 'kind == "beat"' in first(ecs.variables["services"]["validation"][1:])["condition"]


def test_http_services_scale_on_cpu_and_workers_on_queue_depth():
    ecs = module("ecs")
    cpu = ecs.resource("aws_appautoscaling_policy", "cpu")
    assert cpu["for_each"] == "${local.http_services}"
    tracking = first(cpu["target_tracking_scaling_policy_configuration"])
    assert (
        first(tracking["predefined_metric_specification"])["predefined_metric_type"]
        == "ECSServiceAverageCPUUtilization"
    )
    queue = ecs.resource("aws_appautoscaling_policy", "queue_depth")
    assert queue["for_each"] == "${local.worker_services}"
    custom = first(first(queue["target_tracking_scaling_policy_configuration"])["customized_metric_specification"])
    text = str(custom)
    assert "ApproximateNumberOfMessagesVisible" in text and "AWS/SQS" in text
    assert "RunningTaskCount" in text


def test_services_register_in_cloud_map_with_a_and_srv_records():
    ecs = module("ecs")
    namespace = ecs.resource("aws_service_discovery_private_dns_namespace", "this")
    assert namespace["vpc"] == "${var.vpc_id}"
    discovery = ecs.resource("aws_service_discovery_service", "this")
    records = {r["type"] for r in first(discovery["dns_config"])["dns_records"]}
    assert records == {"A", "SRV"}
    dynamic = first(ecs.resource("aws_ecs_service", "http")["dynamic"])["service_registries"]
    assert dynamic["for_each"] == "${var.service_discovery ? [aws_service_discovery_service.this[each.key].arn] : []}"
    assert first(dynamic["content"])["container_port"] == 8000
    assert ecs.variables["service_discovery"]["default"] is True


def test_log_groups_are_encrypted_with_the_customer_key_and_kept_a_year():
    for mod in ("ecs", "network", "ingress"):
        for name, group in module(mod).all_of("aws_cloudwatch_log_group").items():
            assert group["kms_key_id"] in KMS_KEY_REFS, (mod, name)
            assert group["retention_in_days"] in ("${var.log_retention_days}",), (mod, name)
        for var in ("log_retention_days",):
            if var in module(mod).variables:
                assert module(mod).variables[var]["default"] >= 365


def test_secrets_come_from_secrets_manager_and_no_secret_sits_in_plain_environment():
    environment = module("environment")
    plain = environment.locals["app_environment"]
    for key in plain:
        assert not re.search(r"SECRET|PASSWORD|DATABASE_URL|TOKEN", key), key
    for svc, secrets in environment.locals["service_secrets"].items():
        assert "django_secret_key" in secrets, svc
    data = module("data")
    secret = data.resource("aws_secretsmanager_secret", "this")
    assert secret["kms_key_id"] in KMS_KEY_REFS
    placeholder = data.resource("aws_secretsmanager_secret_version", "placeholder")
    assert first(placeholder["lifecycle"])["ignore_changes"] == ["secret_string"]


# --- data stores --------------------------------------------------------------------


def _declared_tables() -> dict:
    """tables.json (generated from the models), as Terraform reads it."""
    data = module("data")
    assert data.locals["tables"] == '${jsondecode(file("${path.module}/tables.json"))}'
    return dict(json.loads((DATA_MODULE / "tables.json").read_text()))


def test_dynamodb_tables_are_declared_in_one_map_with_audit_tables_marked():
    tables = _declared_tables()
    assert {"customers", "related_parties", "idempotency_keys", "documents", "cases", "audit_events",
            "screening_alerts", "screening_runs", "alert_states", "outbox"} <= set(tables)
    assert {name for name, t in tables.items() if t["kind"] == "audit"} == {"audit_events"}
    # The evidence of a hit is written by the worker only; what people do with it is domain data.
    assert {name for name, t in tables.items() if t["kind"] == "alerts"} == {"screening_alerts", "screening_runs",
                                                                          "screening_subjects"}


def test_every_table_is_encrypted_with_the_customer_key_with_recovery_and_deletion_protection():
    data = module("data")
    table = data.resource("aws_dynamodb_table", "this")
    assert table["for_each"] == "${local.tables}"
    sse = first(table["server_side_encryption"])
    assert sse["enabled"] is True and sse["kms_key_arn"] in KMS_KEY_REFS
    assert first(table["point_in_time_recovery"])["enabled"] is True
    assert table["deletion_protection_enabled"] is True
    assert table["billing_mode"] == "PAY_PER_REQUEST"
    assert table["hash_key"] == "${each.value.hash_key}" and table["range_key"] == "${each.value.range_key}"
    for name, spec in _declared_tables().items():
        defined = {a["name"] for a in spec["attributes"]}
        keys = {spec["hash_key"], spec["range_key"]} - {None}
        for index in spec["global_secondary_indexes"]:
            keys |= {index["hash_key"], index["range_key"]} - {None}
        assert keys == defined, f"{name}: every key attribute is defined, and only those"


def test_every_data_bucket_is_kms_encrypted_versioned_private_logged_and_lifecycled():
    data = module("data")
    assert set(data.locals["buckets"]) == {"documents", "lists", "exports", "audit"}
    for type_ in (
        "aws_s3_bucket",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_logging",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
        "aws_s3_bucket_ownership_controls",
    ):
        assert data.resource(type_, "this")["for_each"] == "${local.buckets}", type_
    rule = first(data.resource("aws_s3_bucket_server_side_encryption_configuration", "this")["rule"])
    default = first(rule["apply_server_side_encryption_by_default"])
    assert default["sse_algorithm"] == "aws:kms"
    assert default["kms_master_key_id"] in KMS_KEY_REFS
    block = data.resource("aws_s3_bucket_public_access_block", "this")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert first(data.resource("aws_s3_bucket_versioning", "this")["versioning_configuration"])["status"] == "Enabled"
    lifecycle = first(data.resource("aws_s3_bucket_lifecycle_configuration", "this")["rule"])
    assert lifecycle["status"] == "Enabled"
    assert "abort_incomplete_multipart_upload" in lifecycle
    assert data.resource("aws_s3_bucket_logging", "this")["target_bucket"] == "${aws_s3_bucket.access_logs.id}"


def test_the_access_log_bucket_is_private_and_uses_sse_s3_because_aws_log_delivery_requires_it():
    data = module("data")
    rule = first(data.resource("aws_s3_bucket_server_side_encryption_configuration", "access_logs")["rule"])
    assert first(rule["apply_server_side_encryption_by_default"])["sse_algorithm"] == "AES256"
    block = data.resource("aws_s3_bucket_public_access_block", "access_logs")
    assert all(
        block[k] is True
        for k in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets")
    )
    assert "expiration" in first(data.resource("aws_s3_bucket_lifecycle_configuration", "access_logs")["rule"])


def test_the_audit_bucket_has_object_lock_in_compliance_mode_with_default_retention():
    data = module("data")
    assert data.locals["buckets"]["audit"]["object_lock"] is True
    assert data.resource("aws_s3_bucket", "this")["object_lock_enabled"] == "${each.value.object_lock}"
    lock = data.resource("aws_s3_bucket_object_lock_configuration", "audit")
    assert lock["bucket"] == '${aws_s3_bucket.this["audit"].id}'
    retention = first(first(lock["rule"])["default_retention"])
    assert retention["mode"] == "COMPLIANCE"
    assert retention["days"] == "${var.audit_retention_days}"
    for name in ENVIRONMENTS:
        assert env(name).locals["audit_retention_days"] >= 1
    assert env("prod").locals["audit_retention_days"] >= 5 * 365


def test_queues_are_encrypted_with_the_customer_key_and_have_dead_letter_queues():
    data = module("data")
    queue = data.resource("aws_sqs_queue", "this")
    dlq = data.resource("aws_sqs_queue", "dead_letter")
    for q in (queue, dlq):
        assert q["kms_master_key_id"] in KMS_KEY_REFS
    assert "deadLetterTargetArn = aws_sqs_queue.dead_letter[each.key].arn" in queue["redrive_policy"]
    assert data.locals["queues"] == '${toset(["default", "screening", "documents", "events"])}'
    assert queue["name"] == "${var.queue_prefix}${each.key}"


def test_the_identity_database_is_encrypted_private_tls_only_and_multi_az_in_prod():
    data = module("data")
    db = data.resource("aws_db_instance", "identity")
    assert db["storage_encrypted"] is True and db["kms_key_id"] in KMS_KEY_REFS
    assert db["publicly_accessible"] is False
    assert db["deletion_protection"] is True
    assert db["manage_master_user_password"] is True
    assert db["multi_az"] == "${var.multi_az}"
    params = {p["name"]: p["value"] for p in data.resource("aws_db_parameter_group", "this")["parameter"]}
    assert params["rds.force_ssl"] == "1"
    assert env("prod").locals["multi_az"] is True


# --- IAM ----------------------------------------------------------------------------


def test_execution_roles_are_separate_from_task_roles():
    iam = module("iam")
    assert set(iam.locals["task_policies"]) == set(TASK_ROLES)
    task, execution = iam.resource("aws_iam_role", "task"), iam.resource("aws_iam_role", "execution")
    assert task["name"] != execution["name"]
    assert task["name"] == "${var.name}-${each.key}-task"
    assert execution["name"] == "${var.name}-${each.key}-execution"
    statements = _statements(iam.data["aws_iam_policy_document"]["execution"])
    sids = {s["sid"] for s in statements}
    assert {"PullTheImage", "WriteTheServiceLogs", "ReadTheServiceSecrets"} <= sids
    for s in statements:
        if s["sid"] == "ReadTheServiceSecrets":
            assert s["resources"] == "${[for s in var.service_secrets[each.key] : var.secret_arns[s]]}"


@pytest.mark.parametrize("service", TASK_ROLES)
def test_no_task_role_allows_a_wildcard_action_or_resource(service):
    statements, locals_ = _task_policy(service)
    assert statements
    for s in statements:
        actions = resolve_list(s["actions"], locals_)
        for action in actions:
            assert "*" not in action, (service, s["sid"], action)
        resources = resolve_list(s["resources"], locals_)
        for resource in resources:
            assert resource != "*", (service, s["sid"])
            assert not resource.startswith("arn:aws:dynamodb:*"), (service, s["sid"])
    # Only ecr:GetAuthorizationToken (which has no resource-level permissions) has "*" in execution roles.
    iam = module("iam")
    for s in _statements(iam.data["aws_iam_policy_document"]["execution"]):
        if s["resources"] == ["*"]:
            assert s["actions"] == ["ecr:GetAuthorizationToken"]


@pytest.mark.parametrize("service", TASK_ROLES)
def test_no_role_may_change_or_delete_audit_records(service):
    statements, locals_ = _task_policy(service)
    denies = [s for s in statements if s.get("effect") == "Deny" and s["resources"] == "${local.audit_tables}"]
    assert denies, f"{service} has no explicit deny on the audit tables"
    assert set(resolve_list(denies[0]["actions"], locals_)) >= AUDIT_MUTATIONS
    for s in filter(_allowed, statements):
        if "local.audit_tables" in str(s["resources"]):
            actions = set(resolve_list(s["actions"], locals_))
            assert actions <= READ_ONLY_TABLE_ACTIONS | {"dynamodb:PutItem"}, (service, s["sid"], actions)


def test_audit_tables_deny_changes_and_deletes_to_every_principal():
    data = module("data")
    assert data.locals["audit_tables"] == '${{for name, t in local.tables : name => t if t.kind == "audit"}}'
    policy = first(data.data["aws_iam_policy_document"]["audit_table"]["statement"])
    assert policy["effect"] == "Deny"
    assert first(policy["principals"]) == {"type": "*", "identifiers": ["*"]}
    assert set(resolve_list(policy["actions"], data.locals)) >= AUDIT_MUTATIONS
    attached = data.resource("aws_dynamodb_resource_policy", "audit")
    assert attached["for_each"] == "${local.audit_tables}"


@pytest.mark.parametrize("service", ["api", "web", "admin", "beat"])
def test_only_the_worker_writes_alerts(service):
    statements, locals_ = _task_policy(service)
    for s in filter(_allowed, statements):
        if "local.alert_tables" in str(s["resources"]):
            assert not set(resolve_list(s["actions"], locals_)) & TABLE_WRITE_ACTIONS, (service, s["sid"])


def test_the_worker_writes_alerts_and_is_the_only_role_that_scans():
    statements, locals_ = _task_policy("worker")
    writes = [
        s
        for s in statements
        if "local.alert_tables" in str(s["resources"]) and "dynamodb:PutItem" in resolve_list(s["actions"], locals_)
    ]
    assert writes
    for service in TASK_ROLES:
        statements, locals_ = _task_policy(service)
        scans = [s for s in filter(_allowed, statements) if "dynamodb:Scan" in resolve_list(s["actions"], locals_)]
        assert bool(scans) == (service == "worker"), service


# --- load balancers, WAF, admin -----------------------------------------------------


def test_load_balancers_serve_https_only_with_a_tls12_policy_and_redirect_http():
    ingress = module("ingress")
    listeners = ingress.all_of("aws_lb_listener")
    policy = ingress.variables["ssl_policy"]["default"]
    assert re.search(r"TLS13-1-2|TLS-1-2", policy), policy
    for name in ("https", "test"):
        assert listeners[name]["protocol"] == "HTTPS"
        assert listeners[name]["ssl_policy"] == "${var.ssl_policy}"
        assert listeners[name]["certificate_arn"] == "${each.value.certificate_arn}"
    http = listeners["http"]
    assert http["protocol"] == "HTTP"
    action = first(http["default_action"])
    assert action["type"] == "redirect"
    redirect = first(action["redirect"])
    assert redirect["protocol"] == "HTTPS" and redirect["port"] == "443"
    assert {l_["protocol"] for n, l_ in listeners.items() if n != "http"} == {"HTTPS"}
    lb = ingress.resource("aws_lb", "this")
    assert lb["drop_invalid_header_fields"] is True
    assert first(lb["access_logs"])["enabled"] is True


def test_waf_with_aws_managed_rule_groups_guards_every_load_balancer():
    ingress = module("ingress")
    acl = ingress.resource("aws_wafv2_web_acl", "this")
    groups = {
        first(first(rule["statement"])["managed_rule_group_statement"])["name"]
        for rule in acl["rule"]
        if "managed_rule_group_statement" in first(rule["statement"])
    }
    assert {
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "AWSManagedRulesAmazonIpReputationList",
    } <= groups
    association = ingress.resource("aws_wafv2_web_acl_association", "this")
    assert association["for_each"] == ingress.resource("aws_lb", "this")["for_each"] == "${var.http_services}"
    logging = ingress.resource("aws_wafv2_web_acl_logging_configuration", "this")
    redacted = {first(r["single_header"])["name"] for r in logging["redacted_fields"]}
    assert {"authorization", "cookie"} <= redacted


def test_admin_is_internal_and_reachable_only_from_the_configured_networks():
    environment = module("environment")
    http = environment.locals["http_services"]
    assert http["admin"] == {"internal": True, "allowed_cidrs": "${var.admin_allowed_cidrs}"}
    assert http["api"]["internal"] is False
    condition = first(environment.variables["admin_allowed_cidrs"]["validation"])["condition"]
    assert '!contains(var.admin_allowed_cidrs, "0.0.0.0/0")' in condition
    ingress = module("ingress")
    rule = ingress.resource("aws_vpc_security_group_ingress_rule", "alb")
    assert rule["cidr_ipv4"] == "${each.value.cidr}"
    assert "cfg.allowed_cidrs" in ingress.locals["ingress"]
    task_rule = module("ecs").resource("aws_vpc_security_group_ingress_rule", "from_alb")
    assert task_rule["referenced_security_group_id"] == "${var.alb_security_group_ids[each.key]}"
    for name in ENVIRONMENTS:
        assert env(name).modules["cdd"]["admin_allowed_cidrs"] == "${var.admin_allowed_cidrs}"


# --- canaries -----------------------------------------------------------------------


def test_http_services_deploy_as_codedeploy_canaries_that_roll_back_on_alarms():
    canary = module("canary")
    config = canary.resource("aws_codedeploy_deployment_config", "canary")
    routing = first(config["traffic_routing_config"])
    assert routing["type"] == "TimeBasedCanary"
    assert first(routing["time_based_canary"])["percentage"] == "${var.canary_percent}"
    group = canary.resource("aws_codedeploy_deployment_group", "this")
    assert group["for_each"] == "${var.http_services}"
    style = first(group["deployment_style"])
    assert style == {"deployment_type": "BLUE_GREEN", "deployment_option": "WITH_TRAFFIC_CONTROL"}
    rollback = first(group["auto_rollback_configuration"])
    assert rollback["enabled"] is True
    assert {"DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"} <= set(rollback["events"])
    alarms = first(group["alarm_configuration"])
    assert alarms["enabled"] is True
    assert alarms["alarms"] == [
        "${aws_cloudwatch_metric_alarm.error_rate[each.key].alarm_name}",
        "${aws_cloudwatch_metric_alarm.latency[each.key].alarm_name}",
    ]
    pair = first(first(group["load_balancer_info"])["target_group_pair_info"])
    assert len(pair["target_group"]) == 2 and "test_traffic_route" in pair
    error_rate = canary.resource("aws_cloudwatch_metric_alarm", "error_rate")
    assert {q["metric"][0]["metric_name"] for q in error_rate["metric_query"] if "metric" in q} >= {
        "HTTPCode_Target_5XX_Count",
        "RequestCount",
    }
    assert canary.resource("aws_cloudwatch_metric_alarm", "latency")["metric_name"] == "TargetResponseTime"
    http = module("ecs").resource("aws_ecs_service", "http")
    assert first(http["deployment_controller"])["type"] == "CODE_DEPLOY"
    assert module("environment").modules["canary"]["manual_promotion"] == "${var.manual_promotion}"
    assert env("prod").locals["manual_promotion"] is True


def test_workers_roll_back_failed_deployments_through_the_ecs_circuit_breaker():
    ecs = module("ecs")
    for name in ("worker", "beat"):
        svc = ecs.resource("aws_ecs_service", name)
        assert first(svc["deployment_controller"])["type"] == "ECS"
        breaker = first(svc["deployment_circuit_breaker"])
        assert breaker == {"enable": True, "rollback": True}


def test_the_shared_state_bucket_and_image_repository_use_a_customer_key_and_immutable_tags():
    boot = load(TERRAFORM / "bootstrap")
    assert boot.resource("aws_kms_key", "shared")["enable_key_rotation"] is True
    rule = first(boot.resource("aws_s3_bucket_server_side_encryption_configuration", "state")["rule"])
    default = first(rule["apply_server_side_encryption_by_default"])
    assert default == {"sse_algorithm": "aws:kms", "kms_master_key_id": "${aws_kms_key.shared.arn}"}
    assert first(boot.resource("aws_s3_bucket_versioning", "state")["versioning_configuration"])["status"] == "Enabled"
    repo = boot.resource("aws_ecr_repository", "cdd")
    assert repo["image_tag_mutability"] == "IMMUTABLE"
    assert first(repo["image_scanning_configuration"])["scan_on_push"] is True
    assert first(repo["encryption_configuration"]) == {"encryption_type": "KMS", "kms_key": "${aws_kms_key.shared.arn}"}


def test_services_screen_against_active_list_versions_that_beat_refreshes():
    app_environment = module("environment").locals["app_environment"]
    assert app_environment["CDD_SCREENING_LIST_SOURCE"] == "active"
    assert app_environment["CDD_LISTS_REFRESH_ENABLED"] == "true"
