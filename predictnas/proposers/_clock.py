"""Seconds per named phase of a proposal step (recorded as ``phase_seconds``)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator


class PhaseClock:
    """Seconds spent per named phase of a step (``with clock("fit"): ...``)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    def __call__(self, phase: str) -> contextlib.AbstractContextManager[None]:
        @contextlib.contextmanager
        def timed() -> Iterator[None]:
            start = time.perf_counter()
            try:
                yield
            finally:
                self.seconds[phase] = round(self.seconds.get(phase, 0.0) + time.perf_counter() - start, 4)

        return timed()
