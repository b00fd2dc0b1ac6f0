"""Seams from customers into the apps that act on a new customer or party; called by the services.

No signals: the services call these functions after their transaction commits. Each seam looks
up the other app's service by name and does nothing (with a debug log line) until that app
provides it. The customer is already committed when a seam runs, so a failing seam is logged
with the customer id and does not undo the create; the follow-up can be re-run from the id.

Seams (the other apps implement these names):

* ``apps.screening.services.customer_screening_queue(*, customer_id, actor)`` — queue screening of
  the customer and its related parties (issue: screening — "Screening runs and alerts").
* ``apps.screening.services.related_party_screening_queue(*, customer_id, party_id, actor)`` — queue
  screening of one new or renamed related party.
* ``apps.reviews.services.case_open_onboarding(*, customer_id, actor)`` — open the onboarding case
  (issue: reviews — "Cases, four-eyes review"). TODO(reviews issue): remove the fallback once it exists.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib import import_module
from typing import Any

from apps.audit.actors import Actor

logger = logging.getLogger(__name__)


def _service(module: str, name: str) -> Callable[..., Any] | None:
    try:
        found = import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None
    func = getattr(found, name, None)
    return func if callable(func) else None


def _call(module: str, name: str, **kwargs: Any) -> bool:
    func = _service(module, name)
    if func is None:
        logger.debug("seam %s.%s not provided yet; skipped for %s", module, name, kwargs.get("customer_id"))
        return False
    try:
        func(**kwargs)
    except Exception:  # the customer is committed: log loudly, do not fail the request
        logger.exception("%s.%s failed; re-run it for %s", module, name, kwargs.get("customer_id"))
        return False
    return True


def on_customer_created(*, customer_id: str, actor: Actor) -> None:
    """A new customer: queue its screening and open its onboarding case."""
    _call("apps.screening.services", "customer_screening_queue", customer_id=customer_id, actor=actor)
    _call("apps.reviews.services", "case_open_onboarding", customer_id=customer_id, actor=actor)


def on_related_party_changed(*, customer_id: str, party_id: str, actor: Actor) -> None:
    """A party added, or its screened fields changed: screen it like a customer."""
    _call("apps.screening.services", "related_party_screening_queue",
          customer_id=customer_id, party_id=party_id, actor=actor)
