"""Document files in S3: keys, encrypted writes, versions, presigned URLs.

Written with the boto3 client of ``apps.core.aws`` (the same endpoint, region and credentials
django-storages' ``default`` storage is configured with) because a document record must hold the
S3 *object version id* and checksum of the exact file it points at, which the Storage API hides.
Every write asks for SSE-KMS with ``CDD_KMS_KEY_ID``; the bucket itself is versioned and blocks
public access (apps/core/bootstrap.py, deploy/terraform).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import IO, Any

from django.conf import settings

from apps.core import aws
from apps.core.dynamo import utcnow

INCOMING_PREFIX = "incoming/"


def document_key(*, customer_id: str, document_id: str) -> str:
    return f"customers/{customer_id}/documents/{document_id}"


def letter_key(*, customer_id: str, request_id: str) -> str:
    return f"customers/{customer_id}/requests/{request_id}.pdf"


def incoming_key(*, upload_id: str) -> str:
    return f"{INCOMING_PREFIX}{upload_id}"


def _sse() -> dict[str, str]:
    return {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": settings.CDD_KMS_KEY_ID}


def object_put(*, key: str, body: IO[bytes] | bytes, content_type: str, sha256: str | None = None) -> str | None:
    """Write an encrypted object; its new version id."""
    params: dict[str, Any] = {"Bucket": settings.CDD_DOCUMENTS_BUCKET, "Key": key, "Body": body,
                              "ContentType": content_type, **_sse()}
    if sha256:
        params["Metadata"] = {"sha256": sha256}
    response = aws.client("s3").put_object(**params)
    return response.get("VersionId")


def object_copy(*, source_key: str, key: str, content_type: str, sha256: str) -> str | None:
    """Server-side copy (incoming upload -> document key), re-encrypted with the platform key."""
    response = aws.client("s3").copy_object(
        Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=key,
        CopySource={"Bucket": settings.CDD_DOCUMENTS_BUCKET, "Key": source_key},
        ContentType=content_type, Metadata={"sha256": sha256}, MetadataDirective="REPLACE", **_sse(),
    )
    return response.get("VersionId")


def object_head(*, key: str, version_id: str | None = None) -> dict[str, Any] | None:
    """The object's (or one version's) metadata; None if it is not there."""
    s3 = aws.client("s3")
    extra = {"VersionId": version_id} if version_id else {}
    try:
        return dict(s3.head_object(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=key, **extra))
    except s3.exceptions.ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound", "NoSuchVersion", "400"):
            return None
        raise


def object_read(*, key: str, out: IO[bytes], version_id: str | None = None) -> None:
    """Stream an object into ``out`` (a spooled temporary file)."""
    params: dict[str, Any] = {"Bucket": settings.CDD_DOCUMENTS_BUCKET, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    body = aws.client("s3").get_object(**params)["Body"]
    for chunk in body.iter_chunks(1024 * 1024):
        out.write(chunk)
    out.seek(0)


def object_tags(*, key: str, version_id: str | None) -> dict[str, str]:
    """The tags of one object version (GuardDuty writes its scan result there)."""
    params: dict[str, Any] = {"Bucket": settings.CDD_DOCUMENTS_BUCKET, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    response = aws.client("s3").get_object_tagging(**params)
    return {tag["Key"]: tag["Value"] for tag in response.get("TagSet", [])}


def object_tag_put(*, key: str, version_id: str | None, tags: dict[str, str]) -> None:
    """Set the tags of one object version (only the local stand-in scanner does; in AWS only GuardDuty may)."""
    params: dict[str, Any] = {"Bucket": settings.CDD_DOCUMENTS_BUCKET, "Key": key,
                              "Tagging": {"TagSet": [{"Key": k, "Value": v} for k, v in tags.items()]}}
    if version_id:
        params["VersionId"] = version_id
    aws.client("s3").put_object_tagging(**params)


def object_version_delete(*, key: str, version_id: str | None) -> None:
    """Remove one version (the one a failed upload wrote), leaving earlier versions intact."""
    params: dict[str, Any] = {"Bucket": settings.CDD_DOCUMENTS_BUCKET, "Key": key}
    if version_id:
        params["VersionId"] = version_id
    aws.client("s3").delete_object(**params)


def object_versions_purge(*, key: str) -> int:
    """Delete every version and delete marker of ``key`` (an incoming upload that is done with)."""
    s3 = aws.client("s3")
    removed = 0
    paginator = s3.get_paginator("list_object_versions")
    for page in paginator.paginate(Bucket=settings.CDD_DOCUMENTS_BUCKET, Prefix=key):
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            if entry["Key"] == key:
                s3.delete_object(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=key, VersionId=entry["VersionId"])
                removed += 1
    return removed


def object_versions_list(*, prefix: str) -> list[dict[str, Any]]:
    """Every version and delete marker under ``prefix`` (tests and the sweeper)."""
    s3 = aws.client("s3")
    out: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_object_versions").paginate(Bucket=settings.CDD_DOCUMENTS_BUCKET, Prefix=prefix):
        out.extend(page.get("Versions", []))
        out.extend(page.get("DeleteMarkers", []))
    return out


def download_url(*, key: str, version_id: str | None, filename: str, content_type: str,
                 inline: bool = False) -> tuple[str, datetime]:
    """A presigned GET for one object version, living ``CDD_DOCUMENTS_URL_SECONDS`` (``inline``: shown, not saved)."""
    seconds = int(settings.CDD_DOCUMENTS_URL_SECONDS)
    disposition = "inline" if inline else "attachment"
    params: dict[str, Any] = {
        "Bucket": settings.CDD_DOCUMENTS_BUCKET, "Key": key,
        "ResponseContentDisposition": f'{disposition}; filename="{_safe_filename(filename)}"',
        "ResponseContentType": content_type,
    }
    if version_id:
        params["VersionId"] = version_id
    url = aws.client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=seconds)
    return url, utcnow() + timedelta(seconds=seconds)


def upload_post(*, key: str, max_bytes: int) -> tuple[dict[str, Any], datetime]:
    """A presigned POST for exactly ``key``, SSE-KMS, at most ``max_bytes`` (S3 enforces the policy)."""
    seconds = int(settings.CDD_DOCUMENTS_URL_SECONDS)
    fields = {"x-amz-server-side-encryption": "aws:kms",
              "x-amz-server-side-encryption-aws-kms-key-id": settings.CDD_KMS_KEY_ID}
    conditions: list[Any] = [
        {"bucket": settings.CDD_DOCUMENTS_BUCKET},
        ["eq", "$key", key],
        ["content-length-range", 1, max_bytes],
        {"x-amz-server-side-encryption": "aws:kms"},
        {"x-amz-server-side-encryption-aws-kms-key-id": settings.CDD_KMS_KEY_ID},
    ]
    post = aws.client("s3").generate_presigned_post(
        Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=key, Fields=fields, Conditions=conditions, ExpiresIn=seconds,
    )
    return dict(post), utcnow() + timedelta(seconds=seconds)


def _safe_filename(name: str) -> str:
    cleaned = "".join(ch for ch in name if ch.isalnum() or ch in "._- ")[:100].strip()
    return cleaned or "document"
