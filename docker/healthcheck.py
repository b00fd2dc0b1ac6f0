"""Container health check of the CDD image (Docker HEALTHCHECK and the ECS task definition).

HTTP services (api, web, admin): GET http://127.0.0.1:$PORT/healthz must answer 200 within
3 seconds. This is liveness only; the load balancer probes /readyz for dependencies.
worker and beat: PID 1 must still be the celery process the entrypoint exec'd.

Exit 0 when healthy, 1 otherwise, with one line on stderr saying why.
Usage: python docker/healthcheck.py [--help]
"""

from __future__ import annotations

import http.client
import os
import sys
from pathlib import Path

HTTP_SERVICES = {"api", "web", "admin"}
CELERY_SERVICES = {"worker", "beat"}


def check_http(port: int) -> str | None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=3)
    try:
        # Host "localhost": Terraform adds it to DJANGO_ALLOWED_HOSTS of every HTTP service.
        connection.request("GET", "/healthz", headers={"Host": "localhost"})
        status = connection.getresponse().status
    except OSError as exc:
        return f"GET /healthz on port {port} failed: {exc}"
    finally:
        connection.close()
    return None if status == 200 else f"GET /healthz on port {port} answered {status}"


def check_celery(proc: Path = Path("/proc/1/cmdline")) -> str | None:
    try:
        argv = proc.read_bytes().split(b"\0")
    except OSError as exc:
        return f"cannot read {proc}: {exc}"
    if not any(part.endswith(b"celery") for part in argv[:2]):
        return f"PID 1 is not celery: {b' '.join(argv).decode(errors='replace')}"
    return None


def main(argv: list[str]) -> int:
    if argv[1:2] in (["-h"], ["--help"]):
        print(__doc__)  # noqa: T201
        return 0
    service = os.environ.get("CDD_SERVICE", "")
    if service in HTTP_SERVICES:
        problem = check_http(int(os.environ.get("PORT", "8000")))
    elif service in CELERY_SERVICES:
        problem = check_celery()
    else:
        problem = f"unknown CDD_SERVICE {service!r}; expected api, web, admin, worker or beat"
    if problem:
        print(f"unhealthy: {problem}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
