"""Customers, their related parties, and the guards that keep writes unique and retries safe.

Table ``customers`` — one item per customer (individual or legal entity).

| question (who asks) | served by |
|---|---|
| a customer by id (API GET/PATCH, every other app) | GetItem ``customer_id`` |
| a customer by the integration's own reference (API list ``external_reference``) | GetItem on ``customer_external_refs`` (``ref_key``), then GetItem here |
| customers in a status, most recently updated first (work queues) | Query ``CustomerByStatusIndex`` (``status``, ``updated_at``) |
| customers of a risk rating, most recently updated first | Query ``CustomerByRiskRatingIndex`` (``risk_rating``, ``updated_at``); sparse: unrated customers are absent |
| customers due for periodic review before a date (beat job, API ``next_review_before``) | Query ``CustomerByNextReviewIndex`` (``review_bucket``, ``next_review_date`` < d); sparse |
| customers whose normalised name starts with a prefix (search in the UIs) | Query ``CustomerByNamePrefixIndex`` (``name_prefix`` = first 2 characters, ``name_norm`` begins_with prefix) |

``review_bucket`` is the constant ``"due"`` on customers that have a review date: one partition
of the index holds the whole review calendar, ordered by date. Review dates change a few times a
year per customer, far below a partition's write limit; shard it (``due#<n>``) if that changes.

Table ``customer_external_refs`` — the uniqueness guard of external references. One item per
``<integration>#<external_reference>``, written in the same transaction as the customer with
``attribute_not_exists``: two creates with one reference cannot both commit. It is also the
lookup by reference (a strongly consistent GetItem, unlike a GSI).

Table ``related_parties`` — the parties of a legal entity, in the entity's partition.

| question | served by |
|---|---|
| every party of a customer (profile, ownership tree, screening) | Query ``customer_id`` with ``party_id`` begins_with ``rp_`` |
| one party (API PATCH/DELETE) | GetItem (``customer_id``, ``party_id``) |
| where a customer appears as a shareholder of others (ownership upwards) | Query ``RelatedPartyByLinkedCustomerIndex`` (``linked_customer_id``); sparse |

Each partition also holds one ``party_id = "_head"`` item whose version every party write bumps
in its transaction, so concurrent writes to one entity's parties serialise and the
"children of one entity sum to at most 100%" rule cannot be broken by a race.

Table ``customer_name_tokens`` — the name-token index behind "find anyone" (``search.customer_search``):
one item per (key, subject), where a subject is a customer's own names (``<customer_id>#customer``)
or one related party's (``<customer_id>#<party_id>``). Keys are every folded word of the customer's
legal, other and former names and of each party's name and other names, each word's one-character
deletions (words of 4+ characters; symmetric deletion, see ``search_keys``), and the external
reference (``#ref#<reference>``). ``words`` lists which of the subject's words, from which name,
produced the key, so a hit says what matched without reading the customer.

| question | served by |
|---|---|
| which subjects have a word within one typo of this word (web search, API ``q``) | Query ``token_key`` for each key of the query word (itself and its deletions: n + 1 Queries for n letters) |
| the customer with this external reference, of any integration (web search) | Query ``token_key`` = ``#ref#<reference>`` |
| which keys does a subject hold (index repair, rebuild) | Query ``NameTokenBySubjectIndex`` (``subject_key``); keys only |

Written in the same transaction as the customer or party write that changes the names (the diff of
the old and new names' keys: stale keys deleted, new ones put); a diff larger than
``name_index.TX_BUDGET`` items goes through the outbox (topic ``customers.name_index``) instead,
whose handler re-derives the subject's keys from the record. ``manage.py name_index_rebuild``
rebuilds the whole index offline.

Table ``idempotency_keys`` — the first outcome of a POST sent with ``Idempotency-Key``, per caller.
GetItem ``scoped_key`` (``<caller>#<key>``); items expire through the ``expires_at`` TTL attribute
(and are treated as absent once expired, whether or not DynamoDB has removed them yet).
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
    VersionAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection

from apps.core.dynamo import CddModel, TableMeta

REVIEW_BUCKET = "due"
PARTY_HEAD = "_head"
PARTY_PREFIX = "rp_"
CUSTOMER_PREFIX = "cus_"


class CustomerByStatusIndex(GlobalSecondaryIndex["Customer"]):
    """Which customers are in this status, most recently updated first?"""

    class Meta:
        index_name = "by-status"
        projection = AllProjection()

    status = UnicodeAttribute(hash_key=True)
    updated_at = UTCDateTimeAttribute(range_key=True)


class CustomerByRiskRatingIndex(GlobalSecondaryIndex["Customer"]):
    """Which customers carry this risk rating, most recently updated first?"""

    class Meta:
        index_name = "by-risk-rating"
        projection = AllProjection()

    risk_rating = UnicodeAttribute(hash_key=True)
    updated_at = UTCDateTimeAttribute(range_key=True)


class CustomerByNextReviewIndex(GlobalSecondaryIndex["Customer"]):
    """Whose periodic review falls before a date?"""

    class Meta:
        index_name = "by-next-review"
        projection = AllProjection()

    review_bucket = UnicodeAttribute(hash_key=True)
    next_review_date = UnicodeAttribute(range_key=True)


class CustomerByNamePrefixIndex(GlobalSecondaryIndex["Customer"]):
    """Whose normalised name starts with what the user typed?"""

    class Meta:
        index_name = "by-name-prefix"
        projection = AllProjection()

    name_prefix = UnicodeAttribute(hash_key=True)
    name_norm = UnicodeAttribute(range_key=True)


class Customer(CddModel):
    """An individual or a legal entity the bank has (or may have) a relationship with."""

    class Meta(TableMeta):
        name = "customers"

    customer_id = UnicodeAttribute(hash_key=True)
    customer_type = UnicodeAttribute()  # individual | legal_entity
    legal_name = UnicodeAttribute()
    other_names = ListAttribute(of=UnicodeAttribute, default=list)
    former_names = ListAttribute(of=UnicodeAttribute, default=list)
    name_norm = UnicodeAttribute()
    name_prefix = UnicodeAttribute()

    # individuals
    date_of_birth = UnicodeAttribute(null=True)  # YYYY, YYYY-MM or YYYY-MM-DD
    nationalities = ListAttribute(of=UnicodeAttribute, default=list)
    country_of_residence = UnicodeAttribute(null=True)
    occupation = UnicodeAttribute(null=True)
    pep_status = UnicodeAttribute(null=True)  # declared: pep | pep_family | pep_associate | former_pep

    # legal entities
    registration_number = UnicodeAttribute(null=True)
    jurisdiction = UnicodeAttribute(null=True)
    lei = UnicodeAttribute(null=True)
    legal_form = UnicodeAttribute(null=True)
    industry_code = UnicodeAttribute(null=True)
    incorporation_date = UnicodeAttribute(null=True)

    addresses = JSONAttribute(default=list)  # [{type, line1, line2, city, postal_code, region, country}]
    identity_documents = JSONAttribute(default=list)  # [{type, number, issuing_country, expiry_date}]
    products = ListAttribute(of=UnicodeAttribute, default=list)
    channels = ListAttribute(of=UnicodeAttribute, default=list)
    operating_countries = ListAttribute(of=UnicodeAttribute, default=list)  # where the business operates

    status = UnicodeAttribute()
    risk_rating = UnicodeAttribute(null=True)
    cdd_level = UnicodeAttribute(null=True)
    next_review_date = UnicodeAttribute(null=True)  # YYYY-MM-DD
    review_bucket = UnicodeAttribute(null=True)  # REVIEW_BUCKET when next_review_date is set
    last_review_date = UnicodeAttribute(null=True)  # YYYY-MM-DD: the last approved onboarding or periodic review
    risk_assessment_id = UnicodeAttribute(null=True)  # the assessment that set risk_rating (reviews app)

    integration = UnicodeAttribute()  # whose external references these are
    external_reference = UnicodeAttribute(null=True)
    # Alerts a reviewer confirmed as true matches (set by the screening service, never by an edit).
    confirmed_match_alerts = ListAttribute(of=UnicodeAttribute, default=list)

    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()  # actor key
    version = VersionAttribute()

    by_status = CustomerByStatusIndex()
    by_risk_rating = CustomerByRiskRatingIndex()
    by_next_review = CustomerByNextReviewIndex()
    by_name_prefix = CustomerByNamePrefixIndex()

    def as_dict(self) -> dict[str, Any]:
        """The customer's business fields (what the audit trail compares and the API returns)."""
        return {name: getattr(self, name) for name in CUSTOMER_FIELDS}


# The business fields of a customer, in the order the API shows them.
CUSTOMER_FIELDS = (
    "customer_id", "customer_type", "legal_name", "other_names", "former_names",
    "date_of_birth", "nationalities", "country_of_residence", "occupation", "pep_status",
    "registration_number", "jurisdiction", "lei", "legal_form", "industry_code", "incorporation_date",
    "addresses", "identity_documents", "products", "channels", "operating_countries",
    "status", "risk_rating", "cdd_level", "next_review_date", "last_review_date", "risk_assessment_id",
    "integration", "external_reference", "confirmed_match_alerts",
)


class CustomerExternalRef(CddModel):
    """Guard item: an integration's external reference belongs to at most one customer."""

    class Meta(TableMeta):
        name = "customer_external_refs"

    ref_key = UnicodeAttribute(hash_key=True)  # "<integration>#<external_reference>"
    customer_id = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()


class RelatedPartyByLinkedCustomerIndex(GlobalSecondaryIndex["RelatedParty"]):
    """Where is this customer recorded as a party (shareholder, director...) of another entity?"""

    class Meta:
        index_name = "by-linked-customer"
        projection = KeysOnlyProjection()

    linked_customer_id = UnicodeAttribute(hash_key=True)


class RelatedParty(CddModel):
    """A beneficial owner, director, shareholder or signatory of a legal entity customer.

    ``holdings``: what the party holds, one ``{"parent_party_id", "percentage"}`` per entity held;
    ``parent_party_id`` null is the customer itself, set is that (entity) party, which makes
    ownership chains. One party may hold the customer and several entity parties.
    ``ownership_percentage``/``parent_party_id`` mirror the first holding for older clients (a
    ``parent_party_id`` without holdings relates the party to that entity without a share: its
    director). ``linked_customer_id``: the party is an entity that is also a customer; its own
    parties continue the chain.
    """

    class Meta(TableMeta):
        name = "related_parties"

    customer_id = UnicodeAttribute(hash_key=True)
    party_id = UnicodeAttribute(range_key=True)  # "rp_<ulid>", or PARTY_HEAD for the head item

    party_type = UnicodeAttribute(null=True)  # individual | legal_entity (null only on the head item)
    roles = ListAttribute(of=UnicodeAttribute, default=list)
    name = UnicodeAttribute(null=True)
    name_norm = UnicodeAttribute(null=True)
    other_names = ListAttribute(of=UnicodeAttribute, default=list)
    date_of_birth = UnicodeAttribute(null=True)
    nationalities = ListAttribute(of=UnicodeAttribute, default=list)
    country_of_residence = UnicodeAttribute(null=True)
    registration_number = UnicodeAttribute(null=True)
    jurisdiction = UnicodeAttribute(null=True)
    ownership_percentage = NumberAttribute(null=True)  # the first holding's percentage
    parent_party_id = UnicodeAttribute(null=True)  # the first holding's parent
    # [{"parent_party_id": "rp_..." | None, "percentage": n}]; absent on items written before holdings
    # existed, whose one holding is the two fields above (see holding_list).
    holdings = JSONAttribute(null=True)
    linked_customer_id = UnicodeAttribute(null=True)

    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    version = VersionAttribute()

    by_linked_customer = RelatedPartyByLinkedCustomerIndex()

    @property
    def holding_list(self) -> list[dict[str, Any]]:
        """Every holding of the party, also for items stored before ``holdings`` existed."""
        if self.holdings is not None:
            return [{"parent_party_id": h.get("parent_party_id") or None, "percentage": h["percentage"]}
                    for h in self.holdings]
        if self.ownership_percentage is None:
            return []
        return [{"parent_party_id": self.parent_party_id or None, "percentage": self.ownership_percentage}]

    def as_dict(self) -> dict[str, Any]:
        return {name: self.holding_list if name == "holdings" else getattr(self, name) for name in PARTY_FIELDS}


PARTY_FIELDS = (
    "party_id", "customer_id", "party_type", "roles", "name", "other_names", "date_of_birth",
    "nationalities", "country_of_residence", "registration_number", "jurisdiction",
    "ownership_percentage", "parent_party_id", "holdings", "linked_customer_id",
)


class NameTokenBySubjectIndex(GlobalSecondaryIndex["NameToken"]):
    """Which keys of the name-token index does this customer's or party's names hold?"""

    class Meta:
        index_name = "by-subject"
        projection = KeysOnlyProjection()

    subject_key = UnicodeAttribute(hash_key=True)


class NameToken(CddModel):
    """One key of the name-token index, pointing to one subject (a customer, or one of its parties)."""

    class Meta(TableMeta):
        name = "customer_name_tokens"

    token_key = UnicodeAttribute(hash_key=True)  # a folded word, one of its deletions, or "#ref#<reference>"
    subject_key = UnicodeAttribute(range_key=True)  # "<customer_id>#customer" or "<customer_id>#<party_id>"
    customer_id = UnicodeAttribute()
    subject = UnicodeAttribute()  # "customer" or the party id
    integration = UnicodeAttribute()  # the customer's (fixed at creation): confined API keys filter on it
    party_name = UnicodeAttribute(null=True)  # the party's name, on a party's keys
    # [{"w": word, "f": field, "n": the name it is a word of}] for the subject's words under this key
    words = JSONAttribute(default=list)

    by_subject = NameTokenBySubjectIndex()


class IdempotencyRecord(CddModel):
    """The first outcome of a POST with an ``Idempotency-Key``, per caller."""

    class Meta(TableMeta):
        name = "idempotency_keys"

    scoped_key = UnicodeAttribute(hash_key=True)  # "<caller>#<Idempotency-Key>"
    request_hash = UnicodeAttribute()  # sha256 of method, path and canonical JSON body
    resource_type = UnicodeAttribute()
    resource_id = UnicodeAttribute()
    status_code = NumberAttribute()
    response_body = JSONAttribute(null=True)  # filled right after the commit; rebuilt from the resource if absent
    created_at = UTCDateTimeAttribute()
    expires_at = TTLAttribute()
