"""The AWS resources of the local stack and of test runs: buckets, KMS keys, queues.

In AWS these come from Terraform (deploy/terraform); this module creates the same
shapes on moto so the code paths are the same.
"""

from __future__ import annotations

import json

from django.conf import settings

from apps.core import aws


def kms_key_ensure() -> str:
    kms = aws.client("kms")
    alias = settings.CDD_KMS_KEY_ID
    if not alias.startswith("alias/"):
        return alias
    for entry in kms.list_aliases()["Aliases"]:
        if entry["AliasName"] == alias and entry.get("TargetKeyId"):
            return str(entry["TargetKeyId"])
    key_id = kms.create_key(Description="CDD local data key")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return str(key_id)


def audit_mac_key_ensure() -> str:
    """The HMAC key that MACs audit events (Terraform's ``aws_kms_key.audit_mac`` in AWS)."""
    kms = aws.client("kms")
    alias = settings.CDD_AUDIT_MAC_KEY_ID
    if not alias.startswith("alias/"):
        return alias
    for entry in kms.list_aliases()["Aliases"]:
        if entry["AliasName"] == alias and entry.get("TargetKeyId"):
            return str(entry["TargetKeyId"])
    key_id = kms.create_key(Description="CDD local audit MAC key", KeySpec="HMAC_256",
                            KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    return str(key_id)


def bucket_ensure(name: str, *, object_lock: bool = False) -> None:
    s3 = aws.client("s3")
    try:
        s3.head_bucket(Bucket=name)
        return
    except s3.exceptions.ClientError:
        pass
    params: dict[str, object] = {"Bucket": name}
    if settings.AWS_REGION != "us-east-1":
        params["CreateBucketConfiguration"] = {"LocationConstraint": settings.AWS_REGION}
    if object_lock:
        params["ObjectLockEnabledForBucket"] = True
    s3.create_bucket(**params)
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True,
        },
    )
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {
                "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": settings.CDD_KMS_KEY_ID}, "BucketKeyEnabled": True}]
        },
    )
    if object_lock:
        s3.put_object_lock_configuration(
            Bucket=name,
            ObjectLockConfiguration={
                "ObjectLockEnabled": "Enabled",
                "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1}},
            },
        )


def queues_ensure() -> list[str]:
    sqs = aws.client("sqs")
    urls = []
    for name in aws.queue_names():
        dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        urls.append(sqs.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": "900",
                "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "5"}),
            },
        )["QueueUrl"])
    return urls


def aws_resources_ensure() -> dict[str, object]:
    """Create what is missing; safe to run on every start."""
    key_id = kms_key_ensure()
    audit_mac_key_ensure()
    for bucket in aws.bucket_names():
        bucket_ensure(bucket, object_lock=bucket == settings.CDD_AUDIT_BUCKET)
    queues = queues_ensure()
    return {"kms_key": key_id, "buckets": aws.bucket_names(), "queues": queues}
