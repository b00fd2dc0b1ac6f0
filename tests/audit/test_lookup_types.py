"""The audit trail's lookup offers every record type that writes its own chain, and finds a real event of each."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from apps.audit.actors import Actor
from apps.audit.models import AuditEvent
from apps.audit.selectors import audit_events_by_action
from apps.audit.services import chain_key
from apps.audit.views_web import OBJECT_TYPES
from apps.core.mi.selectors import mi_period_parse
from apps.core.mi.services import mi_export
from apps.core.webhooks import selectors as webhooks
from tests.core.test_webhooks import Receiver, create_customer, deliver, portal, receiver, register  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("aws")]


def test_the_lookup_offers_and_finds_the_webhook_and_mi_records(
        portal: APIClient, receiver: Receiver, auditor: Any) -> None:  # noqa: F811
    endpoint = register(portal, receiver.url)
    create_customer(portal)
    deliver()
    (delivery,) = webhooks.webhook_deliveries_of_endpoint(endpoint_id=endpoint["id"])
    mi_export(period=mi_period_parse({}), fmt="csv", actor=Actor.from_user(auditor))
    (exported,) = audit_events_by_action(action="mi.exported").events
    found = {"webhook_endpoint": endpoint["id"], "webhook_delivery": delivery.delivery_id,
             "mi_export": exported.object_id}
    for object_type, object_id in found.items():  # one chain per record, keyed as chain_key says
        assert [e.object_type for e in AuditEvent.query(chain_key(object_type, object_id))][:1] == [object_type]
    client = Client()
    client.force_login(auditor)
    lookup = client.get(reverse("audit-web-lookup")).content.decode()
    for object_type in ("webhook_endpoint", "webhook_delivery", "mi_export"):
        assert f'<option value="{object_type}">' in lookup, object_type
    assert {"webhook_endpoint", "webhook_delivery", "mi_export", "mi"} <= set(OBJECT_TYPES)
    for object_type, object_id in found.items():
        sent = client.get(reverse("audit-web-lookup"), {"object_type": object_type, "object_id": object_id})
        assert sent.status_code == 302
        timeline = client.get(sent["Location"])
        first = next(iter(AuditEvent.query(chain_key(object_type, object_id))))
        assert timeline.status_code == 200 and first.action in timeline.content.decode(), object_type
        assert "✓ Verified" in timeline.content.decode(), object_type
