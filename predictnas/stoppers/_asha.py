"""Asynchronous successive halving (ASHA; Li et al., MLSys 2020)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.stoppers._base import Stopper
from predictnas.types import Objective


class ASHAStopper(Stopper):
    """Stops a trial at a rung (steps ``min_step * eta**k``) unless its ``metric`` is in the best
    ``1 / eta`` of what the trials that reached the rung before it reported there (the cut is the
    ``1 - 1/eta`` quantile of those values and its own, as Ray Tune's ASHA; the first trial at a
    rung always continues). Asynchronous: no trial waits for others.

    Args:
        metric: The metric reported and compared (default: the first objective); its direction is
            the objective's (``maximize`` when it is not an objective).
        eta: Reduction factor: the share that continues at each rung is ``1 / eta``.
        min_step: The first rung.
        max_step: No rung at or after it (the target fidelity: a trial that gets there completes).
    """

    def __init__(self, *, metric: str | None = None, eta: float = 3.0, min_step: int = 1, max_step: int | None = None) -> None:
        if isinstance(eta, bool) or not isinstance(eta, (int, float)) or eta <= 1:
            raise InvalidSpecError(f"ASHA eta must be a number > 1; got {eta!r}.")
        if not isinstance(min_step, int) or isinstance(min_step, bool) or min_step < 1:
            raise InvalidSpecError(f"ASHA min_step must be an integer >= 1; got {min_step!r}.")
        if max_step is not None and (not isinstance(max_step, int) or isinstance(max_step, bool) or max_step <= min_step):
            raise InvalidSpecError(f"ASHA max_step must be an integer > min_step ({min_step}); got {max_step!r}.")
        self.metric, self.eta, self.min_step, self.max_step = metric, float(eta), min_step, max_step

    def rungs(self, up_to: int) -> list[int]:
        """The rung steps up to ``up_to`` (and below ``max_step``)."""
        out, k = [], 0
        while (r := int(round(self.min_step * self.eta**k))) <= up_to and (self.max_step is None or r < self.max_step):
            if not out or r > out[-1]:
                out.append(r)
            k += 1
        return out

    def should_stop(self, step: int, values: Mapping[str, float], peers: Sequence[Mapping[str, float]],
                    objectives: Sequence[Objective]) -> bool:
        if step not in self.rungs(step):
            return False
        metric = self.metric or objectives[0].name
        if metric not in values:
            raise InvalidSpecError(f"ASHA compares {metric!r}, but the report at step {step} holds only {sorted(values)}; "
                                   "report it, or set the stopper option metric.")
        sign = next((-1.0 if o.direction == "minimize" else 1.0 for o in objectives if o.name == metric), 1.0)
        recorded = [sign * p[metric] for p in peers if metric in p] + [sign * values[metric]]
        cut = float(np.percentile(recorded, 100 * (1 - 1 / self.eta)))
        return sign * values[metric] < cut
