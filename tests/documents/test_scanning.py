"""The malware-scan step: clamd's INSTREAM protocol against a small clamd speaking it on 127.0.0.1."""

from __future__ import annotations

import io
import socket
import struct
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.core.errors import ServiceUnavailable
from apps.documents import services, storage
from apps.documents.models import Document
from apps.documents.scanning import ClamdScanner
from tests.documents import files

EICAR_MARK = b"EICARSTANDARDANTIVIRUSTESTFILE"  # stands in for the real EICAR string


class FakeClamd:
    """Answers INSTREAM like clamd: FOUND when the stream holds the EICAR marker, else OK."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                command = b""
                while not command.endswith(b"\0"):
                    command += conn.recv(1)
                assert command == b"zINSTREAM\0"
                data = b""
                while True:
                    header = b""
                    while len(header) < 4:
                        header += conn.recv(4 - len(header))
                    (size,) = struct.unpack("!L", header)
                    if size == 0:
                        break
                    chunk = b""
                    while len(chunk) < size:
                        chunk += conn.recv(size - len(chunk))
                    data += chunk
                self.received.append(data)
                reply = b"stream: Eicar-Test-Signature FOUND\0" if EICAR_MARK in data else b"stream: OK\0"
                conn.sendall(reply)


@pytest.fixture
def clamd(settings: Any) -> Iterator[FakeClamd]:
    fake = FakeClamd()
    settings.CDD_DOCUMENT_SCANNER = "clamd"
    settings.CDD_DOCUMENTS_CLAMD_URL = f"tcp://127.0.0.1:{fake.port}"
    yield fake
    fake.server.close()


def test_clamd_streams_the_whole_file_in_chunks_and_reads_the_verdict(clamd: FakeClamd) -> None:
    data = files.pdf(padding=200_000)
    scanner = ClamdScanner(f"tcp://127.0.0.1:{clamd.port}")
    assert scanner.scan(data).verdict == "clean"
    assert clamd.received[-1] == data
    infected = scanner.scan(b"%PDF-1.4 " + EICAR_MARK)
    assert (infected.verdict, infected.signature) == ("infected", "Eicar-Test-Signature")


@pytest.mark.django_db
def test_an_infected_upload_is_refused_and_nothing_is_kept(clamd: FakeClamd, customer_id: str, analyst: Any) -> None:
    # a PDF whose metadata carries the test marker: valid to our checks, flagged by the scanner
    data = files.pdf(subject=EICAR_MARK.decode())
    with pytest.raises(services.DocumentRejected) as caught:
        services.document_upload(customer_id=customer_id, file=io.BytesIO(data), filename="p.pdf",
                                 meta=services.DocumentMeta(document_type="passport"), actor=Actor.from_user(analyst))
    assert caught.value.code == "malware"
    assert "Eicar-Test-Signature" in caught.value.message
    assert list(Document.query(customer_id)) == []
    assert storage.object_versions_list(prefix=f"customers/{customer_id}/") == []


@pytest.mark.django_db
def test_a_clean_upload_records_the_scanners_verdict(clamd: FakeClamd, customer_id: str, analyst: Any) -> None:
    document = services.document_upload(customer_id=customer_id, file=io.BytesIO(files.png()), filename="a.png",
                                        meta=services.DocumentMeta(document_type="passport"),
                                        actor=Actor.from_user(analyst))
    assert document.scan == {"engine": "clamd", "verdict": "clean", "signature": None}


@pytest.mark.django_db
def test_a_configured_scanner_that_does_not_answer_fails_closed(settings: Any, customer_id: str, analyst: Any) -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    settings.CDD_DOCUMENT_SCANNER = "clamd"
    settings.CDD_DOCUMENTS_CLAMD_URL = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ServiceUnavailable, match="did not answer"):
        services.document_upload(customer_id=customer_id, file=io.BytesIO(files.png()), filename="a.png",
                                 meta=services.DocumentMeta(document_type="passport"), actor=Actor.from_user(analyst))
    assert list(Document.query(customer_id)) == []


# --- the asynchronous scan (GuardDuty in AWS; the fake here, through the same object tag) -----------

from apps.core.outbox import outbox_drain, outbox_for_group  # noqa: E402
from tests.documents import corpus  # noqa: E402
from tests.documents.test_presigned_upload import arrive, complete, start  # noqa: E402
from tests.documents.test_upload_api import timeline  # noqa: E402


def _upload(customer_id: str, analyst: Any, data: bytes) -> Document:
    return services.document_upload(customer_id=customer_id, file=io.BytesIO(data), filename="p.pdf",
                                    meta=services.DocumentMeta(document_type="passport"), actor=Actor.from_user(analyst))


@pytest.fixture
def fake_scanner(settings: Any) -> None:
    settings.CDD_DOCUMENT_SCANNER = "fake"


@pytest.mark.django_db
def test_a_document_awaits_its_scan_and_cannot_be_opened_or_verified_until_it_is_clean(
        fake_scanner: None, customer_id: str, analyst: Any, reviewer: Any) -> None:
    document = _upload(customer_id, analyst, files.pdf())
    assert (document.status, document.scan["verdict"]) == ("pending_scan", "pending")
    with pytest.raises(services.DomainError) as caught:
        services.document_download_link(customer_id=customer_id, document_id=document.document_id,
                                        actor=Actor.from_user(reviewer))
    assert (caught.value.status, caught.value.code) == (409, "scan_pending")
    assert "awaiting its malware scan" in caught.value.errors["status"][0]
    with pytest.raises(services.DomainError) as caught:
        services.document_verify(customer_id=customer_id, document_id=document.document_id,
                                 actor=Actor.from_user(reviewer))
    assert caught.value.code == "scan_pending"

    assert outbox_drain(group_key=customer_id)["done"] >= 1  # the worker reads the scanner's result
    document = Document.get(customer_id, document.document_id)
    assert (document.status, document.scan["verdict"], document.scan["engine"]) == ("received", "clean", "fake")
    assert [e.action for e in timeline(document.document_id)] == ["document.uploaded", "document.scan_clean"]
    url, _ = services.document_download_link(customer_id=customer_id, document_id=document.document_id,
                                             actor=Actor.from_user(reviewer))
    assert url
    assert services.document_verify(customer_id=customer_id, document_id=document.document_id,
                                    actor=Actor.from_user(reviewer)).status == "verified"


@pytest.mark.django_db
@pytest.mark.parametrize("build", [corpus.eicar_in_pdf_metadata, corpus.eicar_in_a_compressed_pdf_stream,
                                   corpus.eicar_in_a_png_text_chunk], ids=lambda b: b.__name__)
def test_an_infected_file_is_refused_when_the_scan_result_arrives_and_never_downloads(
        fake_scanner: None, customer_id: str, analyst: Any, reviewer: Any, build: Any) -> None:
    document = _upload(customer_id, analyst, build())
    assert document.status == "pending_scan"
    outbox_drain(group_key=customer_id)
    document = Document.get(customer_id, document.document_id)
    assert (document.status, document.scan["verdict"]) == ("infected", "infected")
    assert "malware" in document.status_reason
    events = timeline(document.document_id)
    assert [e.action for e in events] == ["document.uploaded", "document.scan_infected"]
    with pytest.raises(services.DomainError) as caught:
        services.document_download_link(customer_id=customer_id, document_id=document.document_id,
                                        actor=Actor.from_user(reviewer))
    assert (caught.value.status, caught.value.code) == (409, "malware_found")
    with pytest.raises(services.DomainError):
        services.document_verify(customer_id=customer_id, document_id=document.document_id,
                                 actor=Actor.from_user(reviewer))


@pytest.mark.django_db
def test_a_scan_result_that_has_not_arrived_is_retried_until_it_does(
        fake_scanner: None, customer_id: str, analyst: Any) -> None:
    from django.conf import settings

    from apps.core import aws
    from apps.core.outbox import outbox_process

    document = _upload(customer_id, analyst, files.pdf())
    s3 = aws.client("s3")
    s3.delete_object_tagging(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=document.s3_key,
                             VersionId=document.s3_version_id)  # the scanner has not finished
    [item] = outbox_for_group(group_key=customer_id, topic_prefix="documents.")
    with pytest.raises(services.ScanNotFinished):
        outbox_process(outbox_id=item.outbox_id)  # the worker's first try: retried with backoff
    [pending] = outbox_for_group(group_key=customer_id, topic_prefix="documents.")
    assert "not reported" in pending.last_error
    assert Document.get(customer_id, document.document_id).status == "pending_scan"
    s3.put_object_tagging(Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=document.s3_key, VersionId=document.s3_version_id,
                          Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": "NO_THREATS_FOUND"}]})
    assert outbox_process(outbox_id=item.outbox_id) == "done"
    assert Document.get(customer_id, document.document_id).status == "received"
    assert outbox_for_group(group_key=customer_id, topic_prefix="documents.") == []
    assert outbox_process(outbox_id=item.outbox_id) == "already done"  # a redelivery changes nothing
    assert [e.action for e in timeline(document.document_id)] == ["document.uploaded", "document.scan_clean"]


@pytest.mark.django_db
def test_a_scan_that_could_not_complete_refuses_the_file(fake_scanner: None, customer_id: str, analyst: Any) -> None:
    from django.conf import settings

    from apps.core import aws

    document = _upload(customer_id, analyst, files.pdf())
    aws.client("s3").put_object_tagging(
        Bucket=settings.CDD_DOCUMENTS_BUCKET, Key=document.s3_key, VersionId=document.s3_version_id,
        Tagging={"TagSet": [{"Key": "GuardDutyMalwareScanStatus", "Value": "UNSUPPORTED"}]})
    outbox_drain(group_key=customer_id)
    document = Document.get(customer_id, document.document_id)
    assert document.status == "rejected"
    assert "UNSUPPORTED" in document.status_reason


@pytest.mark.django_db
def test_a_presigned_upload_also_waits_for_its_scan_and_an_infected_one_is_refused(
        fake_scanner: None, customer_id: str, analyst: Any, client_for: Any) -> None:
    client = client_for(analyst)
    data = corpus.eicar_in_pdf_metadata()
    ticket = start(client, customer_id, data).json()
    arrive(ticket, data)
    response = complete(client, customer_id, ticket)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending_scan"
    outbox_drain(group_key=customer_id)
    assert Document.get(customer_id, response.json()["document_id"]).status == "infected"
    link = client.post(f"/api/v1/customers/{customer_id}/documents/{response.json()['document_id']}/download-link")
    assert link.status_code == 409
    assert link.json()["code"] == "malware_found"
    assert "status" in link.json()["errors"]


@pytest.mark.django_db
def test_the_review_file_is_refused_through_the_presigned_upload(customer_id: str, analyst: Any,
                                                                 client_for: Any) -> None:
    client = client_for(analyst)
    data = corpus.js_hidden_by_a_60000_element_trailer_array()
    ticket = start(client, customer_id, data).json()
    arrive(ticket, data)
    response = complete(client, customer_id, ticket)
    assert response.status_code == 422
    assert response.json()["code"] == "pdf_active_content"
    assert list(Document.query(customer_id)) == []


@pytest.mark.django_db
def test_without_a_scanner_a_document_is_received_and_says_it_was_not_scanned(
        settings: Any, customer_id: str, analyst: Any) -> None:
    settings.CDD_DOCUMENT_SCANNER = "none"
    document = _upload(customer_id, analyst, files.pdf())
    assert (document.status, document.scan["verdict"]) == ("received", "no-scan")
    from apps.documents.selectors import document_scan_label

    assert document_scan_label(document) == "not scanned for malware"
