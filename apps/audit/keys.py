"""The audit key: an HMAC key in KMS that signs what the trail writes, so table access alone cannot forge it.

Writers may call ``GenerateMac`` and the verifiers ``VerifyMac``; nobody can read the key
itself (KMS never exports it). What is signed is a SHA-256 digest that already covers the
content (an event's hash, a checkpoint's digest), prefixed with what kind of thing it is, so
a MAC of one kind can never be passed off as another and the message stays far below KMS's
4 KB limit whatever the event holds.
"""

from __future__ import annotations

import base64

from botocore.exceptions import ClientError
from django.conf import settings

from apps.core import aws

MAC_ALGORITHM = "HMAC_SHA_256"
EVENT = "cdd-audit-event/v2"
CHECKPOINT = "cdd-audit-checkpoint/1"


class MacUnavailable(RuntimeError):
    """KMS could not be asked (no permission, no key, no network): nothing was verified either way."""


def _message(domain: str, digest: str) -> bytes:
    return f"{domain}:{digest}".encode()


def mac_generate(*, domain: str, digest: str) -> str:
    """The MAC (base64) of ``digest`` under the audit key."""
    response = aws.client("kms").generate_mac(KeyId=settings.CDD_AUDIT_MAC_KEY_ID, Message=_message(domain, digest),
                                              MacAlgorithm=MAC_ALGORITHM)
    return base64.b64encode(response["Mac"]).decode()


def mac_verify(*, domain: str, digest: str, mac: str | None) -> bool:
    """Whether ``mac`` is the audit key's MAC of ``digest``; raises ``MacUnavailable`` if KMS cannot tell."""
    if not mac:
        return False
    try:
        raw = base64.b64decode(mac, validate=True)
    except ValueError:
        return False
    try:
        response = aws.client("kms").verify_mac(KeyId=settings.CDD_AUDIT_MAC_KEY_ID, Message=_message(domain, digest),
                                                MacAlgorithm=MAC_ALGORITHM, Mac=raw)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "KMSInvalidMacException":
            return False
        raise MacUnavailable(
            f"KMS refused VerifyMac on {settings.CDD_AUDIT_MAC_KEY_ID} ({exc.response.get('Error', {}).get('Code')}): "
            "run the check where the verifier role may call kms:VerifyMac on the audit key."
        ) from exc
    return bool(response.get("MacValid"))
