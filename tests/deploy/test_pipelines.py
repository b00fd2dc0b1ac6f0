"""The Jenkins pipelines run the stages a bank's change process expects, in order."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _stages(path: Path) -> list[str]:
    return re.findall(r"stage\('([^']+)'\)", path.read_text())


def _stage_body(text: str, name: str) -> str:
    start = text.index(f"stage('{name}')")
    following = [m.start() for m in re.finditer(r"stage\('", text) if m.start() > start]
    return text[start : following[0] if following else len(text)]


def test_the_application_pipeline_tests_scans_builds_pushes_and_deploys_prod_only_after_approval():
    stages = _stages(ROOT / "Jenkinsfile")
    order = [
        "Checkout", "Install", "Test", "Lint and scan", "Build image", "Push to ECR",
        "Deploy to dev", "Approve staging", "Deploy to staging", "Approve prod", "Deploy to prod",
    ]  # fmt: skip
    assert [s for s in stages if s in order] == order
    assert {"checkov", "hadolint", "bandit"} <= set(stages)
    text = (ROOT / "Jenkinsfile").read_text()
    assert "make test" in _stage_body(text, "Test")
    assert "input message" in _stage_body(text, "Approve prod")
    assert 'IMAGE_TAG      = "${env.BUILD_NUMBER}"' in text
    for env in ("dev", "staging", "prod"):
        assert f'deploy/scripts/deploy.sh {env} "$IMAGE_TAG"' in _stage_body(text, f"Deploy to {env}")


def test_the_terraform_pipeline_plans_and_applies_each_environment_after_approval():
    text = (ROOT / "deploy" / "jenkins" / "Jenkinsfile.terraform").read_text()
    assert [s for s in _stages(ROOT / "deploy" / "jenkins" / "Jenkinsfile.terraform") if ":" in s] == [
        "dev: plan and apply",
        "staging: plan and apply",
        "prod: plan and apply",
    ]
    plan, apply_ = text.index("terraform plan"), text.index("terraform apply")
    assert plan < text.index("input message") < apply_
    assert "-out=tfplan" in text and "apply -input=false -lock-timeout=5m tfplan" in text


def test_pipeline_tool_versions_are_pinned():
    lines = [
        line.strip()
        for line in (ROOT / "deploy" / "jenkins" / "tools.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert {line.split("==")[0] for line in lines} == {"ecs-deploy", "bandit"}
    assert all(re.fullmatch(r"[a-z-]+==\d+(\.\d+)+", line) for line in lines)
