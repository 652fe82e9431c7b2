"""The inbox as observable sources: each observation gives a data version from the file hashes, so
the UI shows when the warehouse is stale and runs can skip work when nothing changed."""

import warnings

import dagster as dg

from assets.resources import PipelineSettings
from pipeline.ingest.inbox import files_fingerprint, scan_inbox

__all__ = ["inbox_register", "inbox_members"]


def _register_version(settings: PipelineSettings) -> dg.DataVersion:
    return dg.DataVersion(files_fingerprint(scan_inbox(settings.inbox()).register))


def _members_version(settings: PipelineSettings) -> dg.DataVersion:
    return dg.DataVersion(files_fingerprint(scan_inbox(settings.inbox()).members))


with warnings.catch_warnings():  # observable sources are "beta" in Dagster 1.13; we accept that
    warnings.simplefilter("ignore", dg.BetaWarning)
    inbox_register = dg.observable_source_asset(
        name="inbox_register", group_name="inbox",
        description="The DTSEN register extract in data/inbox/ (the last register file by name).",
    )(_register_version)
    inbox_members = dg.observable_source_asset(
        name="inbox_members", group_name="inbox", description="Every BPJS Ketenagakerjaan export in data/inbox/.",
    )(_members_version)
