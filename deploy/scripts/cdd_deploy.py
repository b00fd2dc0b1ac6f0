#!/usr/bin/env python3
"""Deploy a CDD image to one environment's ECS services (used by the Jenkinsfile).

Subcommands:
  register  register a new revision of a service's task definition family with a new image
            (the latest revision, so settings Terraform changed come along); prints its ARN
  migrate   run `python manage.py migrate --noinput` and the data upgrades (`cases_due_backfill`) as a
            one-off task of a task definition, in the worker's subnets and security group; fails if the
            container exits non-zero
  canary    start a CodeDeploy blue/green canary of an HTTP service with a task definition and
            wait for it (progress on stderr); CodeDeploy rolls back by itself on alarms
  status    show the state of a CodeDeploy deployment

Names follow the Terraform conventions: cluster cdd-<env>, services api|web|admin|worker|beat,
task families cdd-<env>-<service>, CodeDeploy application cdd-<env>, groups named as services.
AWS credentials come from the environment (the Jenkins agent's role / AWS_PROFILE), never flags.

Examples:
  cdd_deploy.py register --env dev --service api --image 1234.dkr.ecr.eu-west-1.amazonaws.com/cdd:42
  cdd_deploy.py canary --env dev --service api --task-definition arn:aws:ecs:...:task-definition/cdd-dev-api:7
  cdd_deploy.py canary ... --dry-run     # print the AppSpec instead of deploying
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

HTTP_SERVICES = ("api", "web", "admin")
SERVICES = (*HTTP_SERVICES, "worker", "beat")
CONTAINER = "app"
PORT = 8000

# Fields of describe_task_definition that register_task_definition accepts back.
REGISTRABLE = (
    "family",
    "taskRoleArn",
    "executionRoleArn",
    "networkMode",
    "containerDefinitions",
    "volumes",
    "placementConstraints",
    "requiresCompatibilities",
    "cpu",
    "memory",
    "pidMode",
    "ipcMode",
    "proxyConfiguration",
    "inferenceAccelerators",
    "ephemeralStorage",
    "runtimePlatform",
)
DONE = {"Succeeded", "Failed", "Stopped"}


class DeployError(Exception):
    """A deployment step failed; the message says what to do next."""


def names(env: str, service: str) -> dict[str, str]:
    return {
        "cluster": f"cdd-{env}",
        "service": service,
        "family": f"cdd-{env}-{service}",
        "application": f"cdd-{env}",
        "group": service,
    }


def with_image(task_definition: dict[str, Any], image: str, tags: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """The register_task_definition request for ``task_definition`` with the app container on ``image``."""
    request = {k: task_definition[k] for k in REGISTRABLE if task_definition.get(k) not in (None, [], {})}
    containers = [dict(c) for c in request["containerDefinitions"]]
    matches = [c for c in containers if c["name"] == CONTAINER]
    if not matches:
        raise DeployError(f"task definition {task_definition.get('family')} has no container named {CONTAINER!r}")
    matches[0]["image"] = image
    request["containerDefinitions"] = containers
    if tags:
        request["tags"] = tags
    return request


def appspec(task_definition_arn: str, platform_version: str) -> dict[str, Any]:
    """The CodeDeploy AppSpec that replaces an ECS service's tasks with ``task_definition_arn``."""
    return {
        "version": 0.0,
        "Resources": [
            {
                "TargetService": {
                    "Type": "AWS::ECS::Service",
                    "Properties": {
                        "TaskDefinition": task_definition_arn,
                        "LoadBalancerInfo": {"ContainerName": CONTAINER, "ContainerPort": PORT},
                        # Keep the pinned Fargate version; CodeDeploy would otherwise use LATEST.
                        "PlatformVersion": platform_version,
                    },
                }
            }
        ],
    }


def _client(name: str, region: str | None) -> Any:
    import boto3

    return boto3.client(name, region_name=region)


def register(args: argparse.Namespace) -> str:
    n = names(args.env, args.service)
    ecs = _client("ecs", args.region)
    current = ecs.describe_task_definition(taskDefinition=n["family"], include=["TAGS"])
    request = with_image(current["taskDefinition"], args.image, current.get("tags"))
    if args.dry_run:
        print(json.dumps(request, indent=2, default=str))  # noqa: T201
        return ""
    arn = ecs.register_task_definition(**request)["taskDefinition"]["taskDefinitionArn"]
    print(arn)  # noqa: T201
    return arn


def migrate(args: argparse.Namespace) -> int:
    n = names(args.env, "worker")
    ecs = _client("ecs", args.region)
    services = ecs.describe_services(cluster=n["cluster"], services=[n["service"]])["services"]
    if not services:
        raise DeployError(
            f"service worker not found in cluster {n['cluster']}: apply deploy/terraform/envs/{args.env} first"
        )
    network = services[0]["networkConfiguration"]
    # The identity schema, then the one-off data upgrades of domain records (each safe to run again): cases opened
    # before due dates existed get theirs, or the due-date work queue would not list them.
    command = ["sh", "-c", "python manage.py migrate --noinput && python manage.py cases_due_backfill"]
    if args.dry_run:
        print(json.dumps({"taskDefinition": args.task_definition, "command": command, "network": network}, indent=2))  # noqa: T201
        return 0
    task = ecs.run_task(
        cluster=n["cluster"],
        taskDefinition=args.task_definition,
        launchType="FARGATE",
        platformVersion=services[0].get("platformVersion", "1.4.0"),
        networkConfiguration=network,
        overrides={"containerOverrides": [{"name": CONTAINER, "command": command}]},
        startedBy="cdd-deploy-migrate",
    )
    if task.get("failures"):
        raise DeployError(f"could not start the migration task: {task['failures']}")
    arn = task["tasks"][0]["taskArn"]
    print(f"migration task {arn} started; waiting", file=sys.stderr)  # noqa: T201
    ecs.get_waiter("tasks_stopped").wait(
        cluster=n["cluster"], tasks=[arn], WaiterConfig={"Delay": 10, "MaxAttempts": 180}
    )
    stopped = ecs.describe_tasks(cluster=n["cluster"], tasks=[arn])["tasks"][0]
    code = next((c.get("exitCode") for c in stopped["containers"] if c["name"] == CONTAINER), None)
    if code != 0:
        raise DeployError(
            f"migrations failed (exit {code}, {stopped.get('stoppedReason')}); read /cdd/cdd-{args.env}/worker "
            "in CloudWatch Logs, fix, and rerun the pipeline. No service was changed."
        )
    print("migrations applied", file=sys.stderr)  # noqa: T201
    return 0


def canary(args: argparse.Namespace) -> int:
    n = names(args.env, args.service)
    ecs = _client("ecs", args.region)
    services = ecs.describe_services(cluster=n["cluster"], services=[n["service"]])["services"]
    if not services:
        raise DeployError(
            f"service {args.service} not found in cluster {n['cluster']}: apply deploy/terraform/envs/{args.env} first"
        )
    spec = appspec(args.task_definition, services[0].get("platformVersion") or "1.4.0")
    if args.dry_run:
        print(json.dumps(spec, indent=2))  # noqa: T201
        return 0
    codedeploy = _client("codedeploy", args.region)
    deployment_id = codedeploy.create_deployment(
        applicationName=n["application"],
        deploymentGroupName=n["group"],
        revision={"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(spec)}},
        description=args.description or f"{args.service} -> {args.task_definition.rsplit('/', 1)[-1]}",
    )["deploymentId"]
    print(deployment_id)  # noqa: T201
    sys.stderr.write(
        f"canary {deployment_id} of {args.service} in {args.env} started. Roll back at any time with:\n"
        f"  aws deploy stop-deployment --deployment-id {deployment_id} --auto-rollback-enabled\n"
    )
    if not args.wait:
        return 0
    return wait(codedeploy, deployment_id, timeout=args.timeout)


def wait(codedeploy: Any, deployment_id: str, *, timeout: int, poll: float = 15.0) -> int:
    from tqdm import tqdm

    deadline = time.monotonic() + timeout
    last = None
    with tqdm(total=100, desc=f"canary {deployment_id}", unit="%", file=sys.stderr) as bar:
        while True:
            info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
            status = info["status"]
            shifted = _traffic_shifted(codedeploy, deployment_id)
            if shifted is not None:
                bar.n = shifted
                bar.refresh()
            if status != last:
                bar.set_postfix_str(status)
                last = status
            if status in DONE:
                break
            if time.monotonic() > deadline:
                raise DeployError(
                    f"canary {deployment_id} still {status} after {timeout}s; check it in the CodeDeploy console "
                    f"or stop it: aws deploy stop-deployment --deployment-id {deployment_id} --auto-rollback-enabled"
                )
            time.sleep(poll)
    if status != "Succeeded":
        rolled_back = (info.get("rollbackInfo") or {}).get("rollbackMessage", "")
        raise DeployError(
            f"canary {deployment_id} {status.lower()}: {info.get('errorInformation', {}).get('message', '')} {rolled_back}".strip()
            + ". Production traffic is back on the previous version; look at the service's alarms and logs."
        )
    return 0


def _traffic_shifted(codedeploy: Any, deployment_id: str) -> int | None:
    """Percent of production traffic on the new version, when CodeDeploy reports it."""
    try:
        targets = codedeploy.list_deployment_targets(deploymentId=deployment_id).get("targetIds", [])
        if not targets:
            return None
        target = codedeploy.get_deployment_target(deploymentId=deployment_id, targetId=targets[0])["deploymentTarget"]
        task_sets = target.get("ecsTarget", {}).get("taskSetsInfo", [])
        green = [t for t in task_sets if t.get("taskSetLabel") == "Green"]
        return int(green[0]["trafficWeight"]) if green else None
    except Exception:  # noqa: BLE001 - progress display only; the status poll decides
        return None


def status(args: argparse.Namespace) -> int:
    info = _client("codedeploy", args.region).get_deployment(deploymentId=args.deployment_id)["deploymentInfo"]
    summary = {k: info.get(k) for k in ("status", "errorInformation", "rollbackInfo", "deploymentOverview")}
    print(json.dumps(summary, indent=2, default=str))  # noqa: T201
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--region", help="AWS region (default: from the environment)")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("register", help="register a task definition revision with a new image")
    r.add_argument("--env", required=True, choices=("dev", "staging", "prod"))
    r.add_argument("--service", required=True, choices=SERVICES)
    r.add_argument("--image", required=True, help="full image URI with its tag")
    r.add_argument("--dry-run", action="store_true", help="print the request instead of registering")
    r.set_defaults(func=register)

    m = sub.add_parser("migrate", help="run database migrations as a one-off task")
    m.add_argument("--env", required=True, choices=("dev", "staging", "prod"))
    m.add_argument("--task-definition", required=True, help="task definition ARN (the new worker revision)")
    m.add_argument("--dry-run", action="store_true", help="print the task request instead of running it")
    m.set_defaults(func=migrate)

    c = sub.add_parser("canary", help="start (and wait for) a CodeDeploy canary of an HTTP service")
    c.add_argument("--env", required=True, choices=("dev", "staging", "prod"))
    c.add_argument("--service", required=True, choices=HTTP_SERVICES)
    c.add_argument("--task-definition", required=True, help="task definition ARN to roll out")
    c.add_argument("--description", help="deployment description (default: service and revision)")
    c.add_argument(
        "--wait", action="store_true", help="wait until the deployment ends; non-zero exit unless it succeeded"
    )
    c.add_argument("--timeout", type=int, default=7200, help="seconds to wait (default 7200)")
    c.add_argument("--dry-run", action="store_true", help="print the AppSpec instead of deploying")
    c.set_defaults(func=canary)

    s = sub.add_parser("status", help="show a CodeDeploy deployment")
    s.add_argument("deployment_id")
    s.set_defaults(func=status)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        result = args.func(args)
    except DeployError as exc:
        print(f"cdd_deploy: {exc}", file=sys.stderr)  # noqa: T201
        return 1
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    sys.exit(main())
