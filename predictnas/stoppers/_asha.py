"""Asynchronous successive halving (ASHA; Li et al., MLSys 2020)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.pareto import rank_and_crowding
from predictnas.stoppers._base import Stopper
from predictnas.types import Objective


class ASHAStopper(Stopper):
    """Stops a trial at a rung (steps ``min_step * eta**k``) unless it is in the best ``1 / eta``
    of what the trials that reached the rung before it reported there, itself included (the first
    trial at a rung always continues). Asynchronous: no trial waits for others.

    One metric: the cut is the ``1 - 1/eta`` quantile of the values (as Ray Tune's ASHA). Several
    (multi-objective ASHA, as Syne Tune's MOASHA): the best ``ceil(n / eta)`` of the ``n`` by
    NSGA-II order (whole non-dominated fronts, the last one by crowding distance), so a small
    model on the front of (accuracy, MACs) continues though its accuracy alone is poor.

    Args:
        metric: What is compared: a metric name, a list of names, or ``None`` (default): every
            objective the report holds (a cheap objective such as MACs included when reported).
            Directions are the objectives' (``maximize`` for a metric that is not one).
        eta: Reduction factor: the share that continues at each rung is ``1 / eta``.
        min_step: The first rung.
        max_step: No rung at or after it (the target fidelity: a trial that gets there completes).
    """

    def __init__(self, *, metric: str | Sequence[str] | None = None, eta: float = 3.0, min_step: int = 1, max_step: int | None = None) -> None:
        if isinstance(eta, bool) or not isinstance(eta, (int, float)) or eta <= 1:
            raise InvalidSpecError(f"ASHA eta must be a number > 1; got {eta!r}.")
        if not isinstance(min_step, int) or isinstance(min_step, bool) or min_step < 1:
            raise InvalidSpecError(f"ASHA min_step must be an integer >= 1; got {min_step!r}.")
        if max_step is not None and (not isinstance(max_step, int) or isinstance(max_step, bool) or max_step <= min_step):
            raise InvalidSpecError(f"ASHA max_step must be an integer > min_step ({min_step}); got {max_step!r}.")
        if not (metric is None or (isinstance(metric, str) and metric) or (
                isinstance(metric, (list, tuple)) and metric and all(isinstance(m, str) and m for m in metric))):
            raise InvalidSpecError(f"ASHA metric must be a metric name or a list of names; got {metric!r}.")
        metric = list(metric) if isinstance(metric, tuple) else metric
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
        metrics = self._metrics(step, values, objectives)
        signs = np.array([next((-1.0 if o.direction == "minimize" else 1.0 for o in objectives if o.name == m), 1.0)
                          for m in metrics])
        recorded = np.array([[p[m] for m in metrics] for p in peers if all(m in p for m in metrics)]
                            + [[values[m] for m in metrics]], dtype=np.float64).reshape(-1, len(metrics)) * signs
        if len(metrics) == 1:
            return bool(recorded[-1, 0] < np.percentile(recorded[:, 0], 100 * (1 - 1 / self.eta)))
        keep = max(1, int(np.ceil(len(recorded) / self.eta - 1e-9)))
        return len(recorded) - 1 not in rank_and_crowding(-recorded, keep)

    def _metrics(self, step: int, values: Mapping[str, float], objectives: Sequence[Objective]) -> list[str]:
        """The metrics a report at ``step`` is compared on (a clear error when it lacks one)."""
        if self.metric is None:
            metrics = [o.name for o in objectives if o.name in values]
            wanted = objectives[0].name if objectives else "an objective"
        else:
            metrics = [self.metric] if isinstance(self.metric, str) else list(self.metric)
            missing = [m for m in metrics if m not in values]
            wanted, metrics = (missing[0] if missing else None), ([] if missing else metrics)
        if not metrics:
            raise InvalidSpecError(f"ASHA compares {wanted!r}, but the report at step {step} holds only {sorted(values)}; "
                                   "report it, or set the stopper option metric.")
        return metrics
