"""`convert_files`: raw source files → messages rows, with the build's cleaning and PII scrubbing.

No filters, dedup or selection: a conversion keeps every conversation that parses. Bad lines become
`Reject`s located at `FILE:LINE`; the caller (the `hubtools data convert` command) reports them and writes
rows and rejects with `write_conversion`, after `check_outputs` made sure no output is an input.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hubtools.data._process import clean_and_scrub
from hubtools.data.scrub import Scrubber
from hubtools.data.sources import KINDS, SUFFIXES, ParseResult, Reject, collect_files, display_name, parse_file
from hubtools.errors import HubtoolsError
from hubtools.paths import atomic_writes, check_output_file, refuse_overlaps


@dataclass
class Conversion:
    """Converted rows, the records left out (`FILE:LINE: reason`), and PII replaced per kind."""

    rows: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    pii: Counter = field(default_factory=Counter)
    files: int = 0


def input_files(kind: str, paths: Iterable[str | Path]) -> list[tuple[Path, str]]:
    """The files a conversion reads, with display names: each file given, and `kind`'s files in each folder."""
    if kind not in KINDS:
        raise HubtoolsError(f"--from: unknown format {kind!r} (known: {', '.join(KINDS)})")
    files = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend((file, display_name(str(path / display))) for file, display in collect_files(path, kind))
        elif path.is_file():
            files.append((path, display_name(str(raw))))
        elif path.exists():
            raise HubtoolsError(f"input {raw} is not a regular file or folder (a device, pipe or socket?)")
        else:
            raise HubtoolsError(f"input not found: {raw} (expected a file or a folder of {'/'.join(SUFFIXES[kind])})")
    return files


def convert_files(
    kind: str, paths: Iterable[str | Path], *, scrub: bool = True, names: Iterable[str] = ()
) -> Conversion:
    """Parse `paths` (files, or folders of `kind`'s files) as `kind`, then clean and scrub every conversation."""
    parsed = ParseResult()
    conversion = Conversion()
    for file, display in input_files(kind, paths):
        parsed.extend(parse_file(kind, file, source=kind, display=display))
        conversion.files += 1
    scrubber = Scrubber(parsed.names | set(names)) if scrub else None
    conversion.rejects.extend(parsed.rejects)
    for row in parsed.rows:
        cleaned = clean_and_scrub(row, scrubber, conversion.pii)
        if cleaned is None:
            conversion.rejects.append(
                Reject(row["source_id"], "no turns left after cleaning", stage="clean", source=kind, row=row)
            )
        else:
            conversion.rows.append(cleaned)
    return conversion


def default_rejects_path(out: Path) -> Path:
    """`OUT.rejects.jsonl` next to `OUT` (`.jsonl` replaced)."""
    return out.with_name(out.name.removesuffix(".jsonl") + ".rejects.jsonl")


def check_outputs(kind: str, paths: Iterable[str | Path], out: Path, rejects: Path) -> None:
    """Refuse, before anything is read or written, outputs that are folders, sit under a file, are one of
    the inputs (also through `./`, symlinks or hard links) or are the same file as each other."""
    check_output_file(out, "--out")
    check_output_file(rejects, "--rejects")
    inputs = [file for file, _ in input_files(kind, paths)]
    refuse_overlaps([("--out", out), ("--rejects", rejects)], inputs)


def write_conversion(conversion: Conversion, out: Path, rejects: Path) -> None:
    """Write the rows to `out` and, if any, the rejects to `rejects`, all or nothing (atomic renames)."""
    targets = [out, rejects] if conversion.rejects else [out]
    with atomic_writes(targets) as handles:
        for row in conversion.rows:
            handles[0].write(json.dumps(row, ensure_ascii=False) + "\n")
        if conversion.rejects:
            for reject in conversion.rejects:
                handles[1].write(json.dumps(reject.to_json(), ensure_ascii=False) + "\n")
