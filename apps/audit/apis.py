"""The audit trail's read-only API: auditors only (session sign-in), one view per operation.

API keys are refused on purpose: the trail records who did what to every customer of the
bank; an integration's key (a bearer secret on another system) has no business reading it.
Regulators get exports; SIEM-style feeds should read the exports bucket, not this API.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.conf import settings
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.audit.customer_file import CUSTOMER_FILE_ROLES, customer_file_export
from apps.audit.exports import audit_export_create
from apps.audit.selectors import (
    DEFAULT_PAGE,
    MAX_PAGE,
    EventPage,
    audit_event_get,
    audit_events_by_action,
    audit_events_by_actor,
    audit_timeline_list,
)
from apps.audit.verify import item_as_event
from apps.core.errors import ValidationFailed
from apps.core.openapi import ERROR_RESPONSES, error
from apps.core.parsers import JSONParser
from apps.core.roles import AUDITOR
from apps.customers.access import CustomerOwned

EXPORT_MAX_DAYS = 366
TAGS = ["audit"]


@extend_schema_serializer(component_name="AuditActor")
class ActorSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["user", "api_key", "system"])
    id = serializers.CharField()
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(component_name="AuditEvent")
class EventOutputSerializer(serializers.Serializer):
    event_id = serializers.CharField()
    chain = serializers.CharField()
    seq = serializers.IntegerField()
    occurred_at = serializers.CharField(help_text="ISO 8601, UTC; exactly as hashed.")
    actor = ActorSerializer()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    request_id = serializers.CharField(allow_null=True)
    source_ip = serializers.CharField(allow_null=True)
    changes = serializers.DictField(help_text='{"field": {"before": x, "after": y}}; sensitive values masked.')
    reason = serializers.CharField(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]  # a field named "data"; DRF pops it off the class
    prev_hash = serializers.CharField()
    hash = serializers.CharField()


@extend_schema_serializer(component_name="AuditEventPage")
class EventPageOutputSerializer(serializers.Serializer):
    events = EventOutputSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as ?cursor= for the next page.")


class PageInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=MAX_PAGE, default=DEFAULT_PAGE)
    cursor = serializers.CharField(required=False, max_length=4096)
    order = serializers.ChoiceField(choices=["asc", "desc"], default="asc", help_text="Oldest (asc) or newest first.")


class RangePageInputSerializer(PageInputSerializer):
    since = serializers.DateTimeField(required=False, help_text="Inclusive; ISO 8601 (UTC if no offset).")
    until = serializers.DateTimeField(required=False, help_text="Exclusive; ISO 8601 (UTC if no offset).")


def _page_body(page: EventPage) -> dict[str, Any]:
    return EventPageOutputSerializer(
        {"events": [item_as_event(e) for e in page.events], "next_cursor": page.next_cursor}).data


class _AuditorApi(APIView):
    required_roles = {AUDITOR}
    required_scopes: dict[str, str] = {}  # no API keys: see the module docstring


class AuditTimelineApi(_AuditorApi):
    """An object's timeline: every event of its chain (what the reviewer UI shows)."""

    class InputSerializer(PageInputSerializer):
        pass

    @extend_schema(parameters=[InputSerializer], responses={200: EventPageOutputSerializer, **ERROR_RESPONSES},
                   tags=TAGS, operation_id="audit_object_timeline")
    def get(self, request: Request, object_type: str, object_id: str) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        page = audit_timeline_list(object_type=object_type, object_id=object_id, cursor=params.validated_data.get(
            "cursor"), limit=params.validated_data["limit"], newest_first=params.validated_data["order"] == "desc")
        return Response(_page_body(page))


class AuditEventsByActorApi(_AuditorApi):
    """What one actor did (``user:<id>``, ``api_key:<prefix>``, ``system:<job>``), in a time range."""

    class InputSerializer(RangePageInputSerializer):
        pass

    @extend_schema(parameters=[InputSerializer, OpenApiParameter("actor_key", str, OpenApiParameter.PATH,
                                                                 description="kind:id, e.g. user:12")],
                   responses={200: EventPageOutputSerializer, **ERROR_RESPONSES}, tags=TAGS,
                   operation_id="audit_events_by_actor")
    def get(self, request: Request, actor_key: str) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        page = audit_events_by_actor(actor_key=actor_key, since=data.get("since"), until=data.get("until"),
                                     cursor=data.get("cursor"), limit=data["limit"],
                                     newest_first=data["order"] == "desc")
        return Response(_page_body(page))


class AuditEventsByActionApi(_AuditorApi):
    """Every event of one action (``case.approved``, ``document.downloaded``...) in a time range."""

    class InputSerializer(RangePageInputSerializer):
        pass

    @extend_schema(parameters=[InputSerializer], responses={200: EventPageOutputSerializer, **ERROR_RESPONSES},
                   tags=TAGS, operation_id="audit_events_by_action")
    def get(self, request: Request, action: str) -> Response:
        params = self.InputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        page = audit_events_by_action(action=action, since=data.get("since"), until=data.get("until"),
                                      cursor=data.get("cursor"), limit=data["limit"],
                                      newest_first=data["order"] == "desc")
        return Response(_page_body(page))


class AuditEventDetailApi(_AuditorApi):
    """One event by its id."""

    @extend_schema(responses={200: EventOutputSerializer, **ERROR_RESPONSES, 404: error("No such event.")},
                   tags=TAGS, operation_id="audit_event_detail")
    def get(self, request: Request, event_id: str) -> Response:
        return Response(EventOutputSerializer(item_as_event(audit_event_get(event_id=event_id))).data)


class AuditExportCreateApi(_AuditorApi):
    """Export a time range or one object's history (JSONL + CSV + manifest) to the exports bucket; audited."""

    @extend_schema_serializer(component_name="AuditExportInput")
    class InputSerializer(serializers.Serializer):
        since = serializers.DateTimeField(required=False, help_text="Time-range export: start (inclusive).")
        until = serializers.DateTimeField(required=False, help_text="Time-range export: end (exclusive).")
        object_type = serializers.CharField(required=False, max_length=64, help_text="Object export: its type.")
        object_id = serializers.CharField(required=False, max_length=200, help_text="Object export: its id.")

    @extend_schema_serializer(component_name="AuditExport")
    class OutputSerializer(serializers.Serializer):
        @extend_schema_serializer(component_name="AuditExportFile")
        class FileSerializer(serializers.Serializer):
            key = serializers.CharField()
            sha256 = serializers.CharField()
            bytes = serializers.IntegerField()
            url = serializers.URLField(help_text="Presigned GET, valid a few minutes.")

        export_id = serializers.CharField()
        bucket = serializers.CharField()
        event_count = serializers.IntegerField()
        files = serializers.DictField(child=FileSerializer())
        manifest = serializers.DictField()

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, **ERROR_RESPONSES}, tags=TAGS,
                   operation_id="audit_export_create")
    def post(self, request: Request) -> Response:
        params = self.InputSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        export = audit_export_create(actor=Actor.from_request(request), max_days=EXPORT_MAX_DAYS,
                                     **params.validated_data)
        urls = export.urls(expires=settings.CDD_AUDIT_EXPORT_URL_SECONDS)
        files = {name: {"key": key, "url": urls[name], "sha256": hashlib.sha256(export.files[name]).hexdigest(),
                        "bytes": len(export.files[name])} for name, key in export.keys.items()}
        return Response(self.OutputSerializer({
            "export_id": export.export_id, "bucket": export.bucket, "event_count": export.manifest["event_count"],
            "files": files, "manifest": export.manifest}).data, status=201)


class _StrictBooleanField(serializers.BooleanField):
    """JSON true or false only: "yes", 1 or "false" are refused rather than guessed at."""

    def to_internal_value(self, data: Any) -> bool:
        if not isinstance(data, bool):
            self.fail("invalid", input=data)
        return data


class CustomerFileCreateApi(CustomerOwned, APIView):
    """Export everything about one customer for a regulator or internal audit: a zip with a SHA-256 manifest,
    stored in the exports bucket, answered with the manifest's summary and a short-lived download link.

    Auditors and senior reviewers only; API keys are refused. Each export is recorded on the customer's
    audit chain (customer.file_exported) with the manifest's SHA-256. Check the zip offline with
    manage.py customer_file_verify.
    """

    # Who: CUSTOMER_FILE_ROLES (the web page's button and view use the same). No API keys: the file holds the
    # customer's audit trail, which keys may not read (module docstring). CustomerOwned still confines a key a
    # later scope admits.
    required_roles = set(CUSTOMER_FILE_ROLES)
    required_scopes: dict[str, str] = {}
    parser_classes = [JSONParser]

    @extend_schema_serializer(component_name="CustomerFileInput")
    class InputSerializer(serializers.Serializer):
        with_files = _StrictBooleanField(required=False, default=False, help_text=(
            "Include the documents' files (only those scanned clean; the manifest lists the others and why)."))

        def to_internal_value(self, data: Any) -> Any:
            if isinstance(data, dict):
                unknown = {str(name): [f"Unknown field '{name}'; the only field is with_files."]
                           for name in data if name not in self.fields}
                if unknown:
                    raise serializers.ValidationError(unknown)
            return super().to_internal_value(data)

    @extend_schema_serializer(component_name="CustomerFile")
    class OutputSerializer(serializers.Serializer):
        export_id = serializers.CharField()
        customer_id = serializers.CharField()
        customer_name = serializers.CharField()
        bucket = serializers.CharField()
        key = serializers.CharField()
        bytes = serializers.IntegerField(help_text="Size of the zip.")
        archive_sha256 = serializers.CharField(help_text="SHA-256 of the zip.")
        manifest_sha256 = serializers.CharField(help_text="SHA-256 of manifest.json, as recorded in the trail.")
        audit_event_id = serializers.CharField(help_text="The customer.file_exported event.")
        url = serializers.URLField(help_text="Presigned GET of the zip, valid CDD_AUDIT_EXPORT_URL_SECONDS.")
        url_expires_at = serializers.DateTimeField()
        manifest = serializers.DictField(help_text="manifest.json without its list of files (file_count instead).")

    @extend_schema(request=InputSerializer, responses={201: OutputSerializer, **ERROR_RESPONSES,
                                                       404: error("No such customer.")},
                   tags=TAGS, operation_id="customer_file_create")
    def post(self, request: Request, customer_id: str) -> Response:
        body = request.data if request.data else {}
        if not isinstance(body, dict):
            raise ValidationFailed("The body must be a JSON object.", errors={"with_files": [
                "Send {\"with_files\": true} or {\"with_files\": false}, or no body."]})
        params = self.InputSerializer(data=body)
        params.is_valid(raise_exception=True)
        exported = customer_file_export(customer_id=customer_id, actor=Actor.from_request(request),
                                        with_files=params.validated_data["with_files"])
        try:
            url, expires_at = exported.download_link()
            answer = {
                "export_id": exported.export_id, "customer_id": exported.customer_id,
                "customer_name": exported.customer_name, "bucket": exported.bucket, "key": exported.key,
                "bytes": exported.size, "archive_sha256": exported.archive_sha256,
                "manifest_sha256": exported.manifest_sha256, "audit_event_id": exported.event_id,
                "url": url, "url_expires_at": expires_at,
                "manifest": exported.summary(),
            }
        finally:
            exported.archive.close()
        return Response(self.OutputSerializer(answer).data, status=201)
