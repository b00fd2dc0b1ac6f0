"""The customers API: /api/v1/customers...

Paths that answer several methods (GET and PATCH on a customer) share one view class, because
Django routes a path to one view; each method is one operation with its own nested
serializers (``CreateInputSerializer``, ``UpdateInputSerializer``...), its own roles and scope.

Concurrency: every record carries a version; responses send it as a strong ``ETag`` (``"3"``)
and PATCH/DELETE require ``If-Match`` with it: 428 when missing, 412 when stale.
POSTs accept ``Idempotency-Key``: a retry returns the first outcome and creates nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.audit.actors import Actor
from apps.core.errors import Conflict, Forbidden, PreconditionRequired, ValidationFailed
from apps.core.fields import StrictFloatField
from apps.core.integrations import integration_confined
from apps.core.models import ApiKey
from apps.core.openapi import ERROR_RESPONSES, error
from apps.core.parsers import JSONParser
from apps.core.roles import ANALYST, AUDITOR, REVIEWER, SENIOR_REVIEWER
from apps.customers import search, selectors, services
from apps.customers.access import CustomerOwned
from apps.customers.countries import COUNTRIES
from apps.customers.errors import IdempotencyKeyClaimed
from apps.customers.idempotency import (
    HEADER as IDEMPOTENCY_HEADER,
)
from apps.customers.idempotency import (
    IdempotencyClaim,
    idempotency_claim_build,
    idempotency_record_get,
    idempotency_response_store,
)
from apps.customers.models import IdempotencyRecord
from apps.customers.validation import (
    CDD_LEVELS,
    CUSTOMER_TYPES,
    INITIAL_STATUSES,
    PARTIAL_DATE_PATTERN,
    PARTY_ROLES,
    PEP_STATUSES,
    RISK_RATINGS,
    STATUSES,
    partial_date_problem,
)

READERS = {ANALYST, REVIEWER, SENIOR_REVIEWER, AUDITOR}
WRITERS = {ANALYST}
TAGS = ["customers"]
STAFF_INTEGRATION = "staff"  # the namespace of external references entered by signed-in staff
ADDRESS_TYPES = ("residential", "registered", "business", "correspondence", "other")
DOCUMENT_TYPES = ("passport", "national_id", "driving_licence", "residence_permit", "other")
_VERSION = re.compile(r"^(?:W/)?\"?([0-9]{1,12})\"?$")


# --- fields and serializer building blocks ---------------------------------------------------


@extend_schema_field(
    {"type": "string", "enum": sorted(COUNTRIES), "description": "ISO 3166-1 alpha-2 country code."},
    component_name="CountryCode",
)
class CountryField(serializers.ChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=sorted(COUNTRIES), **kwargs)
        self.error_messages["invalid_choice"] = (
            "'{input}' is not an ISO 3166-1 alpha-2 country code (two capital letters, e.g. GB, DE, US)."
        )


@extend_schema_field({"type": "string", "pattern": PARTIAL_DATE_PATTERN, "example": "1980-04",
                      "description": "A date in the past: YYYY-MM-DD, or partial as YYYY-MM or YYYY."})
class PartialDateField(serializers.CharField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        problem = partial_date_problem(value)
        if problem:
            raise serializers.ValidationError(problem)
        return value


class StrictSerializer(serializers.Serializer):
    """Rejects fields it does not declare, naming each (a typo must not be silently dropped)."""

    fixed_fields: Mapping[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            errors = {
                str(name): [self.fixed_fields.get(
                    str(name), f"Unknown field '{name}'; see the API schema for the fields of this request.")]
                for name in data if name not in self.fields or self.fields[str(name)].read_only
            }
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def _names(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=300), max_length=20, **kwargs)


def _countries(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=CountryField(), max_length=10, **kwargs)


def _labels(**kwargs: Any) -> serializers.ListField:
    return serializers.ListField(child=serializers.CharField(max_length=64), max_length=30, **kwargs)


class AddressSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=ADDRESS_TYPES, default="residential")
    line1 = serializers.CharField(max_length=200)
    line2 = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = CountryField()


class IdentityDocumentSerializer(StrictSerializer):
    type = serializers.ChoiceField(choices=DOCUMENT_TYPES)
    number = serializers.CharField(max_length=64)
    issuing_country = CountryField(required=False)
    expiry_date = serializers.DateField(required=False)


class AddressOutputSerializer(serializers.Serializer):
    type = serializers.CharField()
    line1 = serializers.CharField()
    line2 = serializers.CharField(required=False)
    city = serializers.CharField()
    postal_code = serializers.CharField(required=False)
    region = serializers.CharField(required=False)
    country = serializers.CharField()


class IdentityDocumentOutputSerializer(serializers.Serializer):
    type = serializers.CharField()
    number = serializers.CharField()
    issuing_country = serializers.CharField(required=False)
    expiry_date = serializers.CharField(required=False)


class CustomerOutputSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    customer_type = serializers.ChoiceField(choices=CUSTOMER_TYPES)
    legal_name = serializers.CharField()
    other_names = serializers.ListField(child=serializers.CharField())
    former_names = serializers.ListField(child=serializers.CharField())
    date_of_birth = serializers.CharField(allow_null=True)
    nationalities = serializers.ListField(child=serializers.CharField())
    country_of_residence = serializers.CharField(allow_null=True)
    occupation = serializers.CharField(allow_null=True)
    pep_status = serializers.ChoiceField(choices=PEP_STATUSES, allow_null=True,
                                         help_text="Declared politically exposed person status (individuals).")
    registration_number = serializers.CharField(allow_null=True)
    jurisdiction = serializers.CharField(allow_null=True)
    lei = serializers.CharField(allow_null=True)
    legal_form = serializers.CharField(allow_null=True)
    industry_code = serializers.CharField(allow_null=True)
    incorporation_date = serializers.CharField(allow_null=True)
    addresses = AddressOutputSerializer(many=True)
    identity_documents = IdentityDocumentOutputSerializer(many=True)
    products = serializers.ListField(child=serializers.CharField())
    channels = serializers.ListField(child=serializers.CharField())
    operating_countries = serializers.ListField(child=serializers.CharField())
    status = serializers.ChoiceField(choices=STATUSES)
    risk_rating = serializers.ChoiceField(choices=RISK_RATINGS, allow_null=True)
    cdd_level = serializers.ChoiceField(choices=CDD_LEVELS, allow_null=True)
    next_review_date = serializers.CharField(allow_null=True)
    last_review_date = serializers.CharField(allow_null=True)
    risk_assessment_id = serializers.CharField(
        allow_null=True, help_text="The risk assessment behind the rating: GET /customers/{id}/risk.")
    confirmed_match_alerts = serializers.ListField(
        child=serializers.CharField(), help_text="Alerts a reviewer confirmed as true matches (screening sets it).")
    integration = serializers.CharField()
    external_reference = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


class HoldingOutputSerializer(serializers.Serializer):
    parent_party_id = serializers.CharField(allow_null=True, help_text="The entity party held; null: the customer.")
    percentage = serializers.FloatField()


class PartyOutputSerializer(serializers.Serializer):
    party_id = serializers.CharField()
    customer_id = serializers.CharField()
    party_type = serializers.ChoiceField(choices=CUSTOMER_TYPES)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=PARTY_ROLES))
    name = serializers.CharField()
    other_names = serializers.ListField(child=serializers.CharField())
    date_of_birth = serializers.CharField(allow_null=True)
    nationalities = serializers.ListField(child=serializers.CharField())
    country_of_residence = serializers.CharField(allow_null=True)
    registration_number = serializers.CharField(allow_null=True)
    jurisdiction = serializers.CharField(allow_null=True)
    ownership_percentage = serializers.FloatField(
        allow_null=True, help_text="The first holding's percentage (see holdings); kept for older clients.")
    parent_party_id = serializers.CharField(
        allow_null=True, help_text="The first holding's parent (see holdings); without holdings, the entity party "
                                   "this party relates to without a share (e.g. as its director).")
    holdings = HoldingOutputSerializer(many=True, help_text="Every share this party holds; always present.")
    linked_customer_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    version = serializers.IntegerField()


# --- request plumbing ------------------------------------------------------------------------


class MethodRolesApi(APIView):
    """``required_roles`` per HTTP method, for views that serve several operations on one path."""

    roles_by_method: Mapping[str, set[str]] = {}

    @property
    def required_roles(self) -> set[str]:
        method = self.request.method or "GET"
        return self.roles_by_method.get("GET" if method == "HEAD" else method, set())


def _integration(request: Request) -> str:
    """The namespace of external references: the integration account behind an API key, or staff."""
    if isinstance(request.auth, ApiKey):
        return str(request.user.get_username())
    return STAFF_INTEGRATION


def _etag(version: int | None) -> str:
    return f'"{version or 0}"'


def _expected_version(request: Request) -> int:
    """The version the client last read, from If-Match (428 without it)."""
    header = (request.headers.get("If-Match") or "").strip()
    if not header:
        raise PreconditionRequired(
            "Send If-Match with the ETag of your last GET of this record, so your change cannot overwrite "
            "someone else's."
        )
    tokens = [token.strip() for token in header.split(",") if token.strip()]
    if "*" in tokens:
        raise PreconditionRequired("If-Match: * is not accepted here; send the ETag you read, e.g. \"3\".")
    for token in tokens:
        match = _VERSION.match(token)
        if match:
            return int(match.group(1))
    raise ValidationFailed("If-Match is not an ETag of this API.",
                           errors={"If-Match": ['Send the ETag header value you received, e.g. "3".']})


def _claim(request: Request, actor: Actor) -> IdempotencyClaim | None:
    return idempotency_claim_build(actor=actor, key=request.headers.get(IDEMPOTENCY_HEADER), method="POST",
                                   path=request.path, body=request.data)


def _replay(record: IdempotencyRecord, render: Callable[[str], dict[str, Any]]) -> Response:
    body = record.response_body if record.response_body is not None else render(record.resource_id)
    return Response(body, status=int(record.status_code),
                    headers={"Idempotent-Replayed": "true", "ETag": _etag(body.get("version"))})


def _idempotent_post(request: Request, *, actor: Actor, create: Callable[[IdempotencyClaim | None], dict[str, Any]],
                     render: Callable[[str], dict[str, Any]], location: Callable[[dict[str, Any]], str]) -> Response:
    """Run ``create`` once per Idempotency-Key; replay the first outcome to retries."""
    claim = _claim(request, actor)
    if claim is not None:
        record = idempotency_record_get(claim=claim)
        if record is not None:
            return _replay(record, render)
    try:
        body = create(claim)
    except IdempotencyKeyClaimed:
        assert claim is not None
        record = idempotency_record_get(claim=claim)
        if record is None:  # claimed, then expired in between: vanishingly rare, but not a 500
            raise Conflict("A request with this Idempotency-Key was being processed; retry it.") from None
        return _replay(record, render)
    if claim is not None:
        idempotency_response_store(claim=claim, body=body)
    return Response(body, status=201, headers={"ETag": _etag(body["version"]), "Location": location(body)})


IF_MATCH = OpenApiParameter(
    "If-Match", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
    description='The ETag from your last read of this record, e.g. "3". Missing: 428. Stale: 412.',
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (e.g. a UUID), kept 24 hours per caller. A retry with the same key and "
                "body returns the first result (header Idempotent-Replayed: true) and creates nothing; the same "
                "key with another body is a 422.",
)
NOT_FOUND = {404: error("No such customer (or related party).")}
UNAVAILABLE = {503: error("The database did not complete the write; retry (POST: with the same Idempotency-Key).")}
STALE = {
    **UNAVAILABLE,
    412: error("If-Match does not match the current version: someone changed the record; GET it again."),
    428: error("If-Match is missing (or *): send the ETag you read."),
}
POST_ERRORS = {
    **UNAVAILABLE,
    409: error("The external reference is taken, or the parties changed concurrently."),
    422: error("The Idempotency-Key was used before with a different request body."),
}


# --- customers -------------------------------------------------------------------------------


class CustomerCreateInputSerializer(StrictSerializer):
    customer_type = serializers.ChoiceField(choices=CUSTOMER_TYPES)
    legal_name = serializers.CharField(max_length=300)
    other_names = _names(required=False)
    former_names = _names(required=False)
    date_of_birth = PartialDateField(required=False, allow_null=True)
    nationalities = _countries(required=False)
    country_of_residence = CountryField(required=False, allow_null=True)
    occupation = serializers.CharField(max_length=200, required=False, allow_null=True)
    pep_status = serializers.ChoiceField(choices=PEP_STATUSES, required=False, allow_null=True)
    registration_number = serializers.CharField(max_length=100, required=False, allow_null=True)
    jurisdiction = CountryField(required=False, allow_null=True)
    lei = serializers.CharField(max_length=20, required=False, allow_null=True)
    legal_form = serializers.CharField(max_length=100, required=False, allow_null=True)
    industry_code = serializers.CharField(max_length=20, required=False, allow_null=True)
    incorporation_date = PartialDateField(required=False, allow_null=True)
    addresses = serializers.ListField(child=AddressSerializer(), required=False, max_length=10)
    identity_documents = serializers.ListField(child=IdentityDocumentSerializer(), required=False, max_length=10)
    products = _labels(required=False)
    channels = _labels(required=False)
    operating_countries = _countries(required=False)
    status = serializers.ChoiceField(choices=INITIAL_STATUSES, default="prospect")
    next_review_date = serializers.DateField(required=False, allow_null=True)
    external_reference = serializers.CharField(
        max_length=128, required=False, allow_null=True,
        help_text="The integration's own id for this customer; unique per integration.",
    )


class CustomerUpdateInputSerializer(StrictSerializer):
    fixed_fields = {
        "customer_type": "The customer type cannot change; create a new customer instead.",
        "external_reference": "The external reference is fixed at creation.",
        "risk_rating": "The risk rating is set by the risk assessment, not through this endpoint.",
        "cdd_level": "The CDD level is set by the risk assessment, not through this endpoint.",
    }
    legal_name = serializers.CharField(max_length=300, required=False)
    other_names = _names(required=False)
    former_names = _names(required=False)
    date_of_birth = PartialDateField(required=False, allow_null=True)
    nationalities = _countries(required=False)
    country_of_residence = CountryField(required=False, allow_null=True)
    occupation = serializers.CharField(max_length=200, required=False, allow_null=True)
    pep_status = serializers.ChoiceField(choices=PEP_STATUSES, required=False, allow_null=True)
    registration_number = serializers.CharField(max_length=100, required=False, allow_null=True)
    jurisdiction = CountryField(required=False, allow_null=True)
    lei = serializers.CharField(max_length=20, required=False, allow_null=True)
    legal_form = serializers.CharField(max_length=100, required=False, allow_null=True)
    industry_code = serializers.CharField(max_length=20, required=False, allow_null=True)
    incorporation_date = PartialDateField(required=False, allow_null=True)
    addresses = serializers.ListField(child=AddressSerializer(), required=False, max_length=10)
    identity_documents = serializers.ListField(child=IdentityDocumentSerializer(), required=False, max_length=10)
    products = _labels(required=False)
    channels = _labels(required=False)
    operating_countries = _countries(required=False)
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    next_review_date = serializers.DateField(required=False, allow_null=True)


class CustomerListFilterSerializer(StrictSerializer):
    q = serializers.CharField(
        required=False, trim_whitespace=False,
        help_text=f"Find customers by any word of any of their names (legal, other, former) or of their related "
                  f"parties' names, accent- and case-insensitive, one typo per word of {search.TYPO_MIN_LENGTH}+ "
                  f"letters tolerated; or by external reference (of any integration you may see) or customer id. "
                  f"{search.Q_MIN_LENGTH} to {search.Q_MAX_LENGTH} characters, at most {search.Q_MAX_WORDS} words. "
                  "Ranked and capped at limit (at most 50); not combined with the other filters or a cursor.",
    )
    status = serializers.ChoiceField(choices=STATUSES, required=False)
    risk_rating = serializers.ChoiceField(choices=RISK_RATINGS, required=False)
    next_review_before = serializers.DateField(required=False)
    name_prefix = serializers.CharField(max_length=100, required=False)
    external_reference = serializers.CharField(max_length=128, required=False)
    integration = serializers.CharField(max_length=150, required=False,
                                        help_text="Whose external reference (default: yours).")
    limit = serializers.IntegerField(min_value=1, max_value=selectors.MAX_LIMIT, default=50)
    cursor = serializers.CharField(max_length=4000, required=False)


class NameHitSerializer(serializers.Serializer):
    query_word = serializers.CharField(help_text="The word of q (folded) that matched.")
    word = serializers.CharField(help_text="The recorded word it matched (folded).")
    field = serializers.ChoiceField(choices=sorted(search.FIELD_LABELS),
                                    help_text="Which name: the customer's own, or a related party's.")
    name = serializers.CharField(help_text="The whole name the word is part of, as recorded.")
    typo = serializers.BooleanField(help_text="Matched within one typo rather than exactly.")
    party_id = serializers.CharField(allow_null=True, help_text="The related party whose name matched, if any.")
    party_name = serializers.CharField(allow_null=True)


class SearchMatchSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    matched_by = serializers.ChoiceField(choices=["name", "external_reference", "id"])
    words_matched = serializers.IntegerField(help_text="How many words of q this customer matched.")
    hits = NameHitSerializer(many=True)


class CustomerPageSerializer(serializers.Serializer):
    results = CustomerOutputSerializer(many=True)
    next_cursor = serializers.CharField(allow_null=True, help_text="Pass as ?cursor= for the next page.")
    matches = SearchMatchSerializer(
        many=True, required=False,
        help_text="With q only: why each result matched, in the order of results (best first).")
    truncated = serializers.BooleanField(
        required=False, help_text="With q only: more customers matched than listed; add a word to narrow it.")


def _customer_body(customer: Any) -> dict[str, Any]:
    data = {**customer.as_dict(), "created_at": customer.created_at, "updated_at": customer.updated_at,
            "version": customer.version}
    return dict(CustomerOutputSerializer(data).data)


def _customer_render(customer_id: str) -> dict[str, Any]:
    return _customer_body(selectors.customer_get(customer_id=customer_id, consistent=True))


class CustomerCollectionApi(MethodRolesApi):
    """GET: list customers by one of the indexed filters. POST: create a customer."""
    integration_scope = "filtered"

    roles_by_method = {"GET": READERS, "POST": WRITERS}
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="customers_list", tags=TAGS, parameters=[CustomerListFilterSerializer],
        description="Needs q or at least one filter: status, risk_rating, next_review_before, name_prefix (2+ "
                    "characters) or external_reference. Status and risk rating list the most recently updated "
                    "first; next_review_before lists the earliest review first; name_prefix in name order. "
                    "q searches every name (see the parameter) and lists the best matches first: every word of "
                    "q matched before some, exact words before typos, the customer's own names before its "
                    "parties'; `matches` says what matched. A q that is too short or too long is a 400 naming q.",
        responses={200: CustomerPageSerializer, **ERROR_RESPONSES},
    )
    def get(self, request: Request) -> Response:
        query = CustomerListFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        args = dict(query.validated_data)
        limit, cursor = args.pop("limit"), args.pop("cursor", None)
        confined = integration_confined(request)
        if "q" in request.query_params and "q" not in args:  # DRF reads a blank query parameter as absent
            problem = search.search_query_problem("") or ""
            raise ValidationFailed(f"The search is not valid: {problem}", errors={"q": [problem]})
        if "q" in args:
            return self._search(q=args.pop("q"), others=args, cursor=cursor, limit=limit, confined=confined)
        if confined is not None:
            if args.get("integration", confined) != confined:
                raise Forbidden("This API key reaches only its own integration's customers.", errors={
                    "integration": [f"leave it out or give '{confined}'; looking up another integration's "
                                    "references needs the scope integrations:all"]})
            args["owner"] = confined
        if args.get("external_reference") and not args.get("integration"):
            args["integration"] = _integration(request)
        page = selectors.customer_list(filters=selectors.CustomerFilters(**args), limit=limit, cursor=cursor)
        return Response({"results": [_customer_body(c) for c in page.results], "next_cursor": page.next_cursor})

    def _search(self, *, q: str, others: dict[str, Any], cursor: str | None, limit: int,
                confined: str | None) -> Response:
        errors = {name: ["q is not combined with other filters; search with q alone."] for name in others}
        if cursor:
            errors["cursor"] = ["A search has one ranked page; leave cursor out."]
        if limit > search.MAX_LIMIT:
            errors["limit"] = [f"A search lists at most {search.MAX_LIMIT} customers."]
        if errors:
            raise ValidationFailed("The search is not valid: check " + ", ".join(sorted(errors)) + ".", errors=errors)
        outcome = search.customer_search(q=q, owner=confined, limit=limit)
        return Response({
            "results": [_customer_body(r.customer) for r in outcome.results],
            "next_cursor": None,
            "matches": [{"customer_id": r.customer.customer_id, "matched_by": r.matched_by,
                         "words_matched": r.words_matched,
                         "hits": [{"query_word": h.query_word, "word": h.word, "field": h.field, "name": h.name,
                                   "typo": h.typo, "party_id": h.party_id, "party_name": h.party_name}
                                  for h in r.hits]} for r in outcome.results],
            "truncated": outcome.truncated,
        })

    @extend_schema(
        operation_id="customers_create", tags=TAGS, request=CustomerCreateInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        description="Individuals need legal_name, date_of_birth, nationalities and country_of_residence; legal "
                    "entities need legal_name, registration_number and jurisdiction. Unknown fields are refused.",
        responses={201: CustomerOutputSerializer, **ERROR_RESPONSES, **POST_ERRORS},
    )
    def post(self, request: Request) -> Response:
        actor = Actor.from_request(request)

        def create(claim: IdempotencyClaim | None) -> dict[str, Any]:
            data = CustomerCreateInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            customer = services.customer_create(actor=actor, data=data.validated_data,
                                                integration=_integration(request), idempotency=claim)
            return _customer_body(customer)

        return _idempotent_post(request, actor=actor, create=create, render=_customer_render,
                                location=lambda body: f"/api/v1/customers/{body['customer_id']}")


class CustomerDetailApi(CustomerOwned, MethodRolesApi):
    """GET: one customer record (not audited; see the profile). PATCH: change it (If-Match)."""

    roles_by_method = {"GET": READERS, "PATCH": WRITERS}
    required_scopes = {"GET": "customers:read", "PATCH": "customers:write"}
    parser_classes = [JSONParser]

    @extend_schema(operation_id="customers_retrieve", tags=TAGS,
                   responses={200: CustomerOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND})
    def get(self, request: Request, customer_id: str) -> Response:
        customer = selectors.customer_get(customer_id=customer_id)
        return Response(_customer_body(customer), headers={"ETag": _etag(customer.version)})

    @extend_schema(
        operation_id="customers_update", tags=TAGS, request=CustomerUpdateInputSerializer, parameters=[IF_MATCH],
        description="Send only the fields that change. Status moves prospect → onboarding → active ⇄ suspended, "
                    "and any status → exited.",
        responses={200: CustomerOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND, **STALE},
    )
    def patch(self, request: Request, customer_id: str) -> Response:
        expected = _expected_version(request)
        data = CustomerUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = services.customer_update(customer_id=customer_id, expected_version=expected,
                                            changes=data.validated_data, actor=Actor.from_request(request))
        return Response(_customer_body(customer), headers={"ETag": _etag(customer.version)})


class CustomerProfileOutputSerializer(serializers.Serializer):
    customer = CustomerOutputSerializer()
    related_parties = PartyOutputSerializer(many=True)


def _party_body(party: Any) -> dict[str, Any]:
    data = {**party.as_dict(), "created_at": party.created_at, "updated_at": party.updated_at,
            "version": party.version}
    return dict(PartyOutputSerializer(data).data)


class CustomerProfileApi(CustomerOwned, APIView):
    """The full profile: the customer and all its related parties. Each read is recorded (customer.viewed)."""

    required_roles = READERS
    required_scopes = {"GET": "customers:read"}

    @extend_schema(operation_id="customers_profile", tags=TAGS,
                   responses={200: CustomerProfileOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND})
    def get(self, request: Request, customer_id: str) -> Response:
        customer, parties = services.customer_profile_view(customer_id=customer_id, actor=Actor.from_request(request))
        return Response({"customer": _customer_body(customer), "related_parties": [_party_body(p) for p in parties]},
                        headers={"ETag": _etag(customer.version)})


# --- related parties -------------------------------------------------------------------------


class HoldingInputSerializer(StrictSerializer):
    parent_party_id = serializers.CharField(
        max_length=40, required=False, allow_null=True,
        help_text="The entity party (of the same customer) held; null or absent: the customer itself.")
    percentage = StrictFloatField(min_value=0, max_value=100)

    def validate_percentage(self, value: float) -> float:
        return round(value, 4)


class RelatedPartyAddInputSerializer(StrictSerializer):
    party_type = serializers.ChoiceField(choices=CUSTOMER_TYPES)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=PARTY_ROLES), min_length=1,
                                  max_length=len(PARTY_ROLES))
    name = serializers.CharField(max_length=300)
    other_names = _names(required=False)
    date_of_birth = PartialDateField(required=False, allow_null=True)
    nationalities = _countries(required=False)
    country_of_residence = CountryField(required=False, allow_null=True)
    registration_number = serializers.CharField(max_length=100, required=False, allow_null=True)
    jurisdiction = CountryField(required=False, allow_null=True)
    ownership_percentage = StrictFloatField(min_value=0, max_value=100, required=False, allow_null=True)
    parent_party_id = serializers.CharField(
        max_length=40, required=False, allow_null=True,
        help_text="Set when this party holds a share of another (entity) party of the same customer.",
    )
    holdings = serializers.ListField(
        child=HoldingInputSerializer(), required=False, max_length=20,
        help_text="Every share this party holds, one per entity (the customer, or an entity party): replaces "
                  "ownership_percentage/parent_party_id, which describe one holding (sending both is a 400).",
    )
    linked_customer_id = serializers.CharField(
        max_length=40, required=False, allow_null=True,
        help_text="Set when this entity is itself a customer; its own parties continue the ownership chain.",
    )

    def validate_ownership_percentage(self, value: float | None) -> float | None:
        return None if value is None else round(value, 4)


class RelatedPartyUpdateInputSerializer(RelatedPartyAddInputSerializer):
    fixed_fields = {"party_type": "The party type cannot change; remove the party and add a new one."}
    party_type = None  # type: ignore[assignment]
    roles = serializers.ListField(child=serializers.ChoiceField(choices=PARTY_ROLES), min_length=1,
                                  max_length=len(PARTY_ROLES), required=False)
    name = serializers.CharField(max_length=300, required=False)


class RelatedPartyCollectionApi(CustomerOwned, MethodRolesApi):
    """GET: the related parties of a customer. POST: add one (legal entity customers only)."""

    roles_by_method = {"GET": READERS, "POST": WRITERS}
    required_scopes = {"GET": "customers:read", "POST": "customers:write"}
    parser_classes = [JSONParser]

    @extend_schema(operation_id="customers_related_parties_list", tags=TAGS,
                   responses={200: PartyOutputSerializer(many=True), **ERROR_RESPONSES, **NOT_FOUND})
    def get(self, request: Request, customer_id: str) -> Response:
        selectors.customer_get(customer_id=customer_id)
        return Response([_party_body(p) for p in selectors.related_party_list(customer_id=customer_id)])

    @extend_schema(
        operation_id="customers_related_parties_add", tags=TAGS, request=RelatedPartyAddInputSerializer,
        parameters=[IDEMPOTENCY_KEY],
        description="The percentages of all holdings of one entity (the customer, or an entity party), over all "
                    "parties, may not sum above 100. Send holdings, or for one holding ownership_percentage and "
                    "parent_party_id; responses show holdings, and the first holding in the two older fields.",
        responses={201: PartyOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND, **POST_ERRORS},
    )
    def post(self, request: Request, customer_id: str) -> Response:
        actor = Actor.from_request(request)

        def create(claim: IdempotencyClaim | None) -> dict[str, Any]:
            data = RelatedPartyAddInputSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            party = services.related_party_add(customer_id=customer_id, data=data.validated_data, actor=actor,
                                               idempotency=claim)
            return _party_body(party)

        def render(resource_id: str) -> dict[str, Any]:
            owner, party_id = resource_id.split("/", 1)
            return _party_body(selectors.related_party_get(customer_id=owner, party_id=party_id, consistent=True))

        return _idempotent_post(
            request, actor=actor, create=create, render=render,
            location=lambda body: f"/api/v1/customers/{customer_id}/related-parties/{body['party_id']}",
        )


class RelatedPartyDetailApi(CustomerOwned, MethodRolesApi):
    """GET one related party; PATCH or DELETE it with If-Match."""

    roles_by_method = {"GET": READERS, "PATCH": WRITERS, "DELETE": WRITERS}
    required_scopes = {"GET": "customers:read", "PATCH": "customers:write", "DELETE": "customers:write"}
    parser_classes = [JSONParser]

    @extend_schema(operation_id="customers_related_parties_retrieve", tags=TAGS,
                   responses={200: PartyOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND})
    def get(self, request: Request, customer_id: str, party_id: str) -> Response:
        party = selectors.related_party_get(customer_id=customer_id, party_id=party_id)
        return Response(_party_body(party), headers={"ETag": _etag(party.version)})

    @extend_schema(operation_id="customers_related_parties_update", tags=TAGS,
                   request=RelatedPartyUpdateInputSerializer, parameters=[IF_MATCH],
                   responses={200: PartyOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND, **STALE,
                              409: error("The parties of this customer changed concurrently; retry.")})
    def patch(self, request: Request, customer_id: str, party_id: str) -> Response:
        expected = _expected_version(request)
        data = RelatedPartyUpdateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        party = services.related_party_update(customer_id=customer_id, party_id=party_id, expected_version=expected,
                                              changes=data.validated_data, actor=Actor.from_request(request))
        return Response(_party_body(party), headers={"ETag": _etag(party.version)})

    @extend_schema(operation_id="customers_related_parties_remove", tags=TAGS, parameters=[IF_MATCH],
                   responses={204: OpenApiResponse(description="Removed."), **ERROR_RESPONSES, **NOT_FOUND, **STALE,
                              409: error("The party still has holders, or the parties changed concurrently.")})
    def delete(self, request: Request, customer_id: str, party_id: str) -> Response:
        expected = _expected_version(request)
        services.related_party_remove(customer_id=customer_id, party_id=party_id, expected_version=expected,
                                      actor=Actor.from_request(request))
        return Response(status=204)


# --- ownership -------------------------------------------------------------------------------


class OwnershipNodeSerializer(serializers.Serializer):
    node_id = serializers.CharField()
    kind = serializers.ChoiceField(choices=CUSTOMER_TYPES)
    name = serializers.CharField()
    roles = serializers.ListField(child=serializers.CharField())
    recorded_on = serializers.CharField(help_text="The customer whose related parties record this node.")
    effective_percentage = serializers.FloatField(help_text="Share of the customer held, over all paths.")
    beneficial_owner = serializers.BooleanField(help_text="An individual at or above the threshold.")
    merged_party_ids = serializers.ListField(
        child=serializers.CharField(),
        help_text="The party records this node stands for when one person was recorded more than once (same "
                  "normalised name and full date of birth); empty otherwise.")
    unidentified_share = serializers.FloatField(
        allow_null=True, help_text="Entities (and the customer): % of it not traced to individuals; null for people.")
    recorded_share = serializers.FloatField(
        allow_null=True, help_text="Entities (and the customer): sum of the holdings recorded of it.")


class OwnershipPathPartySerializer(serializers.Serializer):
    node_id = serializers.CharField()
    name = serializers.CharField()
    percentage = serializers.FloatField(help_text="This party's share of the next one down the path (the last "
                                                  "party's: of the customer).")


class OwnershipPathSerializer(serializers.Serializer):
    parties = OwnershipPathPartySerializer(many=True, help_text="From the owner down to the customer's holder.")
    product = serializers.FloatField(help_text="% of the customer held along this path: the product of the shares.")


class OwnershipOwnerSerializer(serializers.Serializer):
    node_id = serializers.CharField()
    kind = serializers.ChoiceField(choices=CUSTOMER_TYPES)
    name = serializers.CharField()
    recorded_on = serializers.CharField(help_text="The customer whose related parties record this owner.")
    effective_percentage = serializers.FloatField(help_text="% of the customer held: the sum over all paths.")
    beneficial_owner = serializers.BooleanField(help_text="An individual at or above the threshold.")
    merged_party_ids = serializers.ListField(
        child=serializers.CharField(), help_text="The records merged into this owner; empty if recorded once.")
    paths = OwnershipPathSerializer(many=True)


class OwnershipOutputSerializer(serializers.Serializer):
    customer_id = serializers.CharField()
    threshold = serializers.FloatField()
    algorithm = serializers.CharField()
    nodes = OwnershipNodeSerializer(many=True)
    beneficial_owners = serializers.ListField(child=serializers.CharField(),
                                              help_text="Computed: individuals at or above the threshold.")
    declared_beneficial_owners = serializers.ListField(child=serializers.CharField(),
                                                       help_text="Parties recorded with the beneficial_owner role.")
    unresolved_entities = serializers.ListField(
        child=serializers.CharField(), help_text="Entities at or above the threshold whose holders are unknown.")
    cycles = serializers.ListField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Circular ownership, each as a closed path of node ids.")
    tree = serializers.DictField(help_text="Nested {node_id, percentage, effective_percentage, cycle, children}.")
    incomplete = serializers.BooleanField(help_text="True if the walk stopped at its size limit.")
    owners = OwnershipOwnerSerializer(many=True, help_text="Everyone holding the customer, once each (records of "
                                                           "one person merged), largest share first.")
    unidentified_share = serializers.FloatField(help_text="% of the customer not traced to individuals.")
    unidentified_limit = serializers.FloatField(help_text="CDD_UBO_UNIDENTIFIED_MAX: above it, a risk factor.")
    unidentified_above_limit = serializers.BooleanField()
    layers = serializers.IntegerField(help_text="The longest chain of holdings from the customer to a holder.")


class CustomerOwnershipApi(CustomerOwned, APIView):
    """The ownership tree of a customer, owners with their paths, beneficial owners, cycles and what is unidentified."""

    required_roles = READERS
    required_scopes = {"GET": "customers:read"}

    @extend_schema(operation_id="customers_ownership", tags=TAGS,
                   responses={200: OwnershipOutputSerializer, **ERROR_RESPONSES, **NOT_FOUND})
    def get(self, request: Request, customer_id: str) -> Response:
        view = selectors.ownership_get(customer_id=customer_id)
        result = view.result
        nodes = [
            {"node_id": node.node_id, "kind": node.kind, "name": node.name, "roles": list(node.roles),
             "recorded_on": view.holders_of.get(node.node_id, customer_id),
             "effective_percentage": round(result.effective.get(node.node_id, 100.0 if node.node_id == customer_id
                                                                else 0.0), 4),
             "beneficial_owner": node.node_id in result.beneficial_owners,
             "merged_party_ids": list(result.merged.get(node.node_id, ())),
             "unidentified_share": result.unidentified.get(node.node_id),
             "recorded_share": result.recorded_share.get(node.node_id)}
            for node in view.nodes.values() if node.node_id not in result.aliases
        ]
        owners = [
            {"node_id": owner.node.node_id, "kind": owner.node.kind, "name": owner.node.name,
             "recorded_on": owner.recorded_on, "effective_percentage": owner.effective_percentage,
             "beneficial_owner": owner.beneficial_owner, "merged_party_ids": owner.merged_party_ids,
             "paths": [{"parties": [{"node_id": step.node_id, "name": step.name, "percentage": step.percentage}
                                    for step in path.steps], "product": path.product} for path in owner.paths]}
            for owner in view.owners()
        ]
        body = {
            "customer_id": customer_id, "threshold": result.threshold, "algorithm": result.algorithm, "nodes": nodes,
            "beneficial_owners": result.beneficial_owners, "declared_beneficial_owners": view.declared_beneficial_owners,
            "unresolved_entities": result.unresolved_entities, "cycles": [list(c) for c in result.cycles],
            "tree": result.tree.as_dict(), "incomplete": view.incomplete or result.truncated,
            "owners": owners, "unidentified_share": result.unidentified_share,
            "unidentified_limit": view.unidentified_limit, "unidentified_above_limit": view.unidentified_above_limit,
            "layers": result.layers,
        }
        return Response(OwnershipOutputSerializer(body).data)
