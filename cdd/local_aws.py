"""Keep a local process (CDD_ENV=local) away from real AWS.

A developer's shell often holds real AWS credentials (a profile, SSO, environment variables).
In the local environment every AWS client of the process must reach the local stack's moto
server and nothing else, so this runs once when the settings load, before any client exists:

- the endpoint must be on this machine (loopback) or on a host named in ``CDD_LOCAL_AWS_HOSTS``
  (a moto container in a compose file, say); an AWS hostname is refused outright;
- ``AWS_ENDPOINT_URL`` is set for the whole process and every service-specific override
  (``AWS_ENDPOINT_URL_S3`` …) is removed, so botocore-based clients that the platform does not
  build itself (kombu's SQS transport, pynamodb, django-storages) go to the same endpoint;
- the credentials are moto's dummies, and profiles, session tokens, config and credential files
  are hidden, so no real credential is ever loaded and signed requests cannot be valid in AWS.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Variables through which botocore finds credentials, profiles or endpoints of a real account.
_HIDDEN = (
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
)
DUMMY_KEY = "local"  # moto accepts any credentials; these only let botocore sign requests


def confine_to_local_stack(endpoint_url: str | None, extra_hosts: list[str]) -> None:
    """Point every AWS client of this process at ``endpoint_url``, with dummy credentials."""
    if not endpoint_url:
        raise ImproperlyConfigured("CDD_ENV=local needs the local stack's endpoint (AWS_ENDPOINT_URL).")
    parts = urlsplit(endpoint_url)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("http", "https") or not host:
        raise ImproperlyConfigured(f"AWS_ENDPOINT_URL={endpoint_url!r} is not a URL such as http://127.0.0.1:4566.")
    allowed = LOOPBACK | {h.lower() for h in extra_hosts}
    if host.endswith((".amazonaws.com", ".amazonaws.com.cn", ".aws")) or host not in allowed:
        raise ImproperlyConfigured(
            f"CDD_ENV=local talks only to the local stack, and AWS_ENDPOINT_URL={endpoint_url!r} is not on this "
            "machine. Unset AWS_ENDPOINT_URL (the default is the moto server of `make run`), or list a moto host "
            "in CDD_LOCAL_AWS_HOSTS. To reach an AWS account, run with that environment's CDD_ENV."
        )
    for name in [n for n in os.environ if n.startswith("AWS_ENDPOINT_URL_")] + list(_HIDDEN):
        os.environ.pop(name, None)
    os.environ["AWS_ENDPOINT_URL"] = endpoint_url
    os.environ["AWS_ACCESS_KEY_ID"] = DUMMY_KEY
    os.environ["AWS_SECRET_ACCESS_KEY"] = DUMMY_KEY
    os.environ["AWS_CONFIG_FILE"] = os.devnull
    os.environ["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    os.environ["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "false"
