"""Find the current publication: what `latest` points at. Readers (portal, CLI, explain) need only this,
not the code that writes publications."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["latest_publication", "latest_manifest"]


def latest_publication(root: Path) -> Path | None:
    """The folder `root/latest` points at, or None when nothing was published yet."""
    link = Path(root) / "latest"
    return link.resolve() if link.exists() else None


def latest_manifest(root: Path) -> dict[str, Any] | None:
    """The manifest of the latest publication, or None."""
    folder = latest_publication(root)
    if folder is None or not (folder / "manifest.json").is_file():
        return None
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
