"""The malware-scan step behind one interface, chosen by ``CDD_DOCUMENT_SCANNER``.

* ``guardduty`` (AWS): Amazon GuardDuty Malware Protection for S3 scans every object version
  written under ``customers/`` and tags it ``GuardDutyMalwareScanStatus`` = ``NO_THREATS_FOUND``,
  ``THREATS_FOUND``, ``UNSUPPORTED``, ``ACCESS_DENIED`` or ``FAILED``
  (deploy/terraform/modules/data/malware_protection.tf). The upload records the document as
  ``pending_scan`` with an outbox item; the worker reads the tag of that exact version and records
  the result, retrying until it is there. The tag, not the EventBridge event, is read because it is
  durable and sits on the object version itself: a result cannot be lost with a missed event or a
  stopped worker, reading it is idempotent, and it needs no second consumer of raw (non-Celery)
  messages. The bucket policy refuses reads of document objects not tagged ``NO_THREATS_FOUND``.
* ``fake`` (local runs, tests): a stand-in for GuardDuty that reads the stored object, finds the
  EICAR test string anywhere in it (also inside compressed PDF streams) and writes the same tag;
  the worker then takes the result through the same path as in AWS.
* ``clamd``: a ClamAV daemon at ``CDD_DOCUMENTS_CLAMD_URL`` scans during the upload; a
  configured daemon that cannot be reached fails closed (503).
* ``none``: nothing is scanned; the verdict ``no-scan`` is stored on the document and every screen
  says "not scanned for malware", so nobody mistakes an unscanned file for a clean one.
"""

from __future__ import annotations

import re
import socket
import struct
import zlib
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CLEAN = "clean"
INFECTED = "infected"
NO_SCAN = "no-scan"
PENDING = "pending"  # an asynchronous scanner has the file; its result has not been read yet
FAILED = "failed"  # the scanner could not scan the file: treated as not clean

SCAN_TAG = "GuardDutyMalwareScanStatus"
TAG_VERDICTS = {"NO_THREATS_FOUND": CLEAN, "THREATS_FOUND": INFECTED, "UNSUPPORTED": FAILED,
                "ACCESS_DENIED": FAILED, "FAILED": FAILED}
# The EICAR anti-virus test file, put together so that this module is not itself reported by a scanner.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS" + b"-TEST-FILE!$H+H*"


@dataclass(frozen=True)
class ScanVerdict:
    engine: str
    verdict: str  # clean | infected | no-scan | pending | failed
    signature: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"engine": self.engine, "verdict": self.verdict, "signature": self.signature}


class ScannerUnavailable(Exception):
    """The configured scanner did not answer."""


class Scanner(Protocol):
    engine: str

    def scan(self, data: bytes) -> ScanVerdict:
        """At upload, before the file is stored: a final verdict, or ``pending`` for an asynchronous scanner."""

    def submit(self, *, key: str, version_id: str | None) -> None:
        """After the file is stored, for an asynchronous scanner (GuardDuty starts on its own)."""

    def result(self, *, key: str, version_id: str | None) -> ScanVerdict | None:
        """The verdict an asynchronous scanner reported on that object version; None while it has not."""


class _Synchronous:
    engine = "none"

    def submit(self, *, key: str, version_id: str | None) -> None:
        return None

    def result(self, *, key: str, version_id: str | None) -> ScanVerdict | None:
        raise NotImplementedError(f"the {self.engine} scanner answers during the upload")


class NoScanScanner(_Synchronous):
    """Used when no scanner is configured: records that nothing was scanned."""

    engine = "none"

    def scan(self, data: bytes) -> ScanVerdict:
        return ScanVerdict(engine="none", verdict=NO_SCAN)


class _TaggedObjectResult:
    """The result is the ``GuardDutyMalwareScanStatus`` tag of the object version (GuardDuty's own output)."""

    engine = "guardduty"

    def scan(self, data: bytes) -> ScanVerdict:
        return ScanVerdict(engine=self.engine, verdict=PENDING)

    def result(self, *, key: str, version_id: str | None) -> ScanVerdict | None:
        from apps.documents import storage

        value = storage.object_tags(key=key, version_id=version_id).get(SCAN_TAG)
        if value is None:
            return None
        verdict = TAG_VERDICTS.get(value, FAILED)
        return ScanVerdict(engine=self.engine, verdict=verdict, signature=None if verdict == CLEAN else value)


class GuardDutyScanner(_TaggedObjectResult):
    """Amazon GuardDuty Malware Protection for S3: it scans each new object version on its own."""

    engine = "guardduty"

    def submit(self, *, key: str, version_id: str | None) -> None:
        return None


def eicar_found(data: bytes) -> bool:
    """The EICAR test string in the bytes (also with PDF string escapes undone) or in a Flate-compressed stream."""
    if EICAR in data or EICAR in _PDF_ESCAPE.sub(_unescape, data):
        return True
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.DOTALL):
        try:
            inflated = zlib.decompressobj().decompress(match.group(1), 64 * 1024 * 1024)
        except zlib.error:
            continue
        if EICAR in inflated:
            return True
    return False


_PDF_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.DOTALL)  # a backslash escape in a PDF string literal


def _unescape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    return bytes([int(code, 8) & 0xFF]) if code[:1].isdigit() and code[:1] in b"01234567" else code


class FakeScanner(_TaggedObjectResult):
    """A stand-in for GuardDuty (local runs and tests): scans the stored object and tags it as GuardDuty would."""

    engine = "fake"

    def submit(self, *, key: str, version_id: str | None) -> None:
        import tempfile

        from apps.documents import storage

        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            storage.object_read(key=key, out=spool, version_id=version_id)  # type: ignore[arg-type]
            status = "THREATS_FOUND" if eicar_found(spool.read()) else "NO_THREATS_FOUND"
        storage.object_tag_put(key=key, version_id=version_id, tags={SCAN_TAG: status})


class ClamdScanner(_Synchronous):
    """clamd's INSTREAM protocol: ``zINSTREAM\\0``, chunks of <u32 length><bytes>, a zero length, one reply."""

    chunk_size = 64 * 1024
    engine = "clamd"

    def __init__(self, url: str, *, timeout: float = 30.0) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("tcp", "unix"):
            raise ValueError(f"CDD_DOCUMENTS_CLAMD_URL={url!r}: use tcp://host:port or unix:///path")
        self.url = url
        self.parsed = parsed
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        if self.parsed.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            address: object = self.parsed.path
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            address = (self.parsed.hostname or "127.0.0.1", self.parsed.port or 3310)
        sock.settimeout(self.timeout)
        sock.connect(address)  # type: ignore[arg-type]
        return sock

    def scan(self, data: bytes) -> ScanVerdict:
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\0")
                for start in range(0, len(data), self.chunk_size):
                    chunk = data[start:start + self.chunk_size]
                    sock.sendall(struct.pack("!L", len(chunk)) + chunk)
                sock.sendall(struct.pack("!L", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    part = sock.recv(4096)
                    if not part:
                        break
                    reply += part
        except OSError as exc:
            raise ScannerUnavailable(f"The malware scanner at {self.url} did not answer ({exc}).") from exc
        text = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
        # "stream: OK" | "stream: Eicar-Test-Signature FOUND" | "INSTREAM size limit exceeded. ERROR"
        if text.endswith(" FOUND"):
            signature = text.removeprefix("stream:").removesuffix(" FOUND").strip()
            return ScanVerdict(engine="clamd", verdict=INFECTED, signature=signature)
        if text.endswith("OK"):
            return ScanVerdict(engine="clamd", verdict=CLEAN)
        raise ScannerUnavailable(f"The malware scanner at {self.url} answered {text!r}.")


SCANNERS = ("guardduty", "fake", "clamd", "none")


def scanner_for(engine: str) -> Scanner:
    """The scanner named ``engine`` (a setting's value, or the engine recorded on a pending document)."""
    if engine == "guardduty":
        return GuardDutyScanner()
    if engine == "fake":
        return FakeScanner()
    if engine == "clamd":
        if not settings.CDD_DOCUMENTS_CLAMD_URL:
            raise ImproperlyConfigured("CDD_DOCUMENT_SCANNER=clamd needs CDD_DOCUMENTS_CLAMD_URL.")
        return ClamdScanner(settings.CDD_DOCUMENTS_CLAMD_URL)
    if engine == "none":
        return NoScanScanner()
    raise ImproperlyConfigured(f"CDD_DOCUMENT_SCANNER={engine!r}: use one of {', '.join(SCANNERS)}.")


def scanner_get() -> Scanner:
    return scanner_for(settings.CDD_DOCUMENT_SCANNER)
