"""The deployment scripts the Jenkinsfile calls, against in-process AWS (moto) or in dry-run."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "deploy" / "scripts"
REGION = "eu-west-1"

_spec = importlib.util.spec_from_file_location("cdd_deploy", SCRIPTS / "cdd_deploy.py")
assert _spec and _spec.loader
cdd_deploy = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cdd_deploy)


@pytest.fixture
def aws(monkeypatch):
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.client("ecs", region_name=REGION)


def _register(ecs, family: str, image: str, level: str, containers: list[str] | None = None) -> str:
    return ecs.register_task_definition(
        family=family,
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
        executionRoleArn="arn:aws:iam::123456789012:role/cdd-dev-api-execution",
        taskRoleArn="arn:aws:iam::123456789012:role/cdd-dev-api-task",
        containerDefinitions=[
            {
                "name": name,
                "image": image,
                "essential": True,
                "environment": [{"name": "CDD_LOG_LEVEL", "value": level}],
                "secrets": [
                    {
                        "name": "DJANGO_SECRET_KEY",
                        "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:cdd-dev/django_secret_key",
                    }
                ],
            }
            for name in (containers or ["app"])
        ],
    )["taskDefinition"]["taskDefinitionArn"]


def test_register_takes_the_latest_revision_and_changes_only_the_image(aws, capsys):
    _register(aws, "cdd-dev-api", "repo/cdd:40", "INFO")
    _register(aws, "cdd-dev-api", "repo/cdd:41", "DEBUG")  # e.g. a setting Terraform changed
    assert (
        cdd_deploy.main(["--region", REGION, "register", "--env", "dev", "--service", "api", "--image", "repo/cdd:42"])
        == 0
    )
    arn = capsys.readouterr().out.strip()
    assert arn.endswith("task-definition/cdd-dev-api:3")
    new = aws.describe_task_definition(taskDefinition=arn)["taskDefinition"]
    container = new["containerDefinitions"][0]
    assert container["image"] == "repo/cdd:42"
    assert container["environment"] == [{"name": "CDD_LOG_LEVEL", "value": "DEBUG"}]
    assert container["secrets"][0]["name"] == "DJANGO_SECRET_KEY"
    assert new["taskRoleArn"].endswith("cdd-dev-api-task") and new["networkMode"] == "awsvpc"


def test_register_refuses_a_family_without_the_app_container(aws, capsys):
    _register(aws, "cdd-dev-web", "repo/cdd:1", "INFO", containers=["sidecar"])
    assert (
        cdd_deploy.main(["--region", REGION, "register", "--env", "dev", "--service", "web", "--image", "repo/cdd:2"])
        == 1
    )
    assert "no container named 'app'" in capsys.readouterr().err


def _service(ecs, name: str, arn: str) -> None:
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.40.{16 * (i + 1)}.0/20", AvailabilityZone=f"{REGION}{zone}")[
            "Subnet"
        ]["SubnetId"]
        for i, zone in enumerate("ab")
    ]
    group = ec2.create_security_group(GroupName=f"cdd-dev-{name}", Description="tasks", VpcId=vpc)["GroupId"]
    ecs.create_cluster(clusterName="cdd-dev")
    ecs.create_service(
        cluster="cdd-dev",
        serviceName=name,
        taskDefinition=arn,
        desiredCount=1,
        launchType="FARGATE",
        platformVersion="1.3.0",
        networkConfiguration={
            "awsvpcConfiguration": {"subnets": subnets, "securityGroups": [group], "assignPublicIp": "DISABLED"}
        },
    )


def test_canary_dry_run_prints_an_appspec_that_keeps_the_pinned_platform_version(aws, capsys):
    arn = _register(aws, "cdd-dev-api", "repo/cdd:1", "INFO")
    _service(aws, "api", arn)
    assert (
        cdd_deploy.main(
            ["--region", REGION, "canary", "--env", "dev", "--service", "api", "--task-definition", arn, "--dry-run"]
        )
        == 0
    )
    spec = json.loads(capsys.readouterr().out)
    props = spec["Resources"][0]["TargetService"]["Properties"]
    assert props == {
        "TaskDefinition": arn,
        "LoadBalancerInfo": {"ContainerName": "app", "ContainerPort": 8000},
        "PlatformVersion": "1.3.0",
    }


def test_canary_starts_a_codedeploy_deployment_of_the_new_revision(aws, capsys):
    arn = _register(aws, "cdd-dev-api", "repo/cdd:7", "INFO")
    _service(aws, "api", arn)
    codedeploy = boto3.client("codedeploy", region_name=REGION)
    codedeploy.create_application(applicationName="cdd-dev", computePlatform="ECS")
    codedeploy.create_deployment_group(
        applicationName="cdd-dev",
        deploymentGroupName="api",
        serviceRoleArn="arn:aws:iam::123456789012:role/cdd-dev-codedeploy",
        deploymentStyle={"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"},
        ecsServices=[{"serviceName": "api", "clusterName": "cdd-dev"}],
    )
    assert (
        cdd_deploy.main(["--region", REGION, "canary", "--env", "dev", "--service", "api", "--task-definition", arn])
        == 0
    )
    captured = capsys.readouterr()
    deployment_id = captured.out.strip()
    assert "aws deploy stop-deployment --deployment-id" in captured.err
    info = codedeploy.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    assert info["applicationName"] == "cdd-dev" and info["deploymentGroupName"] == "api"
    content = json.loads(info["revision"]["appSpecContent"]["content"])
    assert content["Resources"][0]["TargetService"]["Properties"]["TaskDefinition"] == arn


class _Deployments:
    """A CodeDeploy client whose deployment goes through the given states."""

    def __init__(self, states: list[str]) -> None:
        self.states = states

    def get_deployment(self, deploymentId: str) -> dict:
        status = self.states.pop(0) if len(self.states) > 1 else self.states[0]
        info = {"status": status}
        if status == "Stopped":
            info["errorInformation"] = {"message": "alarm cdd-dev-api-5xx-rate went off"}
        return {"deploymentInfo": info}

    def list_deployment_targets(self, deploymentId: str) -> dict:
        return {"targetIds": []}


def test_waiting_for_a_canary_succeeds_when_codedeploy_does():
    assert cdd_deploy.wait(_Deployments(["Created", "InProgress", "Succeeded"]), "d-1", timeout=60, poll=0) == 0


def test_a_canary_stopped_by_an_alarm_fails_the_build_and_says_traffic_is_back():
    with pytest.raises(
        cdd_deploy.DeployError, match=r"alarm cdd-dev-api-5xx-rate went off.*back on the previous version"
    ):
        cdd_deploy.wait(_Deployments(["InProgress", "Stopped"]), "d-2", timeout=60, poll=0)


def test_deploy_script_migrates_before_rolling_workers_and_canaries_the_http_services():
    result = subprocess.run(
        [str(SCRIPTS / "deploy.sh"), "staging", "57"],
        env={**os.environ, "DRY_RUN": "1"},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    steps = [line.removeprefix("DRY_RUN: ") for line in result.stdout.splitlines()]
    kinds = [
        "register"
        if " register " in s
        else "migrate"
        if " migrate " in s
        else "ecs-deploy"
        if s.startswith("ecs deploy")
        else "canary"
        for s in steps
    ]
    assert kinds == ["register"] * 5 + ["migrate"] + ["ecs-deploy"] * 2 + ["canary"] * 3
    assert all(":57" in s for s in steps[:5])
    assert re.search(r"ecs deploy cdd-staging worker --task \S+cdd-staging-worker\S* .*--rollback", steps[6])
    assert [re.search(r"--service (\w+)", s).group(1) for s in steps[8:]] == ["api", "web", "admin"]
    assert all("--wait" in s for s in steps[8:])


@pytest.mark.parametrize("args", [["qa", "1"], ["dev", "1;rm"], ["dev"]])
def test_deploy_script_refuses_a_bad_environment_or_tag(args):
    result = subprocess.run(
        [str(SCRIPTS / "deploy.sh"), *args], capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 64
    assert "deploy.sh:" in result.stderr
