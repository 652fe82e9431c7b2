"""Seconds per stage, for run reports and the benchmark (no timed assertions anywhere)."""

from __future__ import annotations

import time

__all__ = ["Laps"]


class Laps:
    """`lap(name)` records the seconds since the previous lap (or since creation) under `name`."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._clock = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._clock, 3)
        self._clock = now
