"""Checks every uploaded file passes before it becomes evidence: pure functions on bytes and streams.

No Django, no I/O beyond the stream handed in. The type of a file is what its bytes say it is
(magic numbers), never its name or the Content-Type a client sent. Rejections carry a stable
``code``, the HTTP status the API answers with, and a reason a person can act on.

What is refused, and why:

* executables (PE, ELF, Mach-O, scripts with a shebang) and archives (zip, rar, 7z, gzip, bzip2,
  xz, tar, cab) -- evidence is a document or an image, never a container of other files;
* polyglots: a file that is a valid PDF or image and *also* something else a tool would open
  (a zip end-of-central-directory near its end, an embedded PE or ELF header, a rar/7z header);
* PDFs that are encrypted (we could not check or read them later) or that carry active content
  (JavaScript, OpenAction, Launch, additional actions, embedded files, rich media);
* anything whose size or SHA-256 differs from what the uploader declared.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

CHUNK = 1024 * 1024

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
DEFAULT_ALLOWED = (PDF, JPEG, PNG, TIFF)

# (signature, offset, name)
_DOCUMENT_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"%PDF-", 0, PDF),
    (b"\xff\xd8\xff", 0, JPEG),
    (b"\x89PNG\r\n\x1a\n", 0, PNG),
    (b"II*\x00", 0, TIFF),
    (b"MM\x00*", 0, TIFF),
)
_EXECUTABLE_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"MZ", 0, "a Windows executable (PE)"),
    (b"\x7fELF", 0, "a Linux executable (ELF)"),
    (b"\xfe\xed\xfa\xce", 0, "a macOS executable (Mach-O)"),
    (b"\xfe\xed\xfa\xcf", 0, "a macOS executable (Mach-O)"),
    (b"\xce\xfa\xed\xfe", 0, "a macOS executable (Mach-O)"),
    (b"\xcf\xfa\xed\xfe", 0, "a macOS executable (Mach-O)"),
    (b"\xca\xfe\xba\xbe", 0, "a macOS universal executable (Mach-O) or Java class"),
    (b"#!", 0, "a script (shebang)"),
)
_ARCHIVE_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"PK\x03\x04", 0, "a zip archive (or an Office/OpenDocument file)"),
    (b"PK\x05\x06", 0, "an empty zip archive"),
    (b"PK\x07\x08", 0, "a spanned zip archive"),
    (b"Rar!\x1a\x07", 0, "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", 0, "a 7-Zip archive"),
    (b"\x1f\x8b", 0, "a gzip archive"),
    (b"BZh", 0, "a bzip2 archive"),
    (b"\xfd7zXZ\x00", 0, "an xz archive"),
    (b"MSCF", 0, "a cabinet archive"),
    (b"ustar", 257, "a tar archive"),
)
# Headers that, found inside a document, make it something else too.
_EMBEDDED_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
)
_ELF_EMBEDDED = re.compile(rb"\x7fELF[\x01\x02][\x01\x02]\x01")
_PE_STUB = re.compile(rb"MZ")
ZIP_EOCD = b"PK\x05\x06"
ZIP_CENTRAL = b"PK\x01\x02"
ZIP_TAIL = 65535 + 22  # a zip reader looks for its end record in the last 64 KiB + 22 bytes

# PDF names that mean active content. Matched after decoding #xx escapes (/J#61vaScript).
PDF_ACTIVE_NAMES = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/OpenAction": "an action run on opening (OpenAction)",
    "/Launch": "a Launch action (runs a program)",
    "/AA": "additional actions (AA)",
    "/EmbeddedFile": "embedded files",
    "/EmbeddedFiles": "embedded files",
    "/RichMedia": "rich media (Flash)",
    "/XFA": "an XFA form",
}
_PDF_NAME = re.compile(rb"/[A-Za-z0-9#_.\-]+")


@dataclass(frozen=True)
class Rejection(Exception):
    """A file the platform will not accept: ``status`` is the HTTP answer, ``code`` is stable."""

    code: str
    status: int
    reason: str

    def __str__(self) -> str:
        return self.reason


@dataclass(frozen=True)
class FileFacts:
    """What the checks established about an accepted file."""

    content_type: str
    size: int
    sha256: str


def sniff(head: bytes) -> tuple[str, str]:
    """Classify the first bytes of a file: ``("document", mime)``, ``("executable"|"archive", what)`` or ``("unknown", "")``."""
    for magic, offset, what in _EXECUTABLE_MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return "executable", what
    for magic, offset, what in _ARCHIVE_MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return "archive", what
    for magic, offset, mime in _DOCUMENT_MAGIC:
        if head[offset:offset + len(magic)] == magic:
            return "document", mime
    return "unknown", ""


def content_type_detect(head: bytes) -> str | None:
    """The MIME type of an accepted document kind, by magic bytes; None for anything else."""
    kind, what = sniff(head)
    return what if kind == "document" else None


def size_check(*, size: int, max_bytes: int, declared: int | None = None) -> None:
    if size == 0:
        raise Rejection("empty_file", 422, "The file is empty.")
    if size > max_bytes:
        raise Rejection("too_large", 413, f"The file is {size} bytes; the limit is {max_bytes} bytes.")
    if declared is not None and declared != size:
        raise Rejection("size_mismatch", 422, f"The upload declared {declared} bytes but {size} bytes arrived.")


def type_check(*, head: bytes, allowed: Iterable[str]) -> str:
    """The detected MIME type, if it is one of ``allowed``; else a 415 naming what the file is."""
    kind, what = sniff(head)
    allowed = tuple(allowed)
    if kind == "executable":
        raise Rejection("executable", 415, f"The file is {what}; executables are never accepted.")
    if kind == "archive":
        raise Rejection("archive", 415, f"The file is {what}; upload the document itself, not an archive.")
    if kind == "unknown":
        raise Rejection("unsupported_type", 415,
                        f"The file's content is not a recognised document type; accepted: {', '.join(allowed)}.")
    if what not in allowed:
        raise Rejection("unsupported_type", 415, f"The file is {what}; accepted: {', '.join(allowed)}.")
    return what


def _pe_embedded(data: bytes) -> bool:
    """An ``MZ`` stub whose e_lfanew points at a ``PE\\0\\0`` signature (a real PE, not two letters)."""
    for match in _PE_STUB.finditer(data):
        start = match.start()
        if start + 0x40 > len(data):
            break
        lfanew = int.from_bytes(data[start + 0x3C:start + 0x40], "little")
        if 0 < lfanew < 4096 and data[start + lfanew:start + lfanew + 4] == b"PE\x00\x00":
            return True
    return False


def polyglot_check(*, data: bytes, content_type: str) -> None:
    """Refuse a document that is also an archive or an executable."""
    tail = data[-ZIP_TAIL:]
    if ZIP_EOCD in tail or (ZIP_CENTRAL in data and ZIP_EOCD in data):
        raise Rejection("polyglot", 422,
                        f"The file is a {content_type} that also contains a zip archive; upload a plain document.")
    if _pe_embedded(data):
        raise Rejection("polyglot", 422,
                        f"The file is a {content_type} that also contains a Windows executable.")
    if _ELF_EMBEDDED.search(data):
        raise Rejection("polyglot", 422, f"The file is a {content_type} that also contains a Linux executable.")
    for magic, what in _EMBEDDED_MAGIC:
        if magic in data:
            raise Rejection("polyglot", 422, f"The file is a {content_type} that also contains {what}.")


def _pdf_name_decode(raw: bytes) -> str:
    text = raw.decode("latin-1")
    return re.sub(r"#([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


_PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.DOTALL)


def pdf_raw_scan(data: bytes) -> str | None:
    """The first active-content name found in the raw bytes (escapes decoded), or None.

    Stream bodies are skipped: they are binary (images, fonts, compressed content) where
    ``/JS`` appears by chance; dictionaries packed inside object streams are seen by the
    parsed walk (``_pdf_walk``) instead.
    """
    for match in _PDF_NAME.finditer(_PDF_STREAM.sub(b"stream endstream", data)):
        name = _pdf_name_decode(match.group(0))
        if name in PDF_ACTIVE_NAMES:
            return PDF_ACTIVE_NAMES[name]
    return None


def _pdf_walk(reader: object, limit: int = 50_000) -> str | None:
    """Walk every object reachable from the trailer (object streams included) for active names."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    seen: set[tuple[int, int]] = set()
    stack: list[object] = [reader.trailer]  # type: ignore[attr-defined]
    visited = 0
    while stack and visited < limit:
        node = stack.pop()
        visited += 1
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                continue
            seen.add(key)
            node = node.get_object()
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in PDF_ACTIVE_NAMES:
                    return PDF_ACTIVE_NAMES[name]
                if name == "/S" and value in ("/JavaScript", "/Launch"):
                    return PDF_ACTIVE_NAMES[str(value)]
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
    return None


def pdf_check(*, data: bytes) -> None:
    """Refuse encrypted PDFs, PDFs pypdf cannot read, and PDFs carrying active content."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if b"/Encrypt" in data:
        raise Rejection("pdf_encrypted", 422,
                        "The PDF is encrypted or password-protected; upload an unprotected copy.")
    found = pdf_raw_scan(data)
    if found:
        raise Rejection("pdf_active_content", 422, f"The PDF carries {found}; upload a plain (printed-to-PDF) copy.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Rejection("pdf_encrypted", 422,
                            "The PDF is encrypted or password-protected; upload an unprotected copy.")
        if len(reader.pages) == 0:
            raise Rejection("pdf_damaged", 422, "The PDF has no pages.")
        found = _pdf_walk(reader)
    except Rejection:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        raise Rejection("pdf_damaged", 422, f"The PDF cannot be read ({type(exc).__name__}); upload a valid copy.") from exc
    if found:
        raise Rejection("pdf_active_content", 422, f"The PDF carries {found}; upload a plain (printed-to-PDF) copy.")


def digest_read(stream: IO[bytes]) -> tuple[bytes, int, str]:
    """Read a stream from its start: (content, size, sha256 hex)."""
    stream.seek(0)
    sha = hashlib.sha256()
    parts = []
    while chunk := stream.read(CHUNK):
        sha.update(chunk)
        parts.append(chunk)
    stream.seek(0)
    data = b"".join(parts)
    return data, len(data), sha.hexdigest()


def file_check(*, stream: IO[bytes], max_bytes: int, allowed: Iterable[str] = DEFAULT_ALLOWED,
               declared_size: int | None = None, declared_sha256: str | None = None) -> FileFacts:
    """Every check in order; returns the facts of an accepted file or raises ``Rejection``.

    The stream is read whole (the PDF parser and the polyglot scan need all of it); callers
    bound its size before (Django spools uploads to disk, the completion step checks the
    object's length first).
    """
    data, size, sha256 = digest_read(stream)
    size_check(size=size, max_bytes=max_bytes, declared=declared_size)
    if declared_sha256 is not None and declared_sha256.lower() != sha256:
        raise Rejection("checksum_mismatch", 422,
                        f"The SHA-256 of what arrived ({sha256}) differs from the one declared ({declared_sha256.lower()}).")
    content_type = type_check(head=data[:512], allowed=allowed)
    polyglot_check(data=data, content_type=content_type)
    if content_type == PDF:
        pdf_check(data=data)
    return FileFacts(content_type=content_type, size=size, sha256=sha256)
