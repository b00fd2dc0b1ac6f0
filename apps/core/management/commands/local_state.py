from __future__ import annotations

import base64
import hashlib
import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core import aws
from apps.core.dynamo import registered_models


class Command(BaseCommand):
    help = (
        "Local stack only: save the DynamoDB tables and S3 objects of the moto server to a folder, "
        "or load them back. `make run` loads on start and saves every minute and on Ctrl-C, which is "
        "how local data survives a restart (moto itself keeps everything in memory)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["save", "load"])
        parser.add_argument("--dir", help="Folder of the saved state (default .local/state).")

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.CDD_ENV != "local" or not settings.AWS_ENDPOINT_URL:
            raise CommandError("local_state works only on the local stack (CDD_ENV=local with AWS_ENDPOINT_URL set).")
        folder = Path(options["dir"] or settings.LOCAL_DIR / "state")
        if options["dir"] and options["action"] == "load" and not (folder / "dynamodb.jsonl").exists():
            raise CommandError(f"{folder} holds no saved state (no dynamodb.jsonl); check the folder name.")
        if options["action"] == "save":
            self._save(folder)
        else:
            self._load(folder)

    def _save(self, folder: Path) -> None:
        tmp = folder.with_suffix(".tmp")
        tmp.mkdir(parents=True, exist_ok=True)
        dynamodb = aws.client("dynamodb")
        items = 0
        with open(tmp / "dynamodb.jsonl", "w", encoding="utf-8") as out:
            for model in registered_models():
                table = model.Meta.table_name
                # An offline job over the whole local table, not a request path.
                for page in dynamodb.get_paginator("scan").paginate(TableName=table):
                    for item in page["Items"]:
                        out.write(json.dumps({"table": model.Meta.name, "item": item}) + "\n")
                        items += 1
        s3 = aws.client("s3")
        objects = fetched = 0
        blobs = folder.parent / f"{folder.name}-objects"
        blobs.mkdir(parents=True, exist_ok=True)
        keep: set[str] = set()
        with open(tmp / "s3.jsonl", "w", encoding="utf-8") as out:
            for bucket in aws.bucket_names():
                # Every version, oldest first, so the records' version ids all resolve after a load.
                versions: list[dict[str, Any]] = []
                for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket):
                    versions.extend(page.get("Versions", []))
                # S3 lists each key's versions newest first; restore them oldest first.
                versions.reverse()
                versions.sort(key=lambda v: v["Key"])  # stable: keeps each key's oldest-first order
                for version in versions:
                    version_id = version.get("VersionId") or "null"
                    # An object version never changes: its bytes are fetched and written once, then reused.
                    blob = hashlib.sha256(
                        f"{bucket}|{version['Key']}|{version_id}|{version.get('ETag', '')}".encode()).hexdigest()
                    keep.add(blob)
                    row = {"bucket": bucket, "key": version["Key"], "version_id": version_id, "blob": blob}
                    meta = blobs / f"{blob}.json"
                    if meta.exists() and (blobs / blob).exists():
                        row.update(json.loads(meta.read_text()))
                    else:
                        extra = {"VersionId": version_id} if version_id != "null" else {}
                        head = s3.get_object(Bucket=bucket, Key=version["Key"], **extra)
                        (blobs / blob).write_bytes(head["Body"].read())
                        described = {"content_type": head.get("ContentType"), "metadata": head.get("Metadata", {})}
                        meta.write_text(json.dumps(described))
                        row.update(described)
                        fetched += 1
                    out.write(json.dumps(row) + "\n")
                    objects += 1
        for stale in blobs.iterdir():  # versions that no longer exist
            if stale.name.removesuffix(".json") not in keep:
                stale.unlink()
        if folder.exists():
            for child in folder.iterdir():
                child.unlink()
            folder.rmdir()
        tmp.rename(folder)
        self.stdout.write(f"saved {items} items and {objects} objects ({fetched} new) to {folder}")

    def _load(self, folder: Path) -> None:
        if not (folder / "dynamodb.jsonl").exists():
            self.stdout.write("no saved local state; starting empty")
            return
        dynamodb = aws.client("dynamodb")
        prefix = settings.CDD_TABLE_PREFIX
        items = 0
        with open(folder / "dynamodb.jsonl", encoding="utf-8") as lines:
            for line in lines:
                row = json.loads(line)
                dynamodb.put_item(TableName=f"{prefix}-{row['table']}", Item=row["item"])
                items += 1
        s3 = aws.client("s3")
        objects = renamed = 0
        if (folder / "s3.jsonl").exists():
            with open(folder / "s3.jsonl", encoding="utf-8") as lines:
                for line in lines:
                    row = json.loads(line)
                    extra: dict[str, Any] = {"Metadata": row.get("metadata") or {}}
                    if row.get("content_type"):
                        extra["ContentType"] = row["content_type"]
                    body = (base64.b64decode(row["body"]) if "body" in row  # the older, self-contained format
                            else (folder.parent / f"{folder.name}-objects" / row["blob"]).read_bytes())
                    put = s3.put_object(Bucket=row["bucket"], Key=row["key"], Body=body, **extra)
                    objects += 1
                    saved, given = row.get("version_id") or "null", put.get("VersionId") or "null"
                    if saved not in ("null", given):
                        self._version_id_restore(row["bucket"], row["key"], given, saved)
                        renamed += 1
        self.stdout.write(f"loaded {items} items and {objects} objects ({renamed} version ids restored) from {folder}")

    def _version_id_restore(self, bucket: str, key: str, given: str, saved: str) -> None:
        """Rename the version moto just made back to the id the records hold (scripts/moto_server.py)."""
        url = f"{settings.AWS_ENDPOINT_URL.rstrip('/')}/_cdd/s3/version-id"
        body = json.dumps({"bucket": bucket, "key": key, "from": given, "to": saved}).encode()
        request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json"})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - the local stack's URL
                response.read()
        except urllib.error.URLError as exc:
            raise CommandError(
                f"Could not restore the version id of s3://{bucket}/{key} ({exc}). The local stack must run "
                "scripts/moto_server.py (as `make run` does), not plain `moto.server`."
            ) from exc
