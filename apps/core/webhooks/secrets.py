"""Signing secrets: made here, shown once, stored only as KMS ciphertext bound to their endpoint.

A secret is ``whsec_`` + base64 of 32 random bytes (the Standard Webhooks form). It is encrypted
with ``kms:Encrypt`` under the environment key (``CDD_KMS_KEY_ID``) with an encryption context
naming the endpoint, so a ciphertext copied onto another endpoint does not decrypt. The table is
SSE-KMS as well; this layer keeps the secrets out of backups, exports and anyone's table reads.
"""

from __future__ import annotations

import base64
import secrets as random
from functools import lru_cache

from django.conf import settings

from apps.core import aws

PREFIX = "whsec_"
PURPOSE = "cdd-webhook-signing-secret"


def secret_new() -> str:
    return PREFIX + base64.b64encode(random.token_bytes(32)).decode()


def _context(endpoint_id: str) -> dict[str, str]:
    return {"purpose": PURPOSE, "endpoint_id": endpoint_id}


def secret_encrypt(*, endpoint_id: str, secret: str) -> str:
    """The base64 KMS ciphertext of ``secret`` for ``endpoint_id``."""
    response = aws.client("kms").encrypt(KeyId=settings.CDD_KMS_KEY_ID, Plaintext=secret.encode(),
                                         EncryptionContext=_context(endpoint_id))
    return base64.b64encode(response["CiphertextBlob"]).decode()


@lru_cache(maxsize=512)
def _decrypt(endpoint_id: str, ciphertext: str, endpoint_url: str | None) -> str:
    response = aws.client("kms").decrypt(CiphertextBlob=base64.b64decode(ciphertext),
                                         EncryptionContext=_context(endpoint_id))
    return bytes(response["Plaintext"]).decode()


def secret_decrypt(*, endpoint_id: str, ciphertext: str) -> str:
    """The secret behind a ciphertext (cached per worker process: a delivery attempt needs no KMS call each time)."""
    return _decrypt(endpoint_id, ciphertext, settings.AWS_ENDPOINT_URL)
