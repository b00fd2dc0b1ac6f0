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
    settings.CDD_DOCUMENTS_CLAMD_URL = f"tcp://127.0.0.1:{port}"
    with pytest.raises(ServiceUnavailable, match="did not answer"):
        services.document_upload(customer_id=customer_id, file=io.BytesIO(files.png()), filename="a.png",
                                 meta=services.DocumentMeta(document_type="passport"), actor=Actor.from_user(analyst))
    assert list(Document.query(customer_id)) == []
