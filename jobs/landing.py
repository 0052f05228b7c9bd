"""Writing records into a landing zone, for the importers: never rewriting what landed before."""

from __future__ import annotations

import json
from pathlib import Path

from jobs.runtime import JobError


def land_records(files: dict[Path, list[dict]], again: str) -> dict[Path, str]:
    """Write each file's records as JSON Lines; what became of each file.

    All or none: a file landed before with other content stops the import before anything is
    written (`again` tells the user what to do instead); the same content again is left as it is.
    A file is written under a hidden name first, so ingest never reads half of one.
    """
    planned = {}
    for path, records in files.items():
        lines = [json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False) for r in records]
        planned[path] = ("".join(line + "\n" for line in lines).encode(), len(records))
    for path, (data, _) in planned.items():
        if path.exists() and path.read_bytes() != data:
            raise JobError(
                f"{path} was landed before with other content, and landed files are never rewritten: {again}"
            )
    outcome = {}
    for path, (data, count) in planned.items():
        if path.exists():
            outcome[path] = f"{path}: already landed, {count} records, unchanged"
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.partial")
        temporary.write_bytes(data)
        temporary.replace(path)
        outcome[path] = f"{path}: {count} records"
    return outcome
