"""Recomputing hash chains and naming every break: the logic of ``manage.py audit_verify``.

Pure functions over events as dicts (the shape of ``event_as_dict``), so the same code
checks the live table and an export on a regulator's laptop. What is reported:

* ``changed``   an event whose content no longer hashes to its stored hash, an event whose
                stored hash is not the one its successor was chained to (rewritten and
                re-hashed), or whose index keys no longer match its content;
* ``removed``   a sequence number missing inside a chain or after its last event;
* ``reordered`` an event stored at another position than the sequence number it was hashed with;
* ``inserted``  an event beyond the chain head, a second event claiming a taken sequence
                number, or an event dated on or before an anchored day after that day's head;
* ``head``      a chain head that does not match its last event (or is missing);
* ``anchor``    a chain that no longer matches the daily digest written to S3 with Object Lock,
                or that the digest names but that is gone;
* ``export``    an export file that differs from its manifest.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from apps.audit.models import GENESIS_HASH
from apps.audit.services import event_hash

KINDS = ("changed", "removed", "reordered", "inserted", "head", "anchor", "export")


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
    head: Mapping[str, Any] | None = None,
    check_head: bool = False,
    partial: bool = False,
    anchors: Iterable[AnchorEntry] = (),
    stored_keys: list[Mapping[str, Any]] | None = None,
) -> list[Problem]:
    """Every problem of one chain.

    ``events`` in stored order; ``positions`` the sequence number each was stored under (the
    table's ``E#<seq>`` key) or None for an export, where the file order is checked instead.
    ``partial``: the events may start after seq 1 (a time-range export). ``check_head`` with
    ``head`` (``last_seq``, ``last_hash``; None if the head item is gone) compares the chain head.
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

    # 3. The chain head: the last seq and hash every new event was appended to.
    last = linked[seqs[-1]] if seqs else None
    if check_head:
        if head is None:
            if events:
                add("head", "the chain head is missing (deleted)", last)
        else:
            head_seq = int(head.get("last_seq") or 0)
            head_hash = head.get("last_hash")
            top = seqs[-1] if seqs else 0
            if top < head_seq:
                add("removed", f"seq {_span(top + 1, head_seq)} is missing at the end: the chain head records "
                    f"seq {head_seq}", seq=top + 1)
            elif top > head_seq:
                for seq in range(head_seq + 1, top + 1):
                    for event in by_seq.get(seq, []):
                        add("inserted", f"it lies beyond the chain head (seq {head_seq}): written around the "
                            "trail", event)
            elif last is not None and last.get("hash") != head_hash:
                add("head", f"the chain head's hash {str(head_hash)[:12]}… differs from the last event's "
                    f"{str(last.get('hash'))[:12]}…", last)

    # 4. The daily anchors: what the digest in the WORM bucket says the chain was at the end of a day.
    for anchor in anchors:
        problems.extend(_anchor_check(chain, anchor, linked, events, partial=partial))
    return problems


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
        if name in ("v",) or name not in row:
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
        "chain": item.pk, "seq": int(item.seq or 0), "event_id": item.event_id, "occurred_at": occurred,
        "actor": item.actor, "action": item.action, "object_type": item.object_type, "object_id": item.object_id,
        "request_id": item.request_id, "source_ip": item.source_ip, "changes": item.changes or {},
        "reason": item.reason, "data": item.data or {}, "prev_hash": item.prev_hash, "hash": item.hash,
    }


def _position(sk: str) -> int:
    try:
        return int(sk.removeprefix("E#"))
    except ValueError:
        return -1


def audit_trail_verify(*, since: date | None = None, chain: str | None = None, today: date | None = None,
                       progress: Callable[..., Iterable[Any]] = _identity) -> Report:
    """Recompute chains from the table and compare them with their heads and the S3 anchors.

    ``chain``: one object's chain. ``since``: every chain with an event on or after that day
    (by-day index) or anchored since then. Neither: every chain in the table (a Scan: this is
    for the offline command only, never a request path).
    """
    from apps.audit.anchors import anchor_document_check, audit_anchor_get
    from apps.audit.models import AuditEvent
    from apps.audit.selectors import audit_chain_events, audit_chain_head_get, audit_day_events, days_between

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
            chains.add(item.pk)
            if item.day:
                days.add(date.fromisoformat(item.day))
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
        head = audit_chain_head_get(chain=name)
        report.chains += 1
        report.events += len(items)
        report.extend(chain_verify(
            chain=name, events=[item_as_event(i) for i in items], positions=[_position(i.sk) for i in items],
            head={"last_seq": head.last_seq, "last_hash": head.last_hash} if head else None, check_head=True,
            anchors=anchors.get(name, []),
            stored_keys=[{"day": i.day, "occurred_key": i.occurred_key, "actor_key": i.actor_key} for i in items],
        ))
        if not items and head is None and name not in anchors:
            report.warnings.append(f"{name}: no such chain (no events, no head, no digest names it)")
    return report
