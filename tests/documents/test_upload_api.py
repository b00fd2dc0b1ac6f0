"""Uploading through the API: real files accepted or refused with their reason; nothing left behind."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.core import aws
from apps.core.services import api_key_create
from apps.documents import services, storage
from apps.documents.models import Document
from tests.documents import files

pytestmark = pytest.mark.django_db


def upload(client: APIClient, customer_id: str, data: bytes, name: str = "passport.pdf",
           content_type: str = "application/pdf", **fields: Any) -> Any:
    body = {"file": SimpleUploadedFile(name, data, content_type=content_type), "document_type": "passport", **fields}
    return client.post(f"/api/v1/customers/{customer_id}/documents/upload", body, format="multipart")


def leftovers(customer_id: str) -> tuple[list[Document], list[dict[str, Any]]]:
    """What a customer has in DynamoDB and in S3 (every object version and delete marker)."""
    return (list(Document.query(customer_id)),
            storage.object_versions_list(prefix=f"customers/{customer_id}/") +
            storage.object_versions_list(prefix=storage.INCOMING_PREFIX))


def timeline(document_id: str) -> list[AuditEvent]:
    return list(AuditEvent.query(f"document#{document_id}", AuditEvent.sk.startswith("E#")))


def test_an_analyst_uploads_a_valid_pdf_and_it_is_received_encrypted_and_audited(
        customer_id: str, analyst: Any, client_for: Any) -> None:
    data = files.pdf()
    response = upload(client_for(analyst), customer_id, data, number="123456789", issuing_country="GB",
                      issue_date="2020-01-31", expiry_date="2030-01-30")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "received"
    assert body["content_type"] == "application/pdf"
    assert body["sha256"] == hashlib.sha256(data).hexdigest()
    assert body["size"] == len(data)
    assert body["number_masked"] == "****89"
    assert "123456789" not in response.content.decode()
    assert body["scan"] == {"engine": "none", "verdict": "no-scan", "signature": None}
    document = Document.get(customer_id, body["document_id"])
    assert document.number == "123456789"
    head = aws.client("s3").head_object(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=document.s3_key,
                                        VersionId=document.s3_version_id)
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["ContentLength"] == len(data)
    [event] = timeline(body["document_id"])
    assert event.action == "document.uploaded"
    assert event.actor["name"] == analyst.username
    assert event.changes["number"]["after"] == "****89"
    assert event.changes["status"]["after"] == "received"


def test_a_png_and_a_jpeg_are_accepted_by_their_bytes_even_under_the_wrong_name(
        customer_id: str, analyst: Any, client_for: Any) -> None:
    client = client_for(analyst)
    png = upload(client, customer_id, files.png(), name="scan.pdf", document_type="proof_of_address")
    jpeg = upload(client, customer_id, files.jpeg(), name="photo.png", content_type="image/png")
    assert (png.status_code, png.json()["content_type"]) == (201, "image/png")
    assert (jpeg.status_code, jpeg.json()["content_type"]) == (201, "image/jpeg")


@pytest.mark.parametrize(("data", "status", "code", "says"), [
    (files.elf(), 415, "executable", "Linux executable"),
    (files.pe(), 415, "executable", "Windows executable"),
    (files.zip_archive(), 415, "archive", "zip archive"),
    (files.png_zip_polyglot(), 422, "polyglot", "also contains a zip"),
    (files.pdf_with_javascript(), 422, "pdf_active_content", "JavaScript"),
    (files.pdf_encrypted(), 422, "pdf_encrypted", "password-protected"),
])
def test_a_bad_file_named_passport_pdf_is_refused_with_its_reason_and_nothing_is_kept(
        customer_id: str, analyst: Any, client_for: Any, data: bytes, status: int, code: str, says: str) -> None:
    response = upload(client_for(analyst), customer_id, data)
    assert response.status_code == status
    body = response.json()
    assert body["code"] == code
    assert says in body["message"]
    assert says in body["errors"]["file"][0]
    assert leftovers(customer_id) == ([], [])


def test_an_oversized_file_gets_413_and_nothing_is_kept(
        customer_id: str, analyst: Any, client_for: Any, settings: Any) -> None:
    settings.CDD_DOCUMENTS_MAX_UPLOAD_BYTES = 2000
    response = upload(client_for(analyst), customer_id, files.pdf(padding=5000))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "the limit is 2000 bytes" in response.json()["message"]
    assert leftovers(customer_id) == ([], [])
    settings.CDD_DOCUMENTS_MAX_UPLOAD_BYTES = 1000  # a body far over the limit is refused before it is parsed
    response = upload(client_for(analyst), customer_id, files.pdf(padding=200_000))
    assert response.status_code == 413
    assert "presigned upload" in response.json()["message"]


def test_when_the_record_cannot_be_written_the_stored_object_is_deleted_again(
        customer_id: str, analyst: Any, monkeypatch: Any) -> None:
    def fail(**kwargs: Any) -> None:
        raise RuntimeError("DynamoDB went away")

    monkeypatch.setattr(services, "audit_event_record", fail)
    import io

    with pytest.raises(RuntimeError):
        services.document_upload(customer_id=customer_id, file=io.BytesIO(files.pdf()), filename="p.pdf",
                                 meta=services.DocumentMeta(document_type="passport"), actor=Actor.from_user(analyst))
    assert leftovers(customer_id) == ([], [])


def test_a_replacement_that_fails_keeps_the_previous_file_and_removes_only_its_own_version(
        customer_id: str, analyst: Any, monkeypatch: Any) -> None:
    import io

    actor = Actor.from_user(analyst)
    first = services.document_upload(customer_id=customer_id, file=io.BytesIO(files.pdf()), filename="p.pdf",
                                     meta=services.DocumentMeta(document_type="passport"), actor=actor)
    monkeypatch.setattr(services, "audit_event_record", lambda **kwargs: (_ for _ in ()).throw(RuntimeError("down")))
    with pytest.raises(RuntimeError):
        services.document_upload(customer_id=customer_id, file=io.BytesIO(files.png()), filename="p.png", meta=None,
                                 document_id=first.document_id, actor=actor)
    [kept] = storage.object_versions_list(prefix=f"customers/{customer_id}/")
    assert kept["VersionId"] == first.s3_version_id
    assert Document.get(customer_id, first.document_id).sha256 == first.sha256


def test_a_replaced_file_keeps_the_earlier_version_listed_and_in_s3(
        customer_id: str, analyst: Any, client_for: Any) -> None:
    client = client_for(analyst)
    first = upload(client, customer_id, files.pdf()).json()
    second = upload(client, customer_id, files.png(), name="better.png", document_id=first["document_id"])
    assert second.status_code == 201
    body = second.json()
    assert body["content_type"] == "image/png"
    assert [v["sha256"] for v in body["versions"]] == [first["sha256"]]
    assert len(storage.object_versions_list(prefix=f"customers/{customer_id}/")) == 2
    assert [e.action for e in timeline(first["document_id"])] == ["document.uploaded", "document.replaced"]


def test_listing_masks_numbers_and_filters_by_status(customer_id: str, analyst: Any, reviewer: Any,
                                                      client_for: Any) -> None:
    upload(client_for(analyst), customer_id, files.pdf(), number="AB1234567")
    response = client_for(reviewer).get(f"/api/v1/customers/{customer_id}/documents")
    assert response.status_code == 200
    [listed] = response.json()
    assert listed["number_masked"] == "****67"
    assert "AB1234567" not in response.content.decode()
    assert client_for(reviewer).get(f"/api/v1/customers/{customer_id}/documents?status=verified").json() == []
    bad = client_for(reviewer).get(f"/api/v1/customers/{customer_id}/documents?status=lost")
    assert bad.status_code == 400
    assert "status" in bad.json()["errors"]


def test_a_download_link_is_short_lived_and_the_download_is_audited(
        customer_id: str, analyst: Any, reviewer: Any, client_for: Any) -> None:
    document = upload(client_for(analyst), customer_id, files.pdf()).json()
    response = client_for(reviewer).post(
        f"/api/v1/customers/{customer_id}/documents/{document['document_id']}/download-link")
    assert response.status_code == 200
    url = response.json()["url"]
    assert f"X-Amz-Expires={settings.CDD_DOCUMENTS_URL_SECONDS}" in url
    assert "versionId=" in url
    events = timeline(document["document_id"])
    assert events[-1].action == "document.downloaded"
    assert events[-1].actor["name"] == reviewer.username


def test_a_link_to_a_file_missing_from_storage_is_refused_and_not_audited_as_a_download(
        customer_id: str, analyst: Any, reviewer: Any, client_for: Any) -> None:
    document = upload(client_for(analyst), customer_id, files.pdf()).json()
    record = Document.get(customer_id, document["document_id"])
    storage.object_version_delete(key=record.s3_key, version_id=record.s3_version_id)
    response = client_for(reviewer).post(
        f"/api/v1/customers/{customer_id}/documents/{document['document_id']}/download-link")
    assert (response.status_code, response.json()["code"]) == (409, "file_missing")
    assert "nothing was downloaded" in response.json()["message"]
    assert "document.downloaded" not in [e.action for e in timeline(document["document_id"])]


def test_roles_and_scopes_decide_who_may_upload(customer_id: str, reviewer: Any, client_for: Any,
                                                integration_user: Any) -> None:
    assert upload(client_for(reviewer), customer_id, files.pdf()).status_code == 403
    # the customer is not the portal's own: reaching it needs the all-integrations scope too
    _, read_only = api_key_create(name="reader", user=integration_user, scopes=["documents:read", "integrations:all"],
                                  actor=Actor.system("tests"))
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Api-Key {read_only}")
    refused = upload(reader, customer_id, files.pdf())
    assert refused.status_code == 403
    assert "documents:write" in refused.json()["message"]
    assert reader.get(f"/api/v1/customers/{customer_id}/documents").status_code == 200


def test_an_integration_uploads_but_cannot_verify(customer_id: str, api: APIClient) -> None:
    created = upload(api, customer_id, files.pdf())
    assert created.status_code == 201
    verify = api.post(f"/api/v1/customers/{customer_id}/documents/{created.json()['document_id']}/verify")
    assert verify.status_code == 403


def test_an_unknown_customer_gets_404_and_missing_details_get_400(analyst: Any, client_for: Any,
                                                                  customer_id: str) -> None:
    response = upload(client_for(analyst), "C-nobody", files.pdf())
    assert response.status_code == 404
    assert "C-nobody" in response.json()["message"]
    response = client_for(analyst).post(f"/api/v1/customers/{customer_id}/documents/upload",
                                        {"file": SimpleUploadedFile("a.pdf", files.pdf()), "issuing_country": "gb"},
                                        format="multipart")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"issuing_country"}
    response = client_for(analyst).post(f"/api/v1/customers/{customer_id}/documents/upload",
                                        {"file": SimpleUploadedFile("a.pdf", files.pdf())}, format="multipart")
    assert response.status_code == 400
    assert response.json()["errors"] == {"document_type": ["Required for a new document."]}


def test_dates_that_cannot_be_right_get_field_errors(customer_id: str, analyst: Any, client_for: Any) -> None:
    response = upload(client_for(analyst), customer_id, files.pdf(), issue_date="2099-01-01",
                      expiry_date="2098-01-01")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"issue_date", "expiry_date"}
    assert leftovers(customer_id) == ([], [])


def test_a_document_of_a_related_party_must_name_a_party_of_that_customer(customer_id: str, analyst: Any,
                                                                           client_for: Any) -> None:
    response = upload(client_for(analyst), customer_id, files.pdf(), party_type="related_party",
                      party_id="rp_01NOSUCHPARTY")
    assert response.status_code == 400
    assert response.json()["errors"]["party_id"] == [f"rp_01NOSUCHPARTY is not a related party of customer {customer_id}."]
    assert leftovers(customer_id) == ([], [])
