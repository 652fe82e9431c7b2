"""The inbox as observable sources: each observation gives a data version from the file hashes, so
the UI shows when the warehouse is stale and runs can skip work when nothing changed."""

import hashlib
from pathlib import Path

import dagster as dg

from assets.resources import PipelineSettings
from pipeline.inbox import scan_inbox
from pipeline.readers import describe

__all__ = ["inbox_register", "inbox_members", "inbox_fingerprint"]


def inbox_fingerprint(paths: list[Path]) -> str:
    """One hash for a set of files: their names and content hashes."""
    digest = hashlib.sha256()
    for path in sorted(paths, key=lambda p: p.name):
        digest.update(f"{path.name}\0{describe(path).sha256}\n".encode())
    return digest.hexdigest()


@dg.observable_source_asset(group_name="inbox", description="The DTSEN register extract in data/inbox/ "
                            "(the last register file by name).")
def inbox_register(settings: PipelineSettings) -> dg.DataVersion:
    return dg.DataVersion(inbox_fingerprint(scan_inbox(settings.inbox()).register))


@dg.observable_source_asset(group_name="inbox", description="Every BPJS Ketenagakerjaan export in data/inbox/.")
def inbox_members(settings: PipelineSettings) -> dg.DataVersion:
    return dg.DataVersion(inbox_fingerprint(scan_inbox(settings.inbox()).members))
