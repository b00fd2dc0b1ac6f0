"""The audit trail's keys and anchors in Terraform: what issue 14 item 7 requires of the deployment.

A keyed chain (an HMAC key in KMS that writers may only sign with and verifiers only verify with),
audit tables no role may change or delete items of, and anchors that are written once.
"""

from __future__ import annotations

import pytest

from tests.deploy.terraform_model import first, module, resolve_list

TASK_ROLES = ("api", "web", "admin", "worker", "beat")
WRITERS = ("api", "web", "admin", "worker")  # every service that records audit events
VERIFIERS = ("web", "worker")  # the timeline pages, and the beat check run by the worker
MAC_KEY = "${var.audit_mac_key_arn}"
AUDIT_MUTATIONS = {"dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:BatchWriteItem"}


def _statements(service: str) -> tuple[list[dict], dict]:
    iam = module("iam")
    return iam.data["aws_iam_policy_document"][service].get("statement", []), iam.locals


def _kms_actions_on_the_mac_key(service: str) -> set[str]:
    statements, locals_ = _statements(service)
    return {action for s in statements if s.get("effect", "Allow") == "Allow"
            and MAC_KEY in resolve_list(s["resources"], locals_) for action in resolve_list(s["actions"], locals_)}


def test_the_audit_key_is_an_hmac_key_that_only_generates_and_verifies_macs():
    key = module("kms").resource("aws_kms_key", "audit_mac")
    assert (key["customer_master_key_spec"], key["key_usage"]) == ("HMAC_256", "GENERATE_VERIFY_MAC")
    assert key["deletion_window_in_days"] >= 30
    assert module("kms").resource("aws_kms_alias", "audit_mac")["name"] == "alias/${var.name}-audit-mac"


@pytest.mark.parametrize("service", TASK_ROLES)
def test_writers_may_only_sign_with_the_audit_key_and_verifiers_only_verify(service):
    expected = ({"kms:GenerateMac"} if service in WRITERS else set()) | (
        {"kms:VerifyMac"} if service in VERIFIERS else set())
    assert _kms_actions_on_the_mac_key(service) == expected
    # The environment key's grants never reach the audit key.
    statements, locals_ = _statements(service)
    for s in statements:
        if MAC_KEY not in resolve_list(s["resources"], locals_):
            assert not any(a.endswith("Mac") for a in resolve_list(s["actions"], locals_)), (service, s["sid"])


@pytest.mark.parametrize("service", TASK_ROLES)
def test_every_task_role_is_denied_changing_or_deleting_audit_items(service):
    statements, locals_ = _statements(service)
    denied = {a for s in statements if s.get("effect") == "Deny" and s["resources"] == "${local.audit_tables}"
              for a in resolve_list(s["actions"], locals_)}
    assert denied >= AUDIT_MUTATIONS
    allowed = {a for s in statements if s.get("effect", "Allow") == "Allow"
               and "local.audit_tables" in str(s["resources"]) for a in resolve_list(s["actions"], locals_)}
    assert not allowed & AUDIT_MUTATIONS


def test_every_service_gets_the_audit_key_and_the_roles_are_given_it():
    environment = module("environment")
    assert environment.locals["app_environment"]["CDD_AUDIT_MAC_KEY_ID"] == "${module.kms.audit_mac_key_arn}"
    assert environment.modules["iam"]["audit_mac_key_arn"] == "${module.kms.audit_mac_key_arn}"


def test_anchors_can_only_be_written_once_even_by_a_role_that_may_put_them():
    bucket_policy = module("data").data["aws_iam_policy_document"]["bucket"]
    dynamic = first(first(bucket_policy["dynamic"])["statement"])
    assert dynamic["for_each"] == '${each.key == "audit" ? [1] : []}'
    deny = first(dynamic["content"])
    assert (deny["effect"], deny["actions"], deny["resources"]) == (
        "Deny", ["s3:PutObject"], ["${aws_s3_bucket.this[each.key].arn}/anchors/*"])
    assert first(deny["principals"]) == {"type": "*", "identifiers": ["*"]}
    assert first(deny["condition"]) == {"test": "Null", "variable": "s3:if-none-match", "values": ["true"]}


@pytest.mark.parametrize("service", VERIFIERS)
def test_verifiers_may_list_only_the_anchors_of_the_audit_bucket(service):
    statements, locals_ = _statements(service)
    listing = [s for s in statements if "s3:ListBucket" in resolve_list(s["actions"], locals_)
               and resolve_list(s["resources"], locals_) == ['${var.bucket_arns["audit"]}']]
    assert len(listing) == 1
    assert first(listing[0]["condition"])["values"] == "${local.anchors_prefix}"
    assert resolve_list(first(listing[0]["condition"])["values"], locals_) == ["anchors/*"]
