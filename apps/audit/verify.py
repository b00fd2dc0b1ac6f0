"""Recomputing hash chains and naming every break: the logic of ``manage.py audit_verify``.

Pure functions over events as dicts (the shape of ``event_as_dict``), so the same code
checks the live table and an export on a regulator's laptop; the MAC check (KMS VerifyMac)
is passed in as a function, and left out offline. What is reported:

* ``changed``   an event whose content no longer hashes to its stored hash, an event whose
                stored hash is not the one its successor was chained to (rewritten and
                re-hashed), or whose index keys no longer match its content;
* ``removed``   a sequence number missing inside a chain or after its last event;
* ``reordered`` an event stored at another position than the sequence number it was hashed with;
* ``removed``   also: a chain that ends before the seq the latest checkpoint anchored (truncated);
* ``inserted``  a second event claiming a taken sequence number, an event dated before the
                latest checkpoint (or on or before an anchored day) that the anchor does not know;
* ``forged``    an event whose MAC does not verify with the audit key (v2), or an unkeyed (v1)
                event where only keyed ones can be: written or re-chained around the trail;
* ``anchor``    a chain that no longer matches a checkpoint or daily digest written to S3 with
                Object Lock, or that one names but that is gone; a checkpoint that is inconsistent,
                not MACed by the audit key, or forgets what the one before it anchored;
* ``export``    an export file that differs from its manifest.

Checking MACs costs one VerifyMac per chain, not per event: each hash covers the one before it,
so the MAC of the last event vouches for the whole chain; only a failing chain is bisected (a
handful more calls) to name the first event that does not verify.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings

from apps.audit.models import GENESIS_HASH
from apps.audit.services import event_hash

KINDS = ("changed", "removed", "reordered", "inserted", "forged", "anchor", "export")
MacCheck = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True)
class Problem:
    kind: str
    chain: str
    message: str
    seq: int | None = None
    event_id: str | None = None

    def __str__(self) -> str:
        where = f"chain {self.chain}"
        if self.seq is not None:
            where += f" seq {self.seq}"
        if self.event_id:
            where += f" event {self.event_id}"
        return f"{self.kind.upper()}: {where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "chain": self.chain, "seq": self.seq, "event_id": self.event_id,
                "message": self.message}


@dataclass
class Report:
    chains: int = 0
    events: int = 0
    anchors: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def extend(self, problems: Iterable[Problem]) -> None:
        self.problems.extend(problems)


@dataclass(frozen=True)
class CheckpointEntry:
    """What the latest checkpoint says about one chain (``last_seq`` 0: it did not know the chain)."""

    at: str  # ISO time of the checkpoint
    chain: str
    last_seq: int
    last_hash: str | None


@dataclass(frozen=True)
class AnchorEntry:
    """What the digest of ``day`` says about one chain."""

    day: str
    chain: str
    last_seq: int
    last_hash: str
    count: int


def _hash_ok(event: Mapping[str, Any]) -> bool:
    try:
        return event_hash(event) == event.get("hash")
    except (KeyError, TypeError, ValueError):
        return False


def _span(first: int, last: int) -> str:
    return str(first) if first == last else f"{first}..{last}"


def _seqs(first: int, last: int) -> str:
    return f"seq {first} is" if first == last else f"seqs {first}..{last} are"


def chain_verify(
    *,
    chain: str,
    events: list[dict[str, Any]],
    positions: list[int] | None = None,
    partial: bool = False,
    anchors: Iterable[AnchorEntry] = (),
    checkpoint: CheckpointEntry | None = None,
    mac_check: MacCheck | None = None,
    keyed_since: str | None = None,
    stored_keys: list[Mapping[str, Any]] | None = None,
) -> list[Problem]:
    """Every problem of one chain.

    ``events`` in stored order; ``positions`` the sequence number each was stored under (the
    table's ``E#<seq>`` key) or None for an export, where the file order is checked instead.
    ``partial``: the events may start after seq 1 (a time-range export). ``checkpoint``: what the
    latest checkpoint anchored of this chain. ``mac_check``: verifies one event's MAC (KMS); None
    offline. ``keyed_since``: from then on the trail writes only keyed (v2) events.
    ``stored_keys``: per event, the index attributes stored beside it (day, occurred_key, actor_key).
    """
    problems: list[Problem] = []

    def add(kind: str, message: str, event: Mapping[str, Any] | None = None, seq: int | None = None) -> None:
        problems.append(Problem(kind=kind, chain=chain, message=message,
                                seq=seq if seq is not None else (int(event["seq"]) if event else None),
                                event_id=event.get("event_id") if event else None))

    # 1. Each event on its own: content against hash, place against the seq it was hashed with.
    previous_seq: int | None = None
    for index, event in enumerate(events):
        seq = int(event.get("seq") or 0)
        if event.get("chain") != chain:
            add("changed", f"its content names chain {event.get('chain')!r}; it was moved here from another chain",
                event)
        if not _hash_ok(event):
            add("changed", "its content no longer matches its hash: a field was changed after it was written", event)
        if positions is not None and positions[index] != seq:
            add("reordered", f"it is stored at position {positions[index]} but was hashed as seq {seq}", event)
        if positions is None and previous_seq is not None and seq <= previous_seq:
            add("reordered", f"it comes after seq {previous_seq} in the file", event)
        previous_seq = seq
        if stored_keys is not None:
            problems.extend(_stored_keys_check(chain, event, stored_keys[index]))

    # 2. The chain in sequence order: no gaps, no duplicates, each event linked to the one before.
    by_seq: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for event in events:
        by_seq[int(event.get("seq") or 0)].append(event)
    seqs = sorted(by_seq)
    linked: dict[int, dict[str, Any]] = {}
    for n, seq in enumerate(seqs):
        candidates = by_seq[seq]
        before = linked.get(seqs[n - 1]) if n else None
        after = by_seq.get(seq + 1, [])
        if len(candidates) > 1:
            # The genuine one is the one its successor was chained to (or that links to its predecessor).
            chosen = [e for e in candidates if any(a.get("prev_hash") == e.get("hash") for a in after)] or [
                e for e in candidates if before is not None and e.get("prev_hash") == before.get("hash")
            ]
            genuine = chosen[0] if len(chosen) == 1 else None
            for event in candidates:
                if event is not genuine:
                    add("inserted", f"a second event claims seq {seq}; "
                        + ("the chain runs through event " + str(genuine.get("event_id"))
                           if genuine else "none of them is linked to by the next event"), event)
            current = genuine or candidates[0]
        else:
            current = candidates[0]
        linked[seq] = current
        if n == 0:
            if seq > 1 and not partial:
                add("removed", f"{_seqs(1, seq - 1)} missing (removed) before the first stored event", current)
            elif seq == 1 and current.get("prev_hash") != GENESIS_HASH:
                add("changed", "the first event of the chain does not start from the genesis hash", current)
            continue
        previous = seqs[n - 1]
        if seq > previous + 1:
            missing = _span(previous + 1, seq - 1)
            add("removed", f"seq {missing} is missing (removed) between event "
                f"{linked[previous].get('event_id')} (seq {previous}) and this one", current)
            continue
        if current.get("prev_hash") != linked[previous].get("hash"):
            add("changed", f"event {linked[previous].get('event_id')} (seq {previous}) was rewritten: its hash is "
                "not the one this event was chained to", current)

    # 3. The keys: only the audit key's holder can have written the chain as it stands.
    chain_in_order = [linked[seq] for seq in seqs]
    problems.extend(_keyed_check(chain, chain_in_order, mac_check=mac_check, keyed_since=keyed_since))

    # 4. The latest checkpoint: the chain must reach at least as far as it anchored, unchanged.
    if checkpoint is not None:
        problems.extend(_checkpoint_check(chain, checkpoint, linked, partial=partial))

    # 5. The daily anchors: what the digest in the WORM bucket says the chain was at the end of a day.
    for anchor in anchors:
        problems.extend(_anchor_check(chain, anchor, linked, events, partial=partial))
    return problems


def _keyed_check(chain: str, events: list[dict[str, Any]], *, mac_check: MacCheck | None,
                 keyed_since: str | None) -> list[Problem]:
    """Unkeyed events where only keyed ones belong, and the MAC of the chain's last event (bisected if bad)."""
    out: list[Problem] = []

    def add(event: Mapping[str, Any], message: str) -> None:
        out.append(Problem(kind="forged", chain=chain, seq=int(event.get("seq") or 0),
                           event_id=event.get("event_id"), message=message))

    keyed_seen = False
    for event in events:
        if (event.get("v") or "v1") != "v1":
            keyed_seen = True
        elif keyed_seen:
            add(event, "it is an unkeyed (v1) event after keyed ones: the trail no longer writes those, so it was "
                "written around the trail")
        elif keyed_since and str(event.get("occurred_at", "")) >= keyed_since:
            add(event, f"it is an unkeyed (v1) event dated after the trail began MACing its events ({keyed_since}): "
                "written around the trail")
    keyed = [e for e in events if (e.get("v") or "v1") != "v1"]
    if mac_check is None or not keyed or mac_check(keyed[-1]):
        return out
    # Every hash covers the one before it, so MACs verify up to the first event someone rewrote or forged.
    low, high = 0, len(keyed) - 1  # keyed[high] fails; find the first that fails
    while low < high:
        middle = (low + high) // 2
        if mac_check(keyed[middle]):
            low = middle + 1
        else:
            high = middle
    first = keyed[high]
    later = int(keyed[-1].get("seq") or 0)
    add(first, "its MAC does not verify with the audit key: it was rewritten and re-hashed, or written around the "
        "trail, by someone without the key" + (f" (and so was every event after it, to seq {later})"
                                               if keyed[-1] is not first else ""))
    return out


def _checkpoint_check(chain: str, checkpoint: CheckpointEntry, linked: Mapping[int, dict[str, Any]], *,
                      partial: bool) -> list[Problem]:
    out: list[Problem] = []

    def add(kind: str, message: str, seq: int | None, event: Mapping[str, Any] | None = None) -> None:
        out.append(Problem(kind=kind, chain=chain, seq=seq, event_id=event.get("event_id") if event else None,
                           message=message))

    anchored_at = checkpoint.last_seq
    top = max(linked) if linked else 0
    if anchored_at and not linked:
        if not partial:
            add("anchor", f"the checkpoint of {checkpoint.at} anchors this chain at seq {anchored_at}, but the chain "
                "is missing entirely (deleted)", anchored_at)
        return out
    if anchored_at and top < anchored_at and not partial:
        add("removed", f"{_seqs(top + 1, anchored_at)} missing at the end: the checkpoint of {checkpoint.at} "
            f"anchored this chain at seq {anchored_at} (truncated)", top + 1)
    elif anchored_at and anchored_at in linked and linked[anchored_at].get("hash") != checkpoint.last_hash:
        add("anchor", f"the chain no longer matches the checkpoint of {checkpoint.at}: the anchored hash was "
            f"{str(checkpoint.last_hash)[:12]}…, the event now hashes otherwise (rewritten since)", anchored_at,
            linked[anchored_at])
    # Events after the anchored seq that are dated well before the checkpoint were not there when it was taken.
    from apps.audit.anchors import CHECKPOINT_OVERLAP

    cutoff = (datetime.fromisoformat(checkpoint.at) - CHECKPOINT_OVERLAP).isoformat()
    for seq, event in sorted(linked.items()):
        if seq > anchored_at and str(event.get("occurred_at", "")) < cutoff:
            add("inserted", f"it is dated {str(event.get('occurred_at'))[:19]}, before the checkpoint of "
                f"{checkpoint.at}, which " + (f"closed the chain at seq {anchored_at}" if anchored_at else
                                              "did not know the chain") + ": backdated, written around the trail",
                seq, event)
    return out


def _stored_keys_check(chain: str, event: Mapping[str, Any], stored: Mapping[str, Any]) -> list[Problem]:
    expected = {
        "day": str(event.get("occurred_at", ""))[:10],
        "occurred_key": f"{event.get('occurred_at')}#{event.get('event_id')}",
        "actor_key": f"{(event.get('actor') or {}).get('kind')}:{(event.get('actor') or {}).get('id')}",
    }
    out = []
    for name, value in expected.items():
        if stored.get(name) != value:
            out.append(Problem(kind="changed", chain=chain, seq=int(event.get("seq") or 0),
                               event_id=event.get("event_id"),
                               message=f"its index field {name} is {stored.get(name)!r}, not {value!r} as its "
                               "content says (hidden from or misplaced in the queries)"))
    return out


def _anchor_check(chain: str, anchor: AnchorEntry, linked: Mapping[int, dict[str, Any]],
                  events: list[dict[str, Any]], *, partial: bool) -> list[Problem]:
    out: list[Problem] = []

    def add(message: str, kind: str = "anchor", event: Mapping[str, Any] | None = None,
            seq: int | None = None) -> None:
        out.append(Problem(kind=kind, chain=chain, message=message,
                           seq=seq if seq is not None else (int(event["seq"]) if event else None),
                           event_id=event.get("event_id") if event else None))

    if not events:
        if not partial:
            add(f"the digest of {anchor.day} anchors this chain at seq {anchor.last_seq}, but the chain is "
                "missing entirely", seq=anchor.last_seq)
        return out
    anchored = linked.get(anchor.last_seq)
    if anchored is None:
        if not partial or min(linked) <= anchor.last_seq <= max(linked):
            add(f"the event anchored by the digest of {anchor.day} is missing", seq=anchor.last_seq)
    elif anchored.get("hash") != anchor.last_hash or not _hash_ok(anchored):
        add(f"the chain no longer matches the digest of {anchor.day}: the anchored hash was "
            f"{anchor.last_hash[:12]}…, the event now hashes otherwise (rewritten since)", event=anchored)
    for seq, event in linked.items():
        if seq > anchor.last_seq and str(event.get("occurred_at", ""))[:10] <= anchor.day:
            add(f"it is dated {str(event.get('occurred_at'))[:10]} but comes after seq {anchor.last_seq}, "
                f"where the digest of {anchor.day} closed the chain: backdated", kind="inserted", event=event)
    if not partial:
        count = sum(1 for event in linked.values() if str(event.get("occurred_at", ""))[:10] == anchor.day)
        if count != anchor.count:
            add(f"the digest of {anchor.day} counted {anchor.count} events of this chain that day; "
                f"{count} are there now", seq=anchor.last_seq)
    return out


def anchor_entries(document: Mapping[str, Any]) -> list[AnchorEntry]:
    return [
        AnchorEntry(day=str(document["day"]), chain=str(entry["chain"]), last_seq=int(entry["last_seq"]),
                    last_hash=str(entry["last_hash"]), count=int(entry["count"]))
        for entry in document.get("chains", [])
    ]


def canonical_row_check(row: Mapping[str, str], content: Mapping[str, Any]) -> list[str]:
    """Names of the readable CSV columns that differ from the hashed canonical content."""
    differing = []
    for name, value in content.items():
        if name not in row:  # exports of the first version had no v column
            continue
        if isinstance(value, (dict, list)):
            try:
                same = json.loads(row[name] or "null") == value
            except ValueError:
                same = False
        elif value is None:
            same = row[name] == ""
        else:
            same = row[name] == str(value)
        if not same:
            differing.append(name)
    return differing


# --- the live trail ------------------------------------------------------------------------------

def _identity(items: Iterable[Any], **_: Any) -> Iterable[Any]:
    return items


def item_as_event(item: Any) -> dict[str, Any]:
    """A stored event item as the dict its hash covers (tolerant of items someone mangled)."""
    occurred = item.occurred_at.astimezone(UTC).isoformat() if item.occurred_at else ""
    return {
        "v": item.hash_version or "v1", "chain": item.pk, "seq": int(item.seq or 0), "event_id": item.event_id, "occurred_at": occurred,
        "actor": item.actor, "action": item.action, "object_type": item.object_type, "object_id": item.object_id,
        "request_id": item.request_id, "client_request_id": item.client_request_id, "source_ip": item.source_ip,
        "changes": item.changes or {}, "reason": item.reason, "data": item.data or {}, "prev_hash": item.prev_hash,
        "hash": item.hash, "mac": item.mac,
    }


def _position(sk: str) -> int:
    try:
        return int(sk.removeprefix("E#"))
    except ValueError:
        return -1


def event_mac_check(event: Mapping[str, Any]) -> bool:
    """Whether an event's MAC is the audit key's MAC of its stored hash (a KMS VerifyMac call)."""
    from apps.audit import keys

    return keys.mac_verify(domain=keys.EVENT, digest=str(event.get("hash")), mac=event.get("mac"))


def checkpoints_verify(report: Report, checkpoints: list[Any], *, now: datetime | None = None) -> None:
    """The latest checkpoints on their own and against each other (newest first), into ``report``."""
    from apps.audit.anchors import checkpoint_document_check, checkpoints_compare

    if not checkpoints:
        report.warnings.append("no checkpoint yet: run `manage.py audit_anchor` (beat does it every "
                               f"{settings.CDD_AUDIT_ANCHOR_MINUTES} minutes)")
        return
    for checkpoint in checkpoints:
        report.anchors += 1
        for message in checkpoint_document_check(checkpoint.document):
            report.problems.append(Problem(kind="anchor", chain="*", message=f"checkpoint {checkpoint.key}: {message}"))
    if len(checkpoints) > 1:
        newer, older = checkpoints[0], checkpoints[1]
        for chain, message in checkpoints_compare(newer, older):
            report.problems.append(Problem(kind="anchor", chain=chain, message=message))
        if (newer.document.get("previous") or {}).get("digest") != older.document.get("digest"):
            report.warnings.append(f"checkpoint {newer.key} names another predecessor than {older.key} (two runs at "
                                   "once?); both were compared")
    age = (now or datetime.now(tz=UTC)) - checkpoints[0].at
    if age.total_seconds() > 3 * 60 * settings.CDD_AUDIT_ANCHOR_MINUTES:
        report.warnings.append(f"the latest checkpoint is {int(age.total_seconds() // 60)} minutes old: is beat "
                               "running `audit.anchor_checkpoint`?")


def audit_chain_check(*, chain: str, items: list[Any], checkpoint: Any | None,
                      anchors: Iterable[AnchorEntry] = (), mac_check: MacCheck | None = event_mac_check,
                      partial: bool = False) -> list[Problem]:
    """The problems of one chain as stored (``items``: its event items in key order)."""
    entry = None
    keyed_since = None
    if checkpoint is not None:
        anchored = checkpoint.chains.get(chain)
        entry = CheckpointEntry(at=checkpoint.document["at"], chain=chain,
                                last_seq=int(anchored["last_seq"]) if anchored else 0,
                                last_hash=anchored["last_hash"] if anchored else None)
        keyed_since = checkpoint.document.get("keyed_since")
    return chain_verify(
        chain=chain, events=[item_as_event(i) for i in items], positions=[_position(i.sk) for i in items],
        anchors=anchors, checkpoint=entry, mac_check=mac_check, keyed_since=keyed_since, partial=partial,
        stored_keys=[{"day": i.day, "occurred_key": i.occurred_key, "actor_key": i.actor_key} for i in items],
    )


def chain_tail_check(*, chain: str, entry: Mapping[str, Any], at: str) -> list[Problem]:
    """The cheap check of a chain outside the window: does it still reach the seq the checkpoint anchored?"""
    from apps.audit.selectors import audit_chain_last_get

    last = audit_chain_last_get(chain=chain)
    anchored, anchored_hash = int(entry["last_seq"]), entry["last_hash"]
    if last is None:
        return [Problem(kind="anchor", chain=chain, seq=anchored, message=(
            f"the checkpoint of {at} anchors this chain at seq {anchored}, but the chain is missing entirely (deleted)"))]
    seq = int(last.seq or 0)
    if seq < anchored:
        return [Problem(kind="removed", chain=chain, seq=seq + 1, message=(
            f"{_seqs(seq + 1, anchored)} missing at the end: the checkpoint of {at} anchored this chain at seq "
            f"{anchored} (truncated)"))]
    if seq == anchored and last.hash != anchored_hash:
        return [Problem(kind="anchor", chain=chain, seq=seq, event_id=last.event_id, message=(
            f"the chain no longer matches the checkpoint of {at} (rewritten since)"))]
    return []


def audit_trail_verify(*, since: date | None = None, chain: str | None = None, today: date | None = None,
                       progress: Callable[..., Iterable[Any]] = _identity,
                       mac_check: MacCheck | None = event_mac_check,
                       tails: Callable[[list[str]], list[str]] | None = None) -> Report:
    """Recompute chains from the table and compare them with the S3 anchors (checkpoints, daily digests).

    ``chain``: one object's chain. ``since``: every chain with an event on or after that day
    (by-day index) in full, and every other chain the latest checkpoint names by its last event
    (``tails`` picks which of those: all unless given). Neither: every chain in the table (a Scan:
    for the offline command only, never a request path).
    """
    from apps.audit.anchors import anchor_document_check, audit_anchor_get, audit_checkpoints_latest
    from apps.audit.models import LEGACY_HEAD_SK, AuditEvent
    from apps.audit.selectors import audit_chain_events, audit_day_events, days_between

    report = Report()
    today = today or datetime.now(tz=UTC).date()
    chains: set[str] = set()
    days: set[date] = set()
    if chain:
        chains.add(chain)
        days.update(date.fromisoformat(e.day) for e in audit_chain_events(chain=chain) if e.day)
    elif since:
        for day in progress(days_between(since, today), desc="days", unit="day"):
            days.add(day)
            chains.update(event.pk for event in audit_day_events(day=day))
    else:
        # The whole trail: only `manage.py audit_verify` with no --since/--object gets here (an offline job).
        for item in progress(AuditEvent.scan(page_size=1000), desc="scanning", unit="item"):
            if item.sk == LEGACY_HEAD_SK:
                continue
            chains.add(item.pk)
            if item.day:
                days.add(date.fromisoformat(item.day))
    checkpoints = audit_checkpoints_latest(count=2)
    checkpoints_verify(report, checkpoints)
    latest = checkpoints[0] if checkpoints else None
    anchors: dict[str, list[AnchorEntry]] = defaultdict(list)
    for day in sorted(d for d in days if d < today):
        anchor = audit_anchor_get(day=day)
        if anchor is None:
            report.warnings.append(f"no digest was written for {day}: run `manage.py audit_digest --day {day}` (beat does it hourly)")
            continue
        report.anchors += 1
        for message in anchor_document_check(anchor.document):
            report.problems.append(Problem(kind="anchor", chain="*", message=f"digest of {day}: {message}"))
        for entry in anchor_entries(anchor.document):
            if chain is None or entry.chain == chain:
                anchors[entry.chain].append(entry)
                chains.add(entry.chain)
    for name in progress(sorted(chains), desc="chains", unit="chain"):
        items = audit_chain_events(chain=name)
        report.chains += 1
        report.events += len(items)
        report.extend(audit_chain_check(chain=name, items=items, checkpoint=latest, anchors=anchors.get(name, []),
                                        mac_check=mac_check))
        if not items and name not in anchors and (latest is None or name not in latest.chains):
            report.warnings.append(f"{name}: no such chain (no events, no digest or checkpoint names it)")
    if latest is not None and chain is None:
        others = sorted(set(latest.chains) - chains)
        for name in progress(tails(others) if tails else others, desc="anchored chains", unit="chain"):
            report.extend(chain_tail_check(chain=name, entry=latest.chains[name], at=latest.document["at"]))
    return report


# --- what a timeline page says about itself ---------------------------------------------------------

@dataclass(frozen=True)
class ChainStatus:
    """Whether an object's chain verifies, for the page that shows it."""

    chain: str
    events: int
    problems: list[Problem]
    checkpoint_at: str | None
    unavailable: str | None = None  # why it could not be checked at all

    @property
    def ok(self) -> bool:
        return not self.problems and self.unavailable is None

    @property
    def flagged(self) -> set[int]:
        return {p.seq for p in self.problems if p.seq is not None}

    @property
    def summary(self) -> str:
        if self.unavailable:
            return f"Not verified: {self.unavailable}"
        if self.problems:
            return (f"Not verified: {len(self.problems)} problem(s) in this trail. It may have been tampered with; "
                    "report it to the security team and keep the table as it is.")
        if not self.events:
            return "Nothing to verify: no events were recorded for this object."
        anchored = (f" and matches the anchor of {self.checkpoint_at[:16].replace('T', ' ')} UTC"
                    if self.checkpoint_at else ", not yet anchored (the next checkpoint comes within minutes)")
        counted = ("its one event recomputes, and its MAC verifies" if self.events == 1 else
                   f"all {self.events} events recompute and link, the last one's MAC verifies")
        return f"Verified: {counted} with the audit key{anchored}."


def audit_chain_status(*, chain: str) -> ChainStatus:
    """Verify one object's whole chain against the audit key and the latest checkpoint (a Query, 2 VerifyMac)."""
    from apps.audit.anchors import audit_checkpoints_latest, checkpoint_document_check
    from apps.audit.keys import MacUnavailable
    from apps.audit.selectors import audit_chain_events

    items = audit_chain_events(chain=chain)
    try:
        latest = audit_checkpoints_latest(count=1)
        checkpoint = latest[0] if latest else None
        problems = [Problem(kind="anchor", chain="*", message=f"the latest checkpoint: {message}")
                    for message in (checkpoint_document_check(checkpoint.document) if checkpoint else [])]
        problems += audit_chain_check(chain=chain, items=items, checkpoint=checkpoint)
    except MacUnavailable as exc:
        return ChainStatus(chain=chain, events=len(items), problems=[], checkpoint_at=None, unavailable=str(exc))
    at = checkpoint.document["at"] if checkpoint and chain in checkpoint.chains else None
    return ChainStatus(chain=chain, events=len(items), problems=problems, checkpoint_at=at)
