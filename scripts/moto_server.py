"""The local stack's AWS emulation: moto's server, made safe for concurrent DynamoDB writers.

Run by `make run` and by the integration tier instead of `python -m moto.server`:

    .venv/bin/python scripts/moto_server.py --port 4566

Two things differ from moto's own server:

- **DynamoDB requests are applied one at a time.** moto applies a TransactWriteItems by copying
  the tables it touches and restoring the copies when a condition fails; a write that another
  thread committed in between is wiped by the restore, although it was answered 200. DynamoDB
  isolates transactions (serializable), so the local stack serialises every DynamoDB request
  (reads included, so no reader sees a half-applied transaction). S3, SQS and KMS stay concurrent.
- **S3 version ids survive a restart.** moto keeps everything in memory; `manage.py local_state`
  saves the objects and puts them back on the next start, where moto would give each one a new
  version id while the document records keep the old ones. ``POST /_cdd/s3/version-id`` (local
  only, this process only) renames a restored version back to the id it had.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

DYNAMODB_LOCK = threading.Lock()
VERSION_ID_PATH = "/_cdd/s3/version-id"


def serialise_dynamodb() -> None:
    """Make moto's DynamoDB handler apply one request at a time (idempotent)."""
    from moto.dynamodb.responses import DynamoHandler

    if getattr(DynamoHandler.call_action, "_cdd_serialised", False):
        return
    real = DynamoHandler.call_action

    def call_action(self: Any) -> Any:
        with DYNAMODB_LOCK:
            return real(self)

    call_action._cdd_serialised = True  # type: ignore[attr-defined]
    DynamoHandler.call_action = call_action  # type: ignore[method-assign]


def rename_version(bucket_name: str, key_name: str, old: str, new: str) -> bool:
    """Give the version ``old`` of ``bucket_name/key_name`` the id ``new``; False if not found."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    bucket = backend.buckets.get(bucket_name)
    if bucket is None:
        return False
    for version in bucket.keys.getlist(key_name, []):
        if getattr(version, "version_id", None) == old:
            version._version_id = new
            return True
    return False


class LocalStackApp:
    """moto's WSGI application plus the one local-only route above."""

    def __init__(self, moto_app: Callable[..., Iterable[bytes]]) -> None:
        self.moto_app = moto_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != VERSION_ID_PATH:
            return self.moto_app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = json.loads(environ["wsgi.input"].read(length) or b"{}")
            found = rename_version(body["bucket"], body["key"], body["from"], body["to"])
        except (KeyError, ValueError, TypeError) as exc:
            start_response("400 Bad Request", [("Content-Type", "application/json")])
            return [json.dumps({"error": f"bad request: {exc}"}).encode()]
        status = "200 OK" if found else "404 Not Found"
        start_response(status, [("Content-Type", "application/json")])
        return [json.dumps({"renamed": found}).encode()]


def make_app() -> LocalStackApp:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    serialise_dynamodb()
    return LocalStackApp(DomainDispatcherApplication(create_backend_app))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("-p", "--port", type=int, default=4566, help="port (default 4566)")
    args = parser.parse_args(argv)

    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    run_simple(args.host, args.port, make_app(), threaded=True, request_handler=MotoRequestHandler)
    return 0


if __name__ == "__main__":
    sys.exit(main())
