"""The malware-scan step behind one interface.

``scanner_get()`` returns a ClamAV daemon client when ``CDD_DOCUMENTS_CLAMD_URL`` is set
(``tcp://host:3310`` or ``unix:///run/clamav/clamd.ctl``), else a scanner that scans nothing
and says so: its verdict ``no-scan`` is stored on the document, so nobody mistakes an
unscanned file for a clean one. A configured scanner that cannot be reached fails closed
(503): the upload is refused rather than accepted unscanned.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlparse

from django.conf import settings

CLEAN = "clean"
INFECTED = "infected"
NO_SCAN = "no-scan"


@dataclass(frozen=True)
class ScanVerdict:
    engine: str
    verdict: str  # clean | infected | no-scan
    signature: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"engine": self.engine, "verdict": self.verdict, "signature": self.signature}


class ScannerUnavailable(Exception):
    """The configured scanner did not answer."""


class Scanner(Protocol):
    def scan(self, data: bytes) -> ScanVerdict: ...


class NoScanScanner:
    """Used when no scanner is configured: records that nothing was scanned."""

    def scan(self, data: bytes) -> ScanVerdict:
        return ScanVerdict(engine="none", verdict=NO_SCAN)


class ClamdScanner:
    """clamd's INSTREAM protocol: ``zINSTREAM\\0``, chunks of <u32 length><bytes>, a zero length, one reply."""

    chunk_size = 64 * 1024

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


def scanner_get() -> Scanner:
    url = settings.CDD_DOCUMENTS_CLAMD_URL
    return ClamdScanner(url) if url else NoScanScanner()
