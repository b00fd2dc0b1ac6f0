"""Presigned upload and download over real HTTP against a moto server (integration tier).

The module starts its own ``python -m moto.server`` on 127.0.0.1, points the settings at it,
creates the buckets, key and tables there, and then behaves like a client: it asks the API for a
presigned POST, sends the file to S3 with ``requests``, completes the upload through the API,
and downloads the file through the presigned URL it is given.
"""

from __future__ import annotations

import hashlib
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from django.conf import settings
from moto.core.models import MockAWS
from rest_framework.test import APIClient

from apps.audit.models import AuditEvent
from apps.core import aws
from apps.documents import storage
from apps.documents.models import Document
from tests.documents import files
from tests.documents.conftest import customer_make

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def moto_server() -> Iterator[str]:
    if MockAWS._nested_count:
        pytest.skip("in-process moto is active in this run; run the integration tier alone: pytest -m integration")
    from apps.core.bootstrap import aws_resources_ensure
    from apps.core.tables import tables_ensure

    port = _free_port()
    process = subprocess.Popen([sys.executable, str(settings.BASE_DIR / "scripts" / "moto_server.py"), "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"{endpoint}/moto-api/", timeout=1)
            break
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError(f"moto server did not start on {endpoint}") from None
            time.sleep(0.2)
    saved = {name: getattr(settings, name) for name in ("AWS_ENDPOINT_URL", "CDD_TABLE_PREFIX")}
    settings.AWS_ENDPOINT_URL = endpoint
    settings.CDD_TABLE_PREFIX = f"http{uuid.uuid4().hex[:8]}"
    aws.clients_reset()
    try:
        aws_resources_ensure()
        tables_ensure(create=True)
        yield endpoint
    finally:
        for name, value in saved.items():
            setattr(settings, name, value)
        aws.clients_reset()
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def customer_id(moto_server: str) -> str:
    return customer_make()


def _start(client: APIClient, customer_id: str, data: bytes, sha256: str | None = None) -> dict[str, Any]:
    response = client.post(f"/api/v1/customers/{customer_id}/documents/uploads", {
        "document_type": "passport", "filename": "passport.pdf", "size": len(data),
        "sha256": sha256 or hashlib.sha256(data).hexdigest()}, format="json")
    assert response.status_code == 201, response.json()
    return dict(response.json())


def _post_file(ticket: dict[str, Any], data: bytes) -> requests.Response:
    return requests.post(ticket["url"], data=ticket["fields"], files={"file": ("passport.pdf", data)}, timeout=30)


def test_a_file_posted_to_the_presigned_url_is_completed_and_downloaded_over_http(
        customer_id: str, analyst: Any, client_for: Any) -> None:
    client = client_for(analyst)
    data = files.pdf(pages=5, padding=300_000)
    ticket = _start(client, customer_id, data)
    assert ticket["url"].startswith(settings.AWS_ENDPOINT_URL)

    posted = _post_file(ticket, data)
    assert posted.status_code in (200, 201, 204), posted.text
    head = aws.client("s3").head_object(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=ticket["fields"]["key"])
    assert head["ContentLength"] == len(data)

    completed = client.post(ticket["complete_url"])
    assert completed.status_code == 201, completed.json()
    document = completed.json()
    assert (document["status"], document["size"]) == ("received", len(data))

    link = client.post(f"/api/v1/customers/{customer_id}/documents/{document['document_id']}/download-link")
    assert link.status_code == 200
    downloaded = requests.get(link.json()["url"], timeout=30)
    assert downloaded.status_code == 200
    assert hashlib.sha256(downloaded.content).hexdigest() == document["sha256"]
    assert "attachment" in downloaded.headers.get("Content-Disposition", "")
    actions = [e.action for e in AuditEvent.query(f"document#{document['document_id']}") if e.action]
    assert actions == ["document.uploaded", "document.downloaded"]


def test_a_posted_file_with_another_checksum_is_refused_and_removed_from_the_bucket(
        customer_id: str, analyst: Any, client_for: Any) -> None:
    client = client_for(analyst)
    data = files.png()
    ticket = _start(client, customer_id, data, sha256=hashlib.sha256(b"what the client meant").hexdigest())
    assert _post_file(ticket, data).status_code in (200, 201, 204)
    response = client.post(ticket["complete_url"])
    assert (response.status_code, response.json()["code"]) == (422, "checksum_mismatch")
    assert list(Document.query(customer_id)) == []
    assert storage.object_versions_list(prefix=ticket["fields"]["key"]) == []
    assert storage.object_versions_list(prefix=f"customers/{customer_id}/") == []
