"""Upload and download throughput of documents against a local moto server (started here, on 127.0.0.1).

    .venv/bin/python bench/documents_io.py [--files 20] [--size-kb 1024] [--concurrency 1]

Three paths, each over real HTTP to the moto server (S3, DynamoDB, KMS):

* ``api upload``: what the multipart API does after Django parsed the request -- every check
  (magic bytes, polyglot scan, pypdf parse), S3 PUT with SSE-KMS, DynamoDB transaction with the
  audit event (``document_upload``);
* ``presigned``: start (signed ticket + presigned POST), the client's POST of the file to S3
  with ``requests``, and the completion call (S3 GET, every check, server-side copy, record);
* ``download``: an audited presigned link plus the client's GET of the file.

Prints files/s and MB/s per path. Files are valid PDFs with a random (incompressible) image
stream, so the checks see realistic bytes. Nothing is written outside the moto server's memory.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def random_pdf(size: int) -> bytes:
    """A valid one-page PDF whose image XObject holds ``size`` random bytes."""
    payload = os.urandom(size)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 4 0 R >> >> >>",
        b"<< /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray /BitsPerComponent 8 "
        b"/Length " + str(len(payload)).encode() + b" >>\nstream\n" + payload + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_moto(port: int) -> subprocess.Popen[bytes]:
    import requests

    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/moto-api/", timeout=1)
            return process
        except requests.RequestException:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise SystemExit(f"moto server did not start on 127.0.0.1:{port}; is `moto[server]` installed?") \
                    from None
            time.sleep(0.2)


def timed(label: str, items: list[bytes], work: Callable[[int, bytes], object], concurrency: int) -> list[object]:
    from tqdm import tqdm

    results: list[object] = [None] * len(items)
    bar = tqdm(total=len(items), desc=label, unit="file", file=sys.stderr, leave=False)

    def one(index: int) -> None:
        results[index] = work(index, items[index])
        bar.update(1)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one, range(len(items))))
    elapsed = time.perf_counter() - t0
    bar.close()
    total_mb = sum(len(item) for item in items) / 1e6
    print(f"{label:<12} {len(items):>6} {total_mb:>9.1f} {elapsed:>9.2f} {len(items) / elapsed:>9.1f} "
          f"{total_mb / elapsed:>8.1f}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=20, help="files per path (default 20)")
    parser.add_argument("--size-kb", type=int, default=1024, help="size of each file in KiB (default 1024)")
    parser.add_argument("--concurrency", type=int, default=1, help="threads sending files at once (default 1)")
    parser.add_argument("--port", type=int, default=0, help="port for the moto server (default: a free one)")
    args = parser.parse_args()
    if args.files < 1 or args.size_kb < 1 or args.concurrency < 1:
        parser.error("--files, --size-kb and --concurrency must be at least 1")

    port = args.port or free_port()
    moto = start_moto(port)
    run = uuid.uuid4().hex[:8]
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "cdd.settings.test", "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
        "CDD_TABLE_PREFIX": f"bench-{run}", "CDD_DOCUMENTS_BUCKET": f"bench-{run}-documents",
        "CDD_DOCUMENTS_MAX_UPLOAD_BYTES": str(args.size_kb * 1024 + 4096),
        "CDD_DOCUMENTS_MAX_PRESIGNED_BYTES": str(args.size_kb * 1024 + 4096),
    })
    try:
        import django

        django.setup()
        import requests

        from apps.audit.actors import Actor
        from apps.core.bootstrap import aws_resources_ensure
        from apps.core.tables import tables_ensure
        from apps.customers.services import customer_create
        from apps.documents import services

        aws_resources_ensure()
        tables_ensure(create=True)
        actor = Actor.system("bench")
        customer_id = customer_create(actor=actor, integration="bench", data={
            "customer_type": "individual", "legal_name": "Bench Customer", "date_of_birth": "1980-01-01",
            "nationalities": ["GB"], "country_of_residence": "GB"}).customer_id
        meta = services.DocumentMeta(document_type="passport")
        print(f"moto server 127.0.0.1:{port}; {args.files} files of {args.size_kb} KiB per path, "
              f"concurrency {args.concurrency}", file=sys.stderr)
        items = [random_pdf(args.size_kb * 1024 - 400) for _ in range(args.files)]
        print(f"{'path':<12} {'files':>6} {'MB':>9} {'seconds':>9} {'files/s':>9} {'MB/s':>8}")

        def api_upload(_: int, data: bytes) -> str:
            return services.document_upload(customer_id=customer_id, file=io.BytesIO(data), filename="f.pdf",
                                            meta=meta, actor=actor).document_id

        document_ids = timed("api upload", items, api_upload, args.concurrency)

        def presigned(_: int, data: bytes) -> str:
            ticket = services.document_upload_start(customer_id=customer_id, meta=meta, filename="f.pdf",
                                                    size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                                                    actor=actor)
            response = requests.post(ticket.url, data=ticket.fields, files={"file": ("f.pdf", data)}, timeout=60)
            response.raise_for_status()
            return services.document_upload_complete(customer_id=customer_id, upload_id=ticket.upload_id,
                                                      actor=actor).document_id

        timed("presigned", items, presigned, args.concurrency)

        def download(index: int, data: bytes) -> None:
            url, _ = services.document_download_link(customer_id=customer_id, document_id=str(document_ids[index]),
                                                     actor=actor)
            response = requests.get(url, timeout=60)
            response.raise_for_status()
            if response.content != data:
                raise SystemExit(f"downloaded file {index} differs from what was uploaded")

        timed("download", items, download, args.concurrency)
    finally:
        moto.terminate()
        moto.wait(timeout=10)


if __name__ == "__main__":
    main()
