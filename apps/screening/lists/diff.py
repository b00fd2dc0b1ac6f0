"""Compare two versions of a list, and refuse a version whose size collapsed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from apps.screening.lists.normalized import entity_hash
from apps.screening.matching.types import ListEntity


@dataclass(frozen=True, slots=True)
class ListDiff:
    """Entity keys (``list:source_id``) added, removed and changed between two versions, sorted."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def summary(self, *, sample: int = 20) -> dict[str, object]:
        """Counts and up to ``sample`` keys of each kind, for the version record."""
        return {
            "added": len(self.added),
            "removed": len(self.removed),
            "changed": len(self.changed),
            "added_sample": self.added[:sample],
            "removed_sample": self.removed[:sample],
            "changed_sample": self.changed[:sample],
        }


class ListCollapsed(ValueError):
    """A new version has far fewer entities than the active one: probably a broken download."""

    def __init__(self, *, previous_count: int, new_count: int, min_ratio: float) -> None:
        self.previous_count = previous_count
        self.new_count = new_count
        self.min_ratio = min_ratio
        what = (
            f"the new version has {new_count} entities, fewer than {min_ratio:.0%} of the "
            f"{previous_count} in the active version"
            if previous_count
            else "the new version has no entities"
        )
        super().__init__(
            f"{what}; it was refused and the active version (if any) kept. "
            "What to do: check the source file (an empty or partial download is the usual cause); "
            "if the list really shrank, load it with the sanity check overridden"
        )


def list_diff(old: Sequence[ListEntity], new: Sequence[ListEntity]) -> ListDiff:
    """What changed from ``old`` to ``new``, by entity key and content hash."""
    old_hashes = {e.key: entity_hash(e) for e in old}
    new_hashes = {e.key: entity_hash(e) for e in new}
    return ListDiff(
        added=sorted(k for k in new_hashes if k not in old_hashes),
        removed=sorted(k for k in old_hashes if k not in new_hashes),
        changed=sorted(k for k, h in new_hashes.items() if k in old_hashes and old_hashes[k] != h),
    )


def list_diff_hashes(old: dict[str, str], new: dict[str, str]) -> ListDiff:
    """The same as :func:`list_diff` from precomputed ``{key: hash}`` maps."""
    return ListDiff(
        added=sorted(k for k in new if k not in old),
        removed=sorted(k for k in old if k not in new),
        changed=sorted(k for k, h in new.items() if k in old and old[k] != h),
    )


def list_sanity_check(previous_count: int | None, new_count: int, min_ratio: float = 0.5) -> None:
    """Raise :class:`ListCollapsed` if ``new_count`` is below ``min_ratio`` of ``previous_count``."""
    if new_count <= 0:
        raise ListCollapsed(previous_count=previous_count or 0, new_count=new_count, min_ratio=min_ratio)
    if previous_count and new_count < previous_count * min_ratio:
        raise ListCollapsed(previous_count=previous_count, new_count=new_count, min_ratio=min_ratio)
