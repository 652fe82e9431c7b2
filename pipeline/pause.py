"""Pause points: where a kill test (tests/assets/test_operations.py) stops a real run to kill it at a
known moment (while officer workbooks are being written, while `latest` is being swapped).

With `UCJ_PAUSE_AT="<point>:<marker file>"` in the environment, the process that reaches `<point>`
writes its pid to the marker file and sleeps (at most `MAX_PAUSE_SECONDS`, then goes on). Unset, as
in production, `pause_point` only reads one environment variable and returns.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

__all__ = ["PAUSE_ENV", "pause_point"]

PAUSE_ENV = "UCJ_PAUSE_AT"
MAX_PAUSE_SECONDS = 600  # a test that forgets to kill never hangs a run for good


def pause_point(point: str) -> None:
    name, _, marker = os.environ.get(PAUSE_ENV, "").partition(":")
    if name != point or not marker:
        return
    Path(marker).write_text(str(os.getpid()), encoding="utf-8")
    deadline = time.monotonic() + MAX_PAUSE_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.2)
