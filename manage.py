#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def _local_stack_down(exc: BaseException) -> str | None:
    """The endpoint, if ``exc`` (or what caused it) is a refused connection to the local stack."""
    from botocore.exceptions import EndpointConnectionError

    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, EndpointConnectionError):
            return str(seen.kwargs.get("endpoint_url", ""))
        seen = seen.__cause__ or seen.__context__
    return None


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.base")
    os.environ.setdefault("CDD_LOG_STREAM", "stderr")  # stdout is the command's own output
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    except Exception as exc:
        from django.core.exceptions import ImproperlyConfigured

        if isinstance(exc, ImproperlyConfigured) and "CDD_ENV=local talks only to the local stack" in str(exc):
            sys.stderr.write(f"{exc}\n")  # a refusal, not a crash: no traceback
            sys.exit(2)
        endpoint = _local_stack_down(exc) if os.environ.get("CDD_ENV", "local") == "local" else None
        if endpoint is None:
            raise
        sys.stderr.write(
            f"Nothing answers at the local stack ({endpoint}). Start it with `make run` in another terminal "
            "(or set CDD_LOCAL_PORT to the port it uses), then run this command again.\n"
        )
        sys.exit(2)


if __name__ == "__main__":
    main()
