"""Presigned uploads (in-process moto): the completion call checks what arrived before anything is recorded."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from apps.core import aws
from apps.documents import storage
from apps.documents.models import Document
from tests.documents import files
from tests.documents.test_upload_api import leftovers, timeline

pytestmark = pytest.mark.django_db


def start(client: APIClient, customer_id: str, data: bytes, *, sha256: str | None = None, **extra: Any) -> Any:
    body = {"document_type": "passport", "filename": "passport.pdf", "size": len(data),
            "sha256": sha256 or hashlib.sha256(data).hexdigest(), **extra}
    return client.post(f"/api/v1/customers/{customer_id}/documents/uploads", body, format="json")


def arrive(ticket: dict[str, Any], data: bytes) -> None:
    """What the client's POST to the presigned URL leaves in the bucket (the HTTP path is the integration test)."""
    aws.client("s3").put_object(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=ticket["fields"]["key"], Body=data)


def complete(client: APIClient, customer_id: str, ticket: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/customers/{customer_id}/documents/uploads/{ticket['upload_id']}/complete")


def test_a_completed_upload_is_checked_moved_and_recorded_as_received(customer_id: str, analyst: Any,
                                                                        client_for: Any) -> None:
    client = client_for(analyst)
    data = files.pdf(pages=3)
    ticket = start(client, customer_id, data).json()
    assert ticket["fields"]["key"].startswith("incoming/")
    assert ticket["fields"]["x-amz-server-side-encryption"] == "aws:kms"
    assert ticket["max_bytes"] == len(data)
    assert list(Document.query(customer_id)) == []  # nothing recorded before completion
    arrive(ticket, data)
    response = complete(client, customer_id, ticket)
    assert response.status_code == 201, response.json()
    document = response.json()
    assert (document["status"], document["sha256"], document["content_type"]) == (
        "received", hashlib.sha256(data).hexdigest(), "application/pdf")
    assert storage.object_versions_list(prefix=storage.INCOMING_PREFIX) == []
    [stored] = storage.object_versions_list(prefix=f"customers/{customer_id}/documents/")
    assert stored["Size"] == len(data)
    assert [e.action for e in timeline(document["document_id"])] == ["document.uploaded"]
    again = complete(client, customer_id, ticket)  # a retried completion answers the same, records nothing new
    assert again.json()["document_id"] == document["document_id"]
    assert len(timeline(document["document_id"])) == 1


def test_a_mismatched_checksum_is_refused_and_leaves_no_record_and_no_object(customer_id: str, analyst: Any,
                                                                              client_for: Any) -> None:
    client = client_for(analyst)
    data = files.pdf()
    ticket = start(client, customer_id, data).json()
    tampered = data.replace(b"%%EOF", b"%%EOX")
    assert len(tampered) == len(data)
    arrive(ticket, tampered)
    response = complete(client, customer_id, ticket)
    assert response.status_code == 422
    assert response.json()["code"] == "checksum_mismatch"
    assert hashlib.sha256(data).hexdigest() in response.json()["message"]
    assert leftovers(customer_id) == ([], [])


def test_a_different_size_or_a_renamed_executable_is_refused_after_arrival(customer_id: str, analyst: Any,
                                                                            client_for: Any) -> None:
    client = client_for(analyst)
    data = files.pdf()
    ticket = start(client, customer_id, data).json()
    arrive(ticket, data + b"\n% appended")
    response = complete(client, customer_id, ticket)
    assert (response.status_code, response.json()["code"]) == (422, "size_mismatch")
    exe = files.elf()
    ticket = start(client, customer_id, exe).json()
    arrive(ticket, exe)
    response = complete(client, customer_id, ticket)
    assert (response.status_code, response.json()["code"]) == (415, "executable")
    assert leftovers(customer_id) == ([], [])


def test_completing_before_anything_arrived_says_so(customer_id: str, analyst: Any, client_for: Any) -> None:
    client = client_for(analyst)
    ticket = start(client, customer_id, files.pdf()).json()
    response = complete(client, customer_id, ticket)
    assert (response.status_code, response.json()["code"]) == (422, "upload_missing")
    assert list(Document.query(customer_id)) == []


def test_only_the_starter_may_complete_and_forged_ids_are_refused(customer_id: str, analyst: Any, analyst2: Any,
                                                                   client_for: Any) -> None:
    data = files.pdf()
    ticket = start(client_for(analyst), customer_id, data).json()
    arrive(ticket, data)
    assert complete(client_for(analyst2), customer_id, ticket).status_code == 403
    forged = client_for(analyst).post(f"/api/v1/customers/{customer_id}/documents/uploads/{ticket['upload_id']}x/complete")
    assert (forged.status_code, list(forged.json()["errors"])) == (400, ["upload_id"])
    assert complete(client_for(analyst), customer_id, ticket).status_code == 201  # the starter still can


def test_a_declared_size_over_the_presigned_limit_gets_413_up_front(customer_id: str, analyst: Any,
                                                                    client_for: Any, settings: Any) -> None:
    settings.CDD_DOCUMENTS_MAX_PRESIGNED_BYTES = 1000
    response = start(client_for(analyst), customer_id, files.pdf(padding=2000))
    assert response.status_code == 413
    assert "size" in response.json()["errors"]


def test_uploads_nobody_completed_are_swept_away(customer_id: str, analyst: Any, client_for: Any) -> None:
    from datetime import timedelta

    from apps.documents.services import documents_incoming_sweep

    data = files.png()
    ticket = start(client_for(analyst), customer_id, data).json()
    arrive(ticket, data)
    assert documents_incoming_sweep() == 0  # still within its lifetime
    assert documents_incoming_sweep(older_than=timedelta(seconds=-1)) == 1
    assert storage.object_versions_list(prefix=storage.INCOMING_PREFIX) == []
