"""Documents API: one view per operation; each validates, calls one service or selector, serialises.

Who may do what: analysts do everything; reviewers read (lists, checklist, download links);
integrations (API keys) upload and complete uploads with ``documents:write`` and read with
``documents:read``. Verifying, rejecting, waiving, requesting documents and editing the
requirements matrix are analyst work: API keys cannot do them.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.audit.services import mask_value
from apps.core.errors import PayloadTooLarge
from apps.core.fields import StrictIntegerField
from apps.core.openapi import ERROR_RESPONSES, error
from apps.core.roles import ANALYST, REVIEWER, SENIOR_REVIEWER
from apps.customers.access import CustomerOwned
from apps.documents import selectors, services
from apps.documents.models import CDD_LEVELS, CUSTOMER_TYPES, DOCUMENT_TYPES, STATUSES, Document

READERS = {ANALYST, REVIEWER, SENIOR_REVIEWER}
WRITERS = {ANALYST}
TAGS = ["documents"]
MULTIPART_OVERHEAD = 64 * 1024  # room for the form's other fields and boundaries

NOT_FOUND = {404: error("No such customer or document.")}
CONFLICT = {409: error("The document is not in a status that allows this, or it changed meanwhile; "
                       "scan_pending: its file awaits the malware scan; malware_found: the scanner found malware.")}
FILE_ERRORS = {
    413: error("The file is larger than the limit (code too_large)."),
    415: error("The file's content is not an accepted type: executable, archive or unknown (code names which)."),
    422: error("The file failed a check: checksum_mismatch, size_mismatch, polyglot, trailing_data, pdf_encrypted, "
               "pdf_active_content, pdf_damaged, pdf_too_complex, image_damaged, malware, empty_file, "
               "upload_missing."),
    503: error("The malware scanner is configured but did not answer; nothing was stored."),
}


class FileVersionOutputSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    size = serializers.IntegerField()
    content_type = serializers.CharField()
    filename = serializers.CharField(allow_null=True)
    uploaded_by = serializers.CharField(allow_null=True)
    uploaded_at = serializers.DateTimeField(allow_null=True)
    status = serializers.CharField(allow_null=True)


class DocumentOutputSerializer(serializers.Serializer):
    document_id = serializers.CharField()
    customer_id = serializers.CharField()
    party_type = serializers.CharField()
    party_id = serializers.CharField(allow_null=True)
    document_type = serializers.CharField()
    issuing_country = serializers.CharField(allow_null=True)
    number_masked = serializers.SerializerMethodField()
    issue_date = serializers.CharField(allow_null=True)
    expiry_date = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    status_reason = serializers.CharField(allow_null=True)
    sha256 = serializers.CharField(allow_null=True)
    size = serializers.IntegerField(allow_null=True)
    content_type = serializers.CharField(allow_null=True)
    filename = serializers.CharField(allow_null=True)
    scan = serializers.DictField(allow_null=True)
    scan_label = serializers.SerializerMethodField(
        help_text="In words: awaiting malware scan, refused: malware found, not scanned for malware; null when clean.")
    links = serializers.ListField(child=serializers.CharField(), allow_null=True,
                                  help_text="Web links (http, https, mailto) the PDF holds; other links are refused.")
    uploaded_by = serializers.CharField(allow_null=True)
    uploaded_at = serializers.DateTimeField(allow_null=True)
    verified_by = serializers.CharField(allow_null=True)
    verified_at = serializers.DateTimeField(allow_null=True)
    request_id = serializers.CharField(allow_null=True)
    versions = FileVersionOutputSerializer(many=True)
    version = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_number_masked(self, document: Document) -> str | None:
        return mask_value(document.number) if document.number else None

    def get_scan_label(self, document: Document) -> str | None:
        return selectors.document_scan_label(document)


def _actor(request: Request) -> Actor:
    return Actor.from_request(request)


class DocumentMetaInputSerializer(serializers.Serializer):
    document_type = serializers.ChoiceField(choices=list(DOCUMENT_TYPES), required=False)
    issuing_country = serializers.RegexField(r"^[A-Z]{2}$", required=False, allow_null=True,
                                             error_messages={"invalid": "Use an ISO 3166-1 alpha-2 code, e.g. GB."})
    number = serializers.CharField(required=False, allow_null=True, max_length=64)
    issue_date = serializers.DateField(required=False, allow_null=True)
    expiry_date = serializers.DateField(required=False, allow_null=True)
    party_type = serializers.ChoiceField(choices=["customer", "related_party"], required=False, default="customer")
    party_id = serializers.CharField(required=False, allow_null=True, max_length=64)
    document_id = serializers.CharField(required=False, max_length=40,
                                        help_text="Replace the file of this document (or fulfil a requested one).")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("document_id") and not attrs.get("document_type"):
            raise serializers.ValidationError({"document_type": ["Required for a new document."]})
        return attrs


def _meta(data: dict[str, Any]) -> services.DocumentMeta | None:
    if not data.get("document_type"):
        return None
    return services.DocumentMeta(
        document_type=data["document_type"], issuing_country=data.get("issuing_country"), number=data.get("number"),
        issue_date=data.get("issue_date"), expiry_date=data.get("expiry_date"),
        party_type=data.get("party_type") or "customer", party_id=data.get("party_id"),
    )


class DocumentListApi(CustomerOwned, APIView):
    """A customer's documents (numbers masked)."""

    required_roles = READERS
    required_scopes = {"GET": "documents:read"}

    class FilterSerializer(serializers.Serializer):
        status = serializers.ChoiceField(choices=list(STATUSES), required=False)

    @extend_schema(parameters=[FilterSerializer], responses={200: DocumentOutputSerializer(many=True),
                                                             **ERROR_RESPONSES, **NOT_FOUND}, tags=TAGS)
    def get(self, request: Request, customer_id: str) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        documents = selectors.document_list(customer_id=customer_id, status=filters.validated_data.get("status"))
        return Response(DocumentOutputSerializer(documents, many=True).data)


class DocumentDetailApi(CustomerOwned, APIView):
    required_roles = READERS
    required_scopes = {"GET": "documents:read"}

    @extend_schema(responses={200: DocumentOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND}, tags=TAGS)
    def get(self, request: Request, customer_id: str, document_id: str) -> Response:
        return Response(DocumentOutputSerializer(
            selectors.document_get(customer_id=customer_id, document_id=document_id)).data)


class DocumentUploadApi(CustomerOwned, APIView):
    """Upload a file (multipart) as a new document, or as the new file of ``document_id``; checked before storing."""

    required_roles = WRITERS
    required_scopes = {"POST": "documents:write"}
    parser_classes = [MultiPartParser]

    class InputSerializer(DocumentMetaInputSerializer):
        file = serializers.FileField(allow_empty_file=True)

    @extend_schema(request={"multipart/form-data": InputSerializer},
                   responses={201: DocumentOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT, **FILE_ERRORS},
                   tags=TAGS)
    def post(self, request: Request, customer_id: str) -> Response:
        limit = settings.CDD_DOCUMENTS_MAX_UPLOAD_BYTES
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
        if declared > limit + MULTIPART_OVERHEAD:  # refuse before Django spools the body to disk
            raise PayloadTooLarge(f"The request is {declared} bytes; files sent here may be at most {limit} bytes. "
                                  "Use a presigned upload (POST .../documents/uploads) for larger files.",
                                  errors={"file": [f"At most {limit} bytes."]}, code="too_large")
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data["file"]
        document = services.document_upload(
            customer_id=customer_id, file=upload.file, filename=upload.name, meta=_meta(data),
            document_id=data.get("document_id"), actor=_actor(request),
        )
        return Response(DocumentOutputSerializer(document).data, status=201)


class DocumentUploadStartApi(CustomerOwned, APIView):
    """Start a presigned upload for a large file: POST it to ``url`` with ``fields``, then complete it."""

    required_roles = WRITERS
    required_scopes = {"POST": "documents:write"}

    class InputSerializer(DocumentMetaInputSerializer):
        filename = serializers.CharField(max_length=200, required=False, allow_null=True)
        size = StrictIntegerField(min_value=1)
        sha256 = serializers.RegexField(r"^[0-9a-fA-F]{64}$",
                                        error_messages={"invalid": "64 hexadecimal characters (SHA-256)."})

    class OutputSerializer(serializers.Serializer):
        upload_id = serializers.CharField()
        url = serializers.CharField()
        fields = serializers.DictField(child=serializers.CharField())  # type: ignore[assignment]
        expires_at = serializers.DateTimeField()
        max_bytes = serializers.IntegerField()
        complete_url = serializers.CharField()

    @extend_schema(request=InputSerializer,
                   responses={201: OutputSerializer, **ERROR_RESPONSES, **NOT_FOUND, 413: error("Declared size too large.")},
                   tags=TAGS)
    def post(self, request: Request, customer_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        ticket = services.document_upload_start(
            customer_id=customer_id, meta=_meta(data), filename=data.get("filename"), size=data["size"],
            sha256=data["sha256"], document_id=data.get("document_id"), actor=_actor(request),
        )
        body = {**ticket.__dict__,
                "complete_url": f"/api/v1/customers/{customer_id}/documents/uploads/{ticket.upload_id}/complete"}
        return Response(self.OutputSerializer(body).data, status=201)


class DocumentUploadCompleteApi(CustomerOwned, APIView):
    """Check what arrived at the presigned URL (size, SHA-256, type, content); only then is the document received."""

    required_roles = WRITERS
    required_scopes = {"POST": "documents:write"}

    @extend_schema(request=None, responses={201: DocumentOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND, **CONFLICT,
                                            **FILE_ERRORS}, tags=TAGS)
    def post(self, request: Request, customer_id: str, upload_id: str) -> Response:
        document = services.document_upload_complete(customer_id=customer_id, upload_id=upload_id,
                                                      actor=_actor(request))
        return Response(DocumentOutputSerializer(document).data, status=201)


class _StatusInputSerializer(serializers.Serializer):
    version = StrictIntegerField(required=False, min_value=1,
                                 help_text="The version you saw; a different current version gives 412.")


class DocumentVerifyApi(APIView):
    required_roles = WRITERS

    class InputSerializer(_StatusInputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses={200: DocumentOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND,
                                                       **CONFLICT, 412: error("Stale version."),
                                                       422: error("The document has expired.")}, tags=TAGS)
    def post(self, request: Request, customer_id: str, document_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_verify(customer_id=customer_id, document_id=document_id, actor=_actor(request),
                                            expected_version=serializer.validated_data.get("version"))
        return Response(DocumentOutputSerializer(document).data)


class _ReasonInputSerializer(_StatusInputSerializer):
    reason = serializers.CharField(max_length=2000)


class DocumentRejectApi(APIView):
    required_roles = WRITERS

    class InputSerializer(_ReasonInputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses={200: DocumentOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND,
                                                       **CONFLICT, 412: error("Stale version.")}, tags=TAGS)
    def post(self, request: Request, customer_id: str, document_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_reject(customer_id=customer_id, document_id=document_id,
                                            reason=serializer.validated_data["reason"], actor=_actor(request),
                                            expected_version=serializer.validated_data.get("version"))
        return Response(DocumentOutputSerializer(document).data)


class DocumentWaiveApi(APIView):
    required_roles = WRITERS

    class InputSerializer(_ReasonInputSerializer):
        pass

    @extend_schema(request=InputSerializer, responses={200: DocumentOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND,
                                                       **CONFLICT, 412: error("Stale version.")}, tags=TAGS)
    def post(self, request: Request, customer_id: str, document_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_waive(customer_id=customer_id, document_id=document_id,
                                           reason=serializer.validated_data["reason"], actor=_actor(request),
                                           expected_version=serializer.validated_data.get("version"))
        return Response(DocumentOutputSerializer(document).data)


class LinkOutputSerializer(serializers.Serializer):
    url = serializers.CharField()
    expires_at = serializers.DateTimeField()


class DocumentDownloadLinkApi(CustomerOwned, APIView):
    """A presigned download URL living minutes; the download is recorded in the audit trail."""

    required_roles = READERS
    required_scopes = {"POST": "documents:read"}

    @extend_schema(request=None, responses={200: LinkOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND,
                                            409: error("The document has no file yet (no_file), its file awaits the "
                                                       "malware scan (scan_pending) or holds malware (malware_found), "
                                                       "or its stored file is missing (file_missing; nothing is "
                                                       "audited as downloaded).")},
                   tags=TAGS)
    def post(self, request: Request, customer_id: str, document_id: str) -> Response:
        url, expires_at = services.document_download_link(customer_id=customer_id, document_id=document_id,
                                                          actor=_actor(request))
        return Response(LinkOutputSerializer({"url": url, "expires_at": expires_at}).data)


class ChecklistItemOutputSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    any_of = serializers.ListField(child=serializers.CharField())
    jurisdiction = serializers.CharField()
    state = serializers.CharField()
    satisfied = serializers.BooleanField()
    document_ids = serializers.ListField(child=serializers.CharField())


class DocumentChecklistApi(CustomerOwned, APIView):
    """The documents this customer needs (by type, CDD level, jurisdiction) against what is verified."""

    required_roles = READERS
    required_scopes = {"GET": "documents:read"}

    class OutputSerializer(serializers.Serializer):
        customer_id = serializers.CharField()
        complete = serializers.BooleanField()
        items = ChecklistItemOutputSerializer(many=True)

    @extend_schema(responses={200: OutputSerializer, **ERROR_RESPONSES, **NOT_FOUND}, tags=TAGS)
    def get(self, request: Request, customer_id: str) -> Response:
        items = selectors.document_checklist(customer_id=customer_id)
        return Response(self.OutputSerializer({"customer_id": customer_id, "items": items,
                                               "complete": all(i.satisfied for i in items)}).data)


class DocumentRequestOutputSerializer(serializers.Serializer):
    request_id = serializers.CharField()
    customer_id = serializers.CharField()
    document_types = serializers.ListField(child=serializers.CharField())
    document_ids = serializers.ListField(child=serializers.CharField())
    due_date = serializers.CharField()
    note = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    letter_text = serializers.CharField()
    reminders = serializers.ListField(child=serializers.DictField())
    created_by = serializers.CharField()
    created_at = serializers.DateTimeField()


class DocumentRequestListApi(CustomerOwned, APIView):
    required_roles = READERS
    required_scopes = {"GET": "documents:read"}

    @extend_schema(responses={200: DocumentRequestOutputSerializer(many=True), **ERROR_RESPONSES, **NOT_FOUND},
                   tags=TAGS)
    def get(self, request: Request, customer_id: str) -> Response:
        return Response(DocumentRequestOutputSerializer(
            selectors.document_request_list(customer_id=customer_id), many=True).data)


class DocumentRequestCreateApi(APIView):
    """Ask the customer for documents by a date: opens `requested` documents and writes the letter (text and PDF)."""

    required_roles = WRITERS

    class InputSerializer(serializers.Serializer):
        document_types = serializers.ListField(child=serializers.ChoiceField(choices=list(DOCUMENT_TYPES)),
                                               min_length=1, max_length=services.MAX_REQUESTED_TYPES)
        due_date = serializers.DateField()
        note = serializers.CharField(required=False, allow_null=True, max_length=2000)

    @extend_schema(request=InputSerializer, responses={201: DocumentRequestOutputSerializer, **ERROR_RESPONSES,
                                                       **NOT_FOUND}, tags=TAGS)
    def post(self, request: Request, customer_id: str) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        created = services.document_request_create(customer_id=customer_id, document_types=data["document_types"],
                                                   due_date=data["due_date"], note=data.get("note"),
                                                   actor=_actor(request))
        return Response(DocumentRequestOutputSerializer(created).data, status=201)


class DocumentRequestLetterLinkApi(CustomerOwned, APIView):
    """A presigned link to the request's letter as PDF (audited)."""

    required_roles = READERS
    required_scopes = {"POST": "documents:read"}

    @extend_schema(request=None, responses={200: LinkOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND}, tags=TAGS)
    def post(self, request: Request, customer_id: str, request_id: str) -> Response:
        url, expires_at = services.document_request_letter_link(customer_id=customer_id, request_id=request_id,
                                                                actor=_actor(request))
        return Response(LinkOutputSerializer({"url": url, "expires_at": expires_at}).data)


class RequirementOutputSerializer(serializers.Serializer):
    requirement_id = serializers.SerializerMethodField()
    customer_type = serializers.CharField()
    cdd_level = serializers.CharField()
    jurisdiction = serializers.CharField()
    code = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    any_of = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField()
    updated_by = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField(allow_null=True)

    def get_requirement_id(self, obj: Any) -> str:
        return services.requirement_id_for(customer_type=obj.customer_type, cdd_level=obj.cdd_level,
                                           jurisdiction=obj.jurisdiction, code=obj.code)


class RequirementListApi(APIView):
    """The requirements matrix (filter by customer type and CDD level)."""
    integration_scope = "unrelated"

    required_roles = READERS
    required_scopes = {"GET": "documents:read"}

    class FilterSerializer(serializers.Serializer):
        customer_type = serializers.ChoiceField(choices=list(CUSTOMER_TYPES), required=False)
        cdd_level = serializers.ChoiceField(choices=list(CDD_LEVELS), required=False)

    @extend_schema(parameters=[FilterSerializer], responses={200: RequirementOutputSerializer(many=True),
                                                             **ERROR_RESPONSES}, tags=TAGS)
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = selectors.requirement_list(**filters.validated_data)
        return Response(RequirementOutputSerializer(rows, many=True).data)


class RequirementSaveApi(APIView):
    """Create or change one line of the matrix (type, level, jurisdiction or *, code -> any of these documents)."""

    required_roles = WRITERS

    class InputSerializer(serializers.Serializer):
        customer_type = serializers.ChoiceField(choices=list(CUSTOMER_TYPES))
        cdd_level = serializers.ChoiceField(choices=list(CDD_LEVELS))
        jurisdiction = serializers.RegexField(r"^([A-Z]{2}|\*)$", default="*",
                                              error_messages={"invalid": "An ISO alpha-2 code or *."})
        code = serializers.RegexField(r"^[a-z][a-z0-9_]{1,40}$")
        label = serializers.CharField(max_length=200)  # type: ignore[assignment]
        any_of = serializers.ListField(child=serializers.ChoiceField(choices=list(DOCUMENT_TYPES)), min_length=1)
        version = serializers.IntegerField(required=False, min_value=1)

    @extend_schema(request=InputSerializer, responses={200: RequirementOutputSerializer, **ERROR_RESPONSES,
                                                       412: error("Stale version.")}, tags=TAGS)
    def post(self, request: Request) -> Response:
        serializer = self.InputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        version = data.pop("version", None)
        requirement = services.requirement_put(spec=services.RequirementSpec(**data), actor=_actor(request),
                                               expected_version=version)
        return Response(RequirementOutputSerializer(requirement).data)


class RequirementDeleteApi(APIView):
    required_roles = WRITERS

    @extend_schema(request=None, responses={204: None, **ERROR_RESPONSES, **NOT_FOUND}, tags=TAGS)
    def post(self, request: Request, requirement_id: str) -> Response:
        services.requirement_delete(requirement_id=requirement_id, actor=_actor(request))
        return Response(status=204)


def _component_names_set() -> None:
    """Name nested serializers' schema components after their view (``DocumentVerifyInput``), not ``Input``.

    Every app nests ``InputSerializer``/``OutputSerializer`` in its views; without a ref_name
    drf-spectacular would merge them into one ``Input`` component across the whole API.
    """
    for view in list(globals().values()):
        if isinstance(view, type) and issubclass(view, APIView) and view.__module__ == __name__:
            for attr in ("InputSerializer", "OutputSerializer", "FilterSerializer"):
                serializer = view.__dict__.get(attr)
                if serializer is not None:
                    name = view.__name__.removesuffix("Api") + attr.removesuffix("Serializer")
                    serializer.Meta = type("Meta", (), {"ref_name": name})


_component_names_set()
