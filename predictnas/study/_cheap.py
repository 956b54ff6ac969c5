"""Statistics known without evaluating (FLOPs, a latency table, a proxy), cached per function."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from predictnas.exceptions import StudyError
from predictnas.spaces import Arch, SearchSpace
from predictnas.types import FrozenTrial, as_real

logger = logging.getLogger("predictnas.study")


class CheapStatistics:
    """``function(arch) -> {name: value}``, called once per architecture.

    Args:
        function: The source (e.g. an evaluator's ``cheap_statistics``); an exception it raises
            means "unknown for this architecture".
        progress_after_s: A lookup still running after this many seconds (e.g. zero-cost proxies
            of a large candidate pool) shows a progress bar on stderr.
    """

    def __init__(self, function: Callable[[Arch], Mapping[str, float]], *, progress_after_s: float = 3.0) -> None:
        self.function, self.progress_after_s = function, progress_after_s
        self._cache: dict[Arch, dict[str, float] | str] = {}

    def of(self, arch: Arch) -> dict[str, float] | str:
        """The statistics of ``arch``, or why they failed."""
        stats = self._cache.get(arch)
        if stats is None:
            try:
                raw = self.function(arch)
                stats = {k: v for k, v in ((k, as_real(v)) for k, v in raw.items()) if v is not None}
            except Exception as exc:  # an architecture the source does not know: no exact values
                stats = f"{type(exc).__name__}: {exc}"
            self._cache[arch] = stats
        return stats

    def lookup(self, archs: Sequence[Arch]) -> dict[str, np.ndarray]:
        """``{name: (n,) values}``; NaN where the function fails (such candidates are left out of a
        proposal; how many is logged)."""
        started, bar = time.perf_counter(), None
        rows = []
        for arch in archs:
            rows.append(self.of(arch))
            if bar is not None:
                bar.update()
            elif len(rows) < len(archs) and time.perf_counter() - started > self.progress_after_s:
                from tqdm.auto import tqdm

                bar = tqdm(total=len(archs), initial=len(rows), desc="cheap statistics of the candidates", unit="arch",
                           leave=False, file=sys.stderr)
        if bar is not None:
            bar.close()
        failed = [r for r in rows if isinstance(r, str)]
        if failed:
            logger.warning("cheap statistics failed for %d of %d architectures (e.g. %s); they are not proposed",
                           len(failed), len(rows), failed[0])
        good = [r if isinstance(r, dict) else {} for r in rows]
        names = sorted({k for stats in good for k in stats})
        return {k: np.array([stats.get(k, np.nan) for stats in good]) for k in names}

    def check(self, complete: Sequence[FrozenTrial], declared: Sequence[str], space: SearchSpace) -> None:
        """A ``declared`` cheap objective must be known for every evaluated trial: otherwise the
        proposer would quietly model it instead (a silent change of method)."""
        if not declared:
            return
        for trial in complete:
            stats = self.of(trial.arch)
            missing = [n for n in declared if isinstance(stats, str) or n not in stats]
            if missing:
                reason = stats if isinstance(stats, str) else f"it returned only {sorted(stats)}"
                raise StudyError(f"Objective(s) {missing} are declared cheap, but the cheap statistics of trial "
                                 f"{trial.number} ({space.to_string(trial.arch)}) failed: {reason}. Fix the "
                                 "evaluator's cheap_statistics, or declare the objective(s) not cheap.")


def cached_statistics(cache: dict[int, CheapStatistics], function: Callable[[Arch], Mapping[str, float]] | None) -> CheapStatistics | None:
    """The :class:`CheapStatistics` of ``function`` in ``cache`` (one per function; made on first use), or ``None`` without one."""
    if function is None:
        return None
    if id(function) not in cache or cache[id(function)].function is not function:
        cache[id(function)] = CheapStatistics(function)
    return cache[id(function)]
