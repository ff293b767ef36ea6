"""`convert_files`: raw source files → messages rows, with the build's cleaning and PII scrubbing.

No filters, dedup or selection: a conversion keeps every conversation that parses. Bad lines become
`Reject`s located at `FILE:LINE`; the caller (the `hubtools data convert` command) reports and writes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from hubtools.data._process import clean_and_scrub
from hubtools.data.scrub import Scrubber
from hubtools.data.sources import KINDS, SUFFIXES, ParseResult, Reject, collect_files, parse_file
from hubtools.errors import HubtoolsError


@dataclass
class Conversion:
    """Converted rows, the records left out (`FILE:LINE: reason`), and PII replaced per kind."""

    rows: list[dict] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)
    pii: Counter = field(default_factory=Counter)
    files: int = 0


def convert_files(
    kind: str, paths: Iterable[str | Path], *, scrub: bool = True, names: Iterable[str] = ()
) -> Conversion:
    """Parse `paths` (files, or folders of `kind`'s files) as `kind`, then clean and scrub every conversation."""
    if kind not in KINDS:
        raise HubtoolsError(f"--from: unknown format {kind!r} (known: {', '.join(KINDS)})")
    parsed = ParseResult()
    conversion = Conversion()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = [(file, str(path / display)) for file, display in collect_files(path, kind)]
        elif path.is_file():
            files = [(path, str(raw))]
        else:
            raise HubtoolsError(f"input not found: {raw} (expected a file or a folder of {'/'.join(SUFFIXES[kind])})")
        for file, display in files:
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
