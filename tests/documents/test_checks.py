"""The file checks on real bytes: what is accepted, and each refusal with its reason."""

from __future__ import annotations

import hashlib
import io

import pytest

from apps.documents import checks
from tests.documents import files

LIMIT = 5 * 1024 * 1024


def check(data: bytes, **kwargs: object) -> checks.FileFacts:
    return checks.file_check(stream=io.BytesIO(data), max_bytes=kwargs.pop("max_bytes", LIMIT), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(("make", "mime"), [
    (files.pdf, "application/pdf"), (files.png, "image/png"), (files.jpeg, "image/jpeg"), (files.tiff, "image/tiff"),
])
def test_it_accepts_a_valid_pdf_and_images_with_their_type_from_the_bytes(make: object, mime: str) -> None:
    data = make()  # type: ignore[operator]
    facts = check(data, declared_sha256=hashlib.sha256(data).hexdigest(), declared_size=len(data))
    assert facts == checks.FileFacts(content_type=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest())


@pytest.mark.parametrize(("make", "what"), [
    (files.elf, "Linux executable"), (files.pe, "Windows executable"), (files.shell_script, "script"),
    (lambda: b"\xcf\xfa\xed\xfe" + b"\x00" * 64, "macOS executable"),
])
def test_it_refuses_executables_whatever_they_are_named(make: object, what: str) -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(make())  # type: ignore[operator]
    assert (caught.value.code, caught.value.status) == ("executable", 415)
    assert what in caught.value.reason


@pytest.mark.parametrize(("data", "what"), [
    (files.zip_archive(), "zip"), (b"\x1f\x8b\x08\x00" + b"\x00" * 20, "gzip"),
    (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 20, "RAR"), (b"7z\xbc\xaf\x27\x1c" + b"\x00" * 20, "7-Zip"),
])
def test_it_refuses_archives(data: bytes, what: str) -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(data)
    assert (caught.value.code, caught.value.status) == ("archive", 415)
    assert what in caught.value.reason


def test_it_refuses_a_png_that_is_also_a_zip() -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(files.png_zip_polyglot())
    assert (caught.value.code, caught.value.status) == ("polyglot", 422)
    assert "zip" in caught.value.reason


def test_it_refuses_a_pdf_carrying_a_windows_executable() -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(files.pdf_with_pe())
    assert caught.value.code == "polyglot"
    assert "Windows executable" in caught.value.reason


def test_it_refuses_a_pdf_with_javascript() -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(files.pdf_with_javascript())
    assert (caught.value.code, caught.value.status) == ("pdf_active_content", 422)
    assert "JavaScript" in caught.value.reason


def test_it_sees_through_hex_escaped_pdf_names() -> None:
    data = files.pdf().replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >>")
    with pytest.raises(checks.Rejection) as caught:
        check(data)
    assert caught.value.code == "pdf_active_content"


def test_the_parsed_pdf_walk_finds_javascript_behind_an_annotation() -> None:
    from pypdf import PdfReader

    data = files.pdf_with_annotation_javascript()
    assert checks._pdf_walk(PdfReader(io.BytesIO(data))) == "JavaScript"
    assert checks._pdf_walk(PdfReader(io.BytesIO(files.pdf()))) is None


def test_it_refuses_an_encrypted_pdf() -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(files.pdf_encrypted())
    assert (caught.value.code, caught.value.status) == ("pdf_encrypted", 422)
    assert "password" in caught.value.reason


def test_it_refuses_a_file_over_the_limit_with_413() -> None:
    data = files.pdf(padding=3000)
    with pytest.raises(checks.Rejection) as caught:
        check(data, max_bytes=2000)
    assert (caught.value.code, caught.value.status) == ("too_large", 413)
    assert f"{len(data)} bytes; the limit is 2000" in caught.value.reason


def test_it_refuses_a_file_whose_checksum_differs_from_the_declared_one() -> None:
    data = files.pdf()
    declared = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(checks.Rejection) as caught:
        check(data, declared_sha256=declared)
    assert (caught.value.code, caught.value.status) == ("checksum_mismatch", 422)
    assert declared in caught.value.reason


def test_it_refuses_an_empty_file_and_text_posing_as_a_pdf() -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(b"")
    assert caught.value.code == "empty_file"
    with pytest.raises(checks.Rejection) as caught:
        check(b"Dear bank, here is my passport number")
    assert (caught.value.code, caught.value.status) == ("unsupported_type", 415)


def test_it_refuses_a_valid_type_that_is_not_allowed_by_the_setting() -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(files.tiff(), allowed=("application/pdf",))
    assert caught.value.code == "unsupported_type"
    assert "image/tiff" in caught.value.reason


def test_a_damaged_pdf_is_refused_not_crashed_on() -> None:
    with pytest.raises(checks.Rejection) as caught:
        check(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage")
    assert caught.value.code == "pdf_damaged"


def test_binary_stream_data_that_happens_to_spell_js_is_not_mistaken_for_javascript() -> None:
    image = b"\x00\x01/JS\x00/AA /OpenAction\xff" * 100
    data = files.pdf().replace(b"%%EOF", b"5 0 obj\n<< /Length %d >>\nstream\n" % len(image) + image
                               + b"\nendstream\nendobj\n%%EOF")
    assert checks.pdf_raw_scan(data) is None
