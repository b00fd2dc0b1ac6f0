"""Checks every uploaded file passes before it becomes evidence: pure functions on bytes and streams.

No Django, no I/O beyond the stream handed in. The type of a file is what its bytes say it is
(magic numbers), never its name or the Content-Type a client sent. Rejections carry a stable
``code``, the HTTP status the API answers with, and a reason a person can act on.

What is refused, and why:

* executables (PE, ELF, Mach-O, scripts with a shebang) and archives (zip, rar, 7z, gzip, bzip2,
  xz, tar, cab) -- evidence is a document or an image, never a container of other files;
* polyglots: a file that is a valid PDF or image and *also* something else a tool would open
  (a zip end-of-central-directory near its end, an embedded PE or ELF header, a rar/7z header),
  and images or PDFs with bytes after their end (a PNG after ``IEND``, a JPEG after ``EOI``, a PDF
  after its last ``%%EOF``): nothing a viewer shows lives there;
* anything whose size or SHA-256 differs from what the uploader declared.

PDFs, by policy (KYC evidence is a scan or a printed statement; it needs no active content):

* refused: JavaScript (``/JS``, ``/JavaScript``, ``/S /JavaScript``), additional actions (``/AA``),
  Launch, SubmitForm, ImportData, GoToR/GoToE/GoToDp (open another or an embedded file),
  Rendition/Movie/Sound/RichMediaExecute/GoTo3DView and any action type the PDF standard does not
  name; Named actions other than page navigation; embedded files (``/EmbeddedFiles``, ``/EF``,
  ``/Type /EmbeddedFile``, file-attachment annotations); XFA forms; rich media, 3D, screen, movie
  and sound annotations;
* refused because they cannot be fully inspected (the check fails closed): encrypted PDFs (also
  with an empty password), PDFs pypdf cannot parse, truncated ones (no ``%%EOF`` at the end), an
  unterminated string or stream, and PDFs with more objects than ``max_nodes``;
* allowed: ``/OpenAction`` that is a destination (open at page 1: LibreOffice and scanners write it)
  or a GoTo, GoTo/Thread/Hide/SetOCGState/Trans actions, AcroForm fields without actions, and
  ``/URI`` links with an ``http``, ``https`` or ``mailto`` scheme -- bank statements and utility
  bills carry such links. They are recorded (``FileFacts.links``, stored on the document) so a
  reviewer sees them; any other scheme (``javascript:``, ``file:``, UNC ``\\\\host`` paths that
  leak Windows credentials, ``smb:``) is refused.

Two independent passes look for all of this: a lexer over the raw bytes that skips what is
really a string, a comment or a stream body (so ``(stream)`` in a string cannot hide what follows),
and a walk over every object pypdf can reach -- from the trailer and from every cross-reference
entry, object streams included -- that never stops early: past ``max_nodes`` it refuses the file.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlparse

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
    links: tuple[str, ...] = field(default=())  # web links (URI actions) found in a PDF, kept on record


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


# --- images: nothing after the end ------------------------------------------------------------------


def _trailing(what: str, extra: int) -> Rejection:
    return Rejection("trailing_data", 422, f"The {what} has {extra} bytes after its end, where no viewer looks; "
                                           "upload the image itself.")


def png_check(*, data: bytes) -> None:
    """Walk the chunks to ``IEND``; refuse a truncated PNG or bytes after it."""
    offset = 8
    while True:
        if offset + 12 > len(data):
            raise Rejection("image_damaged", 422, "The PNG is truncated (it has no IEND chunk).")
        length = int.from_bytes(data[offset:offset + 4], "big")
        kind = data[offset + 4:offset + 8]
        offset += 12 + length
        if kind == b"IEND":
            break
    if offset != len(data):
        raise _trailing("PNG", len(data) - offset)


_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}


def jpeg_check(*, data: bytes) -> None:
    """Follow the segments and entropy-coded scans to ``EOI``; refuse a truncated JPEG or bytes after it."""
    offset = 2
    size = len(data)
    while offset < size:
        if data[offset] != 0xFF:
            raise Rejection("image_damaged", 422, "The JPEG is damaged (a segment does not start with a marker).")
        marker = data[offset + 1] if offset + 1 < size else None
        if marker is None:
            break
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker == 0xD9:  # EOI
            end = offset + 2
            if data[end:].strip(b"\x00"):
                raise _trailing("JPEG", size - end)
            return
        if marker in _JPEG_STANDALONE:
            offset += 2
            continue
        length = int.from_bytes(data[offset + 2:offset + 4], "big")
        offset += 2 + length
        if marker == 0xDA:  # start of scan: entropy-coded data up to the next marker that is not a stuffed byte or RST
            while offset < size - 1:
                if data[offset] == 0xFF and data[offset + 1] not in (0x00, *range(0xD0, 0xD8)):
                    break
                offset += 1
            else:
                offset = size
    raise Rejection("image_damaged", 422, "The JPEG is truncated (it has no end-of-image marker).")


# --- PDF --------------------------------------------------------------------------------------------

PDF_MAX_NODES = 2_000_000  # objects, dictionary entries and array items walked; beyond it the file is refused

# Keys whose presence anywhere means active or embedded content.
PDF_REFUSED_KEYS = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/AA": "additional actions (AA: actions run when a page or field is opened, closed or changed)",
    "/EmbeddedFiles": "embedded files",
    "/EF": "an embedded file",
    "/XFA": "an XFA form",
    "/RichMediaContent": "rich media",
    "/RichMediaSettings": "rich media",
}
# Action types (``/S``) refused wherever they appear.
PDF_REFUSED_ACTIONS = {
    "/JavaScript": "JavaScript",
    "/Launch": "a Launch action (runs a program)",
    "/SubmitForm": "a SubmitForm action (sends form data to a server)",
    "/ImportData": "an ImportData action (reads another file)",
    "/GoToR": "a link into another file (GoToR)",
    "/GoToE": "a link into an embedded file (GoToE)",
    "/GoToDp": "a link into another document part (GoToDp)",
    "/Rendition": "a Rendition action (plays media)",
    "/Movie": "a Movie action",
    "/Sound": "a Sound action",
    "/RichMediaExecute": "rich media",
    "/GoTo3DView": "3D content",
}
PDF_ALLOWED_ACTIONS = {"/GoTo", "/URI", "/Named", "/Thread", "/Hide", "/SetOCGState", "/Trans", "/ResetForm"}
PDF_NAVIGATION = {"/NextPage", "/PrevPage", "/FirstPage", "/LastPage"}
# ``/Subtype`` (annotations) and ``/Type`` values refused.
PDF_REFUSED_SUBTYPES = {
    "/RichMedia": "rich media (Flash, video)",
    "/FileAttachment": "a file attachment",
    "/Movie": "a movie",
    "/Sound": "a sound",
    "/Screen": "a media screen",
    "/3D": "3D content",
    "/EmbeddedFile": "an embedded file",
}
# Keys whose value is an action (a definite action dictionary, or an array of them for /Next).
_ACTION_KEYS = {"/A", "/OpenAction", "/Next"}
URI_SCHEMES = ("http", "https", "mailto")
# Names refused when they appear anywhere outside strings and streams in the raw bytes (also in objects
# no reference reaches, which a viewer rebuilding a damaged file may still use).
PDF_RAW_REFUSED = {**PDF_REFUSED_KEYS, **PDF_REFUSED_ACTIONS, "/RichMedia": "rich media (Flash, video)",
                   "/FileAttachment": "a file attachment", "/EmbeddedFile": "an embedded file"}
for _ambiguous in ("/Movie", "/Sound"):  # also harmless dictionary keys in some producers' output
    PDF_RAW_REFUSED.pop(_ambiguous, None)

_PDF_NAME = re.compile(rb"/[^\s/\[\]()<>{}%\x00]*")
_PDF_INTERESTING = re.compile(rb"[%(<>/]")
_PDF_STRING_PART = re.compile(rb"[()\\]")
_PDF_STREAM_START = re.compile(rb"\s*stream(?:\r\n|\n|\r)")
_PDF_EOL = re.compile(rb"[\r\n]")
_PDF_TAIL_WHITESPACE = b" \t\r\n\x00\x0c"


def _active(found: str) -> Rejection:
    return Rejection("pdf_active_content", 422, f"The PDF carries {found}; upload a plain (printed-to-PDF) copy.")


def _damaged(why: str) -> Rejection:
    return Rejection("pdf_damaged", 422, f"The PDF cannot be read ({why}); upload a valid copy.")


def _pdf_name_decode(raw: bytes) -> str:
    text = raw.decode("latin-1")
    return re.sub(r"#([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)


def pdf_raw_names(data: bytes) -> Iterator[str]:
    """Every name token of the file outside strings, comments and stream bodies (``#xx`` decoded).

    A stream body runs from ``stream`` after a dictionary to the first ``endstream`` -- never shorter
    than what a viewer takes, so nothing a viewer parses as an object is skipped. An unterminated
    string, hex string or stream is refused: the rest of the file could not be told apart.
    """
    position, size = 0, len(data)
    while True:
        match = _PDF_INTERESTING.search(data, position)
        if match is None:
            return
        position = match.start()
        char = data[position]
        if char == 0x25:  # % comment, to the end of the line
            eol = _PDF_EOL.search(data, position)
            position = eol.end() if eol else size
        elif char == 0x28:  # ( literal string, nested parentheses, backslash escapes
            depth, position = 1, position + 1
            while depth:
                part = _PDF_STRING_PART.search(data, position)
                if part is None:
                    raise _damaged("a string is never closed")
                position = part.end()
                if part.group() == b"\\":
                    position += 1
                else:
                    depth += 1 if part.group() == b"(" else -1
        elif char == 0x3C:  # << or <hex>
            if data[position + 1:position + 2] == b"<":
                position += 2
            else:
                end = data.find(b">", position)
                if end < 0:
                    raise _damaged("a hex string is never closed")
                position = end + 1
        elif char == 0x3E:  # >> possibly followed by a stream
            position += 1
            if data[position:position + 1] == b">":
                position += 1
                stream = _PDF_STREAM_START.match(data, position)
                if stream:
                    end = data.find(b"endstream", stream.end())
                    if end < 0:
                        raise _damaged("a stream never ends (the file is truncated?)")
                    position = end + len(b"endstream")
        else:  # a name
            name = _PDF_NAME.match(data, position)
            assert name is not None
            position = name.end()
            yield _pdf_name_decode(name.group())


def pdf_raw_scan(data: bytes) -> str | None:
    """What the first refused name outside strings and streams means, or None."""
    for name in pdf_raw_names(data):
        if name in PDF_RAW_REFUSED:
            return PDF_RAW_REFUSED[name]
    return None


def _uri_refusal(uri: object, links: list[str]) -> str | None:
    """Why a link is refused, or None (and it is recorded in ``links``)."""
    text = str(uri).strip()
    scheme = urlparse(text).scheme.lower() if "://" in text or text.lower().startswith("mailto:") else ""
    if scheme not in URI_SCHEMES or text.startswith("\\\\"):
        shown = text[:60] + ("…" if len(text) > 60 else "")
        return f"a link that is not a web or mail link ({shown!r}); only http, https and mailto links are accepted"
    links.append(text)
    return None


def _action_refusal(action: Any) -> str | None:
    """Why a dictionary used as an action is refused (its type is not one we allow), or None."""
    from pypdf.generic import DictionaryObject

    if not isinstance(action, DictionaryObject):
        return None
    kind = str(action.get("/S", ""))
    if kind in PDF_REFUSED_ACTIONS:
        return PDF_REFUSED_ACTIONS[kind]
    if kind not in PDF_ALLOWED_ACTIONS:
        return f"an action of a type we do not accept ({kind or 'none given'})"
    if kind == "/Named" and str(action.get("/N", "")) not in PDF_NAVIGATION:
        return f"a Named action that is not page navigation ({action.get('/N')})"
    return None


def _pdf_walk(reader: Any, *, max_nodes: int = PDF_MAX_NODES, links: list[str] | None = None) -> str | None:
    """Walk the trailer and every object in the cross-reference data; the first refused content, or None.

    Iterative (deep nesting cannot exhaust the stack) and complete: it returns only after every node
    was seen, and refuses the file (``pdf_too_complex``) rather than stop early.
    """
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

    links = links if links is not None else []
    roots: list[Any] = [reader.trailer]
    for generation, numbers in reader.xref.items():
        roots.extend(IndirectObject(number, generation, reader) for number in numbers)
    roots.extend(IndirectObject(number, 0, reader) for number in reader.xref_objStm)
    seen: set[tuple[int, int]] = set()
    stack: list[tuple[Any, bool]] = [(root, False) for root in reversed(roots)]
    visited = 0
    while stack:
        node, is_action = stack.pop()
        visited += 1
        if visited > max_nodes:
            raise Rejection("pdf_too_complex", 422,
                            f"The PDF has more than {max_nodes} objects and values; it cannot be fully inspected. "
                            "Upload a simpler copy (print it to PDF).")
        if isinstance(node, IndirectObject):
            key = (node.idnum, node.generation)
            if key in seen:
                if is_action and (refused := _action_refusal(node.get_object())):
                    return refused
                continue
            seen.add(key)
            node = node.get_object()
        if is_action and (refused := _action_refusal(node)):
            return refused
        if isinstance(node, DictionaryObject):
            for name, value in node.items():
                if name in PDF_REFUSED_KEYS:
                    return PDF_REFUSED_KEYS[name]
                if name == "/S" and str(value) in PDF_REFUSED_ACTIONS:
                    return PDF_REFUSED_ACTIONS[str(value)]
                if name in ("/Subtype", "/Type") and str(value) in PDF_REFUSED_SUBTYPES:
                    return PDF_REFUSED_SUBTYPES[str(value)]
                if name == "/URI" and str(node.get("/S", "")) == "/URI" and (refused := _uri_refusal(
                        value.get_object() if isinstance(value, IndirectObject) else value, links)):
                    return refused
                action = name in _ACTION_KEYS and not (name == "/OpenAction" and isinstance(
                    value.get_object() if isinstance(value, IndirectObject) else value, ArrayObject))
                stack.append((value, action and name != "/Next"))
                if name == "/Next" and isinstance(value, ArrayObject):
                    stack.extend((item, True) for item in value)
                elif name == "/Next":
                    stack.append((value, True))
        elif isinstance(node, ArrayObject):
            stack.extend((item, False) for item in node)
    return None


def pdf_check(*, data: bytes, max_nodes: int = PDF_MAX_NODES) -> tuple[str, ...]:
    """Refuse a PDF that is encrypted, damaged, truncated or carries active content; the web links it holds."""
    from pypdf import PdfReader
    from pypdf.errors import LimitReachedError, PyPdfError

    if b"/Encrypt" in data:
        raise Rejection("pdf_encrypted", 422,
                        "The PDF is encrypted or password-protected; upload an unprotected copy.")
    end = data.rfind(b"%%EOF")
    if end < 0:
        raise _damaged("it has no end marker: the file is truncated")
    extra = data[end + 5:].strip(_PDF_TAIL_WHITESPACE)
    if extra:
        raise Rejection("trailing_data", 422, f"The PDF has {len(extra)} bytes after its end (%%EOF), where no "
                                              "viewer looks; upload the document itself.")
    found = pdf_raw_scan(data)
    if found:
        raise _active(found)
    links: list[str] = []
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise Rejection("pdf_encrypted", 422,
                            "The PDF is encrypted or password-protected; upload an unprotected copy.")
        if len(reader.pages) == 0:
            raise Rejection("pdf_damaged", 422, "The PDF has no pages.")
        found = _pdf_walk(reader, max_nodes=max_nodes, links=links)
    except Rejection:
        raise
    except LimitReachedError as exc:  # pypdf's own parsing budget: the file is bigger than it will read
        raise Rejection("pdf_too_complex", 422, f"The PDF is beyond what the parser reads ({exc}); it cannot be "
                                                "fully inspected. Upload a simpler copy (print it to PDF).") from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError,
            AssertionError, OSError, OverflowError, MemoryError, NotImplementedError) as exc:
        # Whatever pypdf cannot read, it cannot vouch for: fail closed.
        raise _damaged(type(exc).__name__) from exc
    if found:
        raise _active(found)
    return tuple(dict.fromkeys(links))


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
    links: tuple[str, ...] = ()
    if content_type == PDF:
        links = pdf_check(data=data)
    elif content_type == PNG:
        png_check(data=data)
    elif content_type == JPEG:
        jpeg_check(data=data)
    return FileFacts(content_type=content_type, size=size, sha256=sha256, links=links)
