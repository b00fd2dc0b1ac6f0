"""The documents bucket's malware scanning in Terraform: GuardDuty Malware Protection for S3, its role,
the tag-based read gate, and the worker's right to read the scan result (python-hcl2, offline)."""

from __future__ import annotations

from tests.deploy.terraform_model import first, module

GUARDDUTY = "malware-protection-plan.guardduty.amazonaws.com"
SCAN_TAG = "GuardDutyMalwareScanStatus"


def _statements(doc: dict) -> list[dict]:
    return doc.get("statement", [])


def _by_sid(doc: dict) -> dict[str, dict]:
    return {s.get("sid"): s for s in _statements(doc)}


def _conditions(statement: dict) -> list[dict]:
    return statement.get("condition", [])


def test_guardduty_scans_the_documents_bucket_and_tags_every_object_it_scans():
    data = module("data")
    [plan] = data.all_of("aws_guardduty_malware_protection_plan").values()
    bucket = first(first(plan["protected_resource"])["s3_bucket"])
    assert bucket["bucket_name"] == '${aws_s3_bucket.this["documents"].id}'
    assert "customers/" in bucket["object_prefixes"]  # every document file and letter
    assert first(first(plan["actions"])["tagging"])["status"] == "ENABLED"  # the worker reads the tag
    assert plan["role"] == "${aws_iam_role.malware_protection.arn}"


def test_the_scan_role_is_assumed_only_by_guardduty_for_this_account():
    data = module("data")
    role = data.resource("aws_iam_role", "malware_protection")
    assert role["assume_role_policy"] == "${data.aws_iam_policy_document.malware_protection_assume.json}"
    [trust] = _statements(data.data["aws_iam_policy_document"]["malware_protection_assume"])
    assert trust["actions"] == ["sts:AssumeRole"]
    assert first(trust["principals"])["identifiers"] == [GUARDDUTY]
    assert any(c["variable"] == "aws:SourceAccount" for c in _conditions(trust))


def test_the_scan_role_may_read_decrypt_and_tag_documents_and_manage_only_its_own_eventbridge_rule():
    data = module("data")
    statements = _by_sid(data.data["aws_iam_policy_document"]["malware_protection"])
    assert {"s3:GetObject", "s3:GetObjectVersion"} <= set(statements["AllowMalwareScan"]["actions"])
    assert {"s3:PutObjectTagging", "s3:PutObjectVersionTagging"} <= set(statements["AllowPostScanTag"]["actions"])
    assert statements["AllowDecryptForMalwareScan"]["resources"] == ["${var.kms_key_arn}"]
    assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(statements["AllowDecryptForMalwareScan"]["actions"])
    rule = statements["AllowManagedRuleToSendS3EventsToGuardDuty"]
    assert all("DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3" in r for r in rule["resources"])
    for statement in statements.values():
        assert "*" not in statement.get("actions", []) and "*" not in statement.get("resources", [])
    for resources in (s["resources"] for sid, s in statements.items() if sid.startswith("AllowPostScan")
                      or sid == "AllowMalwareScan"):
        assert resources == ['${aws_s3_bucket.this["documents"].arn}/*']
    policy = data.resource("aws_iam_role_policy", "malware_protection")
    assert policy["role"] == "${aws_iam_role.malware_protection.id}"


def test_nobody_but_guardduty_reads_a_document_file_not_scanned_clean():
    data = module("data")
    bucket_doc = data.data["aws_iam_policy_document"]["bucket"]
    assert "documents" in bucket_doc["source_policy_documents"]  # merged into the documents bucket's policy only
    gate = _by_sid(data.data["aws_iam_policy_document"]["documents_malware_gate"])
    deny = gate["DenyReadingDocumentsNotScannedClean"]
    assert deny["effect"] == "Deny"
    assert {"s3:GetObject", "s3:GetObjectVersion"} <= set(deny["actions"])
    assert deny["resources"] == ['${aws_s3_bucket.this["documents"].arn}/customers/*/documents/*']
    tag = next(c for c in _conditions(deny) if c["variable"] == f"s3:ExistingObjectTag/{SCAN_TAG}")
    assert (tag["test"], tag["values"]) == ("StringNotEquals", ["NO_THREATS_FOUND"])
    exempt = next(c for c in _conditions(deny) if c["variable"] == "aws:PrincipalArn")
    assert (exempt["test"], exempt["values"]) == ("ArnNotEquals", ["${aws_iam_role.malware_protection.arn}"])


def test_only_guardduty_may_set_or_remove_the_scan_result_tag():
    gate = _by_sid(module("data").data["aws_iam_policy_document"]["documents_malware_gate"])
    deny = gate["DenyChangingTheScanResult"]
    assert deny["effect"] == "Deny"
    assert {"s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging",
            "s3:DeleteObjectVersionTagging"} <= set(deny["actions"])
    exempt = next(c for c in _conditions(deny) if c["variable"] == "aws:PrincipalArn")
    assert exempt["values"] == ["${aws_iam_role.malware_protection.arn}"]


def test_the_worker_reads_the_scan_result_tag_and_the_services_use_guardduty():
    iam = module("iam")
    worker = _by_sid(iam.data["aws_iam_policy_document"]["worker"])
    read = worker["ReadMalwareScanResults"]
    assert {"s3:GetObjectTagging", "s3:GetObjectVersionTagging"} <= set(read["actions"])
    assert read["resources"] == ['${var.bucket_arns["documents"]}/*']
    environment = module("environment")
    assert environment.locals["app_environment"]["CDD_DOCUMENT_SCANNER"] == "guardduty"
