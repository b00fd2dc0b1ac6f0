"""The hostile corpus (tests/documents/corpus.py) against the file checks and the whole upload flow.

A file counts as refused when the upload is answered with a 4xx error naming the file, or when the
malware scan ends with the document refused; it never becomes evidence a reviewer can open.
"""

from __future__ import annotations

import hashlib
import io
from typing import Any

import pytest

from apps.audit.actors import Actor
from apps.core.errors import DomainError
from apps.core.outbox import outbox_drain
from apps.documents import checks, services
from apps.documents.models import Document
from tests.documents import corpus

LIMIT = 50 * 1024 * 1024
SCANNER_FINDS = {"eicar_in_pdf_metadata", "eicar_in_a_compressed_pdf_stream", "eicar_in_a_png_text_chunk"}


def _check(data: bytes) -> checks.FileFacts:
    return checks.file_check(stream=io.BytesIO(data), max_bytes=LIMIT)


@pytest.mark.parametrize("sample", [s for s in corpus.MALICIOUS if s.name not in SCANNER_FINDS], ids=lambda s: s.name)
def test_the_checks_refuse_every_file_with_active_content_or_that_cannot_be_inspected(sample: corpus.Sample) -> None:
    with pytest.raises(checks.Rejection) as caught:
        _check(sample.build())
    assert caught.value.status in (413, 415, 422)
    assert caught.value.reason


@pytest.mark.parametrize("sample", corpus.BENIGN, ids=lambda s: s.name)
def test_the_checks_accept_ordinary_evidence(sample: corpus.Sample) -> None:
    data = sample.build()
    assert _check(data).sha256 == hashlib.sha256(data).hexdigest()


def test_the_review_file_is_refused_for_its_javascript_not_for_some_other_reason() -> None:
    with pytest.raises(checks.Rejection) as caught:
        _check(corpus.js_hidden_by_a_60000_element_trailer_array())
    assert caught.value.code == "pdf_active_content"
    assert "JavaScript" in caught.value.reason


def test_a_web_link_is_kept_on_record_and_other_link_schemes_are_refused() -> None:
    assert _check(corpus.pdf_with_a_web_link()).links == ("https://www.example-utility.co.uk/help",)
    for build in (corpus.uri_with_javascript_scheme, corpus.uri_to_a_local_file, corpus.uri_to_a_windows_share):
        with pytest.raises(checks.Rejection) as caught:
            _check(build())
        assert "link" in caught.value.reason


def test_a_pdf_too_large_to_walk_is_refused_not_half_inspected() -> None:
    with pytest.raises(checks.Rejection) as caught:
        checks.pdf_check(data=corpus.raw_pdf(corpus._pages(), trailer=b"/Pad [" + b"0 " * 60_000 + b"]"),
                         max_nodes=10_000)
    assert caught.value.code == "pdf_too_complex"


def _refused(*, customer_id: str, analyst: Any, sample: corpus.Sample) -> bool:
    """Upload ``sample`` as a user would; let the worker take the scan result; True if it was refused."""
    answer: tuple[int, bool] | None = None
    try:
        uploaded = services.document_upload(customer_id=customer_id, file=io.BytesIO(sample.build()),
                                            filename=sample.filename,
                                            meta=services.DocumentMeta(document_type="passport"),
                                            actor=Actor.from_user(analyst))
    except DomainError as error:
        answer = (error.status, bool(error.errors.get("file")))
    if answer is not None:
        assert 400 <= answer[0] < 500 and answer[1], sample.name  # a 4xx naming the file
        return True
    outbox_drain(group_key=customer_id)
    document = Document.get(customer_id, uploaded.document_id)
    if document.status == "infected":
        with pytest.raises(DomainError, match="malware"):
            services.document_download_link(customer_id=customer_id, document_id=document.document_id,
                                            actor=Actor.from_user(analyst))
        return True
    return False


@pytest.mark.django_db
def test_files_with_active_content_or_malware_refused_n_of_n(settings: Any, customer_id: str, analyst: Any,
                                                             capsys: Any) -> None:
    settings.CDD_DOCUMENT_SCANNER = "fake"
    refused = [s.name for s in corpus.MALICIOUS if _refused(customer_id=customer_id, analyst=analyst, sample=s)]
    accepted = [s.name for s in corpus.BENIGN if not _refused(customer_id=customer_id, analyst=analyst, sample=s)]
    with capsys.disabled():
        print(f"\nfiles with active content or malware refused {len(refused)}/{len(corpus.MALICIOUS)}; "
              f"ordinary evidence accepted {len(accepted)}/{len(corpus.BENIGN)}")
    assert sorted({s.name for s in corpus.MALICIOUS} - set(refused)) == []
    assert len(accepted) == len(corpus.BENIGN)
    assert len(corpus.MALICIOUS) >= 32


@pytest.mark.parametrize("build", [corpus.js_hidden_by_a_60000_element_trailer_array,
                                   corpus.js_in_a_compressed_object_stream, corpus.js_in_an_incremental_update],
                         ids=lambda b: b.__name__)
def test_the_parsed_walk_on_its_own_finds_the_javascript(build: Any) -> None:
    """Each pass stands on its own: the walk does not rely on the raw scan having seen the names."""
    from pypdf import PdfReader

    assert checks._pdf_walk(PdfReader(io.BytesIO(build()))) == "JavaScript"


def test_the_raw_scan_on_its_own_sees_past_strings_that_spell_stream() -> None:
    assert checks.pdf_raw_scan(corpus.js_hidden_by_a_60000_element_trailer_array()) == "JavaScript"
    assert checks.pdf_raw_scan(corpus.js_in_strings_spelling_stream()) == "JavaScript"
    assert checks.pdf_raw_scan(corpus.pdf_with_binary_image_bytes_spelling_names()) is None
