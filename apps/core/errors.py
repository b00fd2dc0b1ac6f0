"""Domain errors and their one mapping to HTTP: JSON with a stable code, a message, field errors."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation, TooManyFieldsSent
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler

from apps.core.context import context_get

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, errors: dict[str, list[str]] | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or {}
        if code:
            self.code = code

    def text(self) -> str:
        """The message and each field's problems in one line, for a page's flash message."""
        detail = "; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items())
        return f"{self.message} {detail}".strip()


class ValidationFailed(DomainError):
    status = 400
    code = "invalid"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class PreconditionFailed(DomainError):
    status = 412
    code = "precondition_failed"


class PreconditionRequired(DomainError):
    status = 428
    code = "precondition_required"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class FourEyesViolation(Forbidden):
    code = "four_eyes_violation"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMedia(DomainError):
    status = 415
    code = "unsupported_media_type"


class ServiceUnavailable(DomainError):
    status = 503
    code = "unavailable"


def error_body(*, code: str, message: str, errors: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = errors
    body["request_id"] = context_get().request_id
    return body


def _flatten(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field.sub": ["message", ...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if key != "non_field_errors" else "__all__"
            out.update(_flatten(value, f"{prefix}.{name}" if prefix else str(name)))
    elif isinstance(detail, list):
        if all(not isinstance(item, (dict, list)) for item in detail):
            out[prefix or "__all__"] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                out.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix or "__all__"] = [str(detail)]
    return out


TRANSIENT_CODES = frozenset({
    "ThrottlingException", "ProvisionedThroughputExceededException", "RequestLimitExceeded",
    "InternalServerError", "ServiceUnavailable", "TransactionConflict", "TransactionInProgressException",
    "SlowDown", "RequestTimeout",
})


def storage_unavailable(exc: BaseException) -> bool:
    """Whether ``exc`` (or what caused it) is AWS saying "not now" rather than "wrong request"."""
    from botocore.exceptions import ClientError, ConnectionError, ReadTimeoutError

    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 5:
        if isinstance(current, (ConnectionError, ReadTimeoutError)):
            return True
        if isinstance(current, ClientError):
            error = current.response.get("Error", {})
            status = current.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            return error.get("Code") in TRANSIENT_CODES or status >= 500
        current = getattr(current, "cause", None) or current.__cause__
        seen += 1
    return False


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if not isinstance(exc, DomainError) and storage_unavailable(exc):
        logger.warning("storage unavailable: %s", exc)
        exc = ServiceUnavailable("The data store did not answer in time; retry the request in a few seconds.")
    if isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
        exc = PayloadTooLarge(f"The request body is larger than the API accepts ({limit:,} bytes). Send less data "
                              "per request; documents are uploaded through their own upload endpoint.")
    elif isinstance(exc, TooManyFieldsSent):
        exc = PayloadTooLarge("The request has more fields than the API accepts; send fewer per request.")
    elif isinstance(exc, SuspiciousOperation):
        exc = ValidationFailed("The request is malformed and was refused.", code="bad_request")
    if isinstance(exc, DomainError):
        return Response(error_body(code=exc.code, message=exc.message, errors=exc.errors), status=exc.status)
    if isinstance(exc, Http404):
        exc = drf.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = drf.PermissionDenied()
    if isinstance(exc, drf.ValidationError):
        errors = _flatten(exc.detail)
        fields = ", ".join(sorted(errors))
        return Response(
            error_body(code="invalid", message=f"The request is not valid: check {fields}.", errors=errors),
            status=400,
        )
    response = exception_handler(exc, context)
    if response is None:
        logger.exception("unhandled error in API view", exc_info=exc)
        return Response(
            error_body(code="server_error", message="An unexpected error occurred; quote the request id to support."),
            status=500,
        )
    code = getattr(exc, "default_code", "error")
    detail = getattr(exc, "detail", str(exc))
    message = str(detail) if not isinstance(detail, (dict, list)) else "The request failed."
    response.data = error_body(code=str(code), message=message)
    return response


def json_404(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(code="not_found", message=f"No such path: {request.path}"), status=404)


def json_500(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        error_body(code="server_error", message="An unexpected error occurred; quote the request id to support."),
        status=500,
    )
