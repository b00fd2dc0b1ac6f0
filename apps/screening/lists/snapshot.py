"""The offline snapshot of the official lists bundled in ``apps/screening/data/snapshot/``.

Each list has a folder named by its key holding its files xz-compressed under their canonical
names (``sdn.csv.xz``...); ``PROVENANCE.md`` there says where every file comes from. Rebuild it
from a folder of the official files (one sub-folder per list key) with::

    python -m apps.screening.lists.snapshot --build PATH/TO/lists
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import shutil
from collections.abc import Iterable
from pathlib import Path

from apps.screening.lists.base import ParseResult
from apps.screening.lists.registry import LIST_SOURCES
from apps.screening.matching.types import ListEntity

SNAPSHOT_DIR = Path(__file__).resolve().parent.parent / "data" / "snapshot"
SNAPSHOT_LISTS = ("ofac_sdn", "ofac_cons", "un_sc", "uk_ofsi")

# Canonical file name -> the name the source folder gives it (where they differ, as PROVENANCE.md names them).
SHARED_NAMES = {
    ("un_sc", "consolidated.xml"): "UN_consolidated.xml",
    ("uk_ofsi", "ConList.csv"): "ConList_2025-04-14.csv",
}


def snapshot_files(list_key: str) -> dict[str, bytes]:
    """The raw files of one list in the snapshot, decompressed: ``{canonical name: bytes}``."""
    folder = SNAPSHOT_DIR / list_key
    if list_key not in SNAPSHOT_LISTS or not folder.is_dir():
        raise KeyError(f"no snapshot for list {list_key!r}; snapshot lists: {', '.join(SNAPSHOT_LISTS)}")
    return {path.name[: -len(".xz")]: lzma.decompress(path.read_bytes()) for path in sorted(folder.glob("*.xz"))}


def snapshot_parse(list_key: str) -> ParseResult:
    """Parse one list of the snapshot."""
    return LIST_SOURCES[list_key].parse(snapshot_files(list_key))


def snapshot_entities(lists: Iterable[str] | None = None) -> list[ListEntity]:
    """Entities of the bundled snapshot, for ``lists`` (default: all of them)."""
    entities: list[ListEntity] = []
    for key in lists or SNAPSHOT_LISTS:
        entities.extend(snapshot_parse(key).entities)
    return entities


def snapshot_build(source_dir: Path, target_dir: Path = SNAPSHOT_DIR) -> dict[str, int]:
    """Compress the files of ``source_dir/<list>/`` into the snapshot; returns bytes written per list."""
    written: dict[str, int] = {}
    for key in SNAPSHOT_LISTS:
        out = target_dir / key
        if out.exists():
            shutil.rmtree(out)
        out.mkdir(parents=True)
        total = 0
        for spec in LIST_SOURCES[key].files:
            src = source_dir / key / SHARED_NAMES.get((key, spec.name), spec.name)
            if not src.exists():
                continue
            data = lzma.compress(src.read_bytes(), preset=9 | lzma.PRESET_EXTREME)
            (out / f"{spec.name}.xz").write_bytes(data)
            total += len(data)
        written[key] = total
    provenance = source_dir / "PROVENANCE.md"
    if provenance.exists():
        shutil.copyfile(provenance, target_dir / "PROVENANCE.md")
    checksums_write(target_dir)
    return written


CHECKSUMS = "CHECKSUMS.sha256"


def checksums_of(target_dir: Path = SNAPSHOT_DIR) -> dict[str, str]:
    """``{"<list>/<file>": sha256 of the uncompressed file}`` for every file of the snapshot."""
    out: dict[str, str] = {}
    for key in SNAPSHOT_LISTS:
        for path in sorted((target_dir / key).glob("*.xz")):
            out[f"{key}/{path.name[: -len('.xz')]}"] = hashlib.sha256(lzma.decompress(path.read_bytes())).hexdigest()
    return out


def checksums_write(target_dir: Path = SNAPSHOT_DIR) -> None:
    """Record the snapshot's checksums (``sha256sum`` format) so the repository can check its own copy."""
    lines = [f"{digest}  {name}\n" for name, digest in checksums_of(target_dir).items()]
    (target_dir / CHECKSUMS).write_text("".join(lines), encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", metavar="DIR", type=Path, help="compress the lists found in DIR into the snapshot")
    args = parser.parse_args(argv)
    if args.build is None:
        parser.print_help()
        return
    for key, size in snapshot_build(args.build).items():
        print(f"{key}: {size:,} bytes")  # noqa: T201


if __name__ == "__main__":
    main()
