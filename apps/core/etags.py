"""If-Match on the records people edit: the version the client read, as an integer (or None)."""

from __future__ import annotations

from rest_framework.request import Request

from apps.core.errors import ValidationFailed


def expected_version(request: Request, *, what: str) -> int | None:
    """The version in ``If-Match`` (``"3"`` or ``W/"3"``); None without the header; 400 if it is not one."""
    header = request.headers.get("If-Match")
    if not header:
        return None
    try:
        return int(header.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise ValidationFailed(f"If-Match is not {what} version.",
                               errors={"If-Match": [f"send the ETag of the {what.split()[-1]} you read"]}) from None
