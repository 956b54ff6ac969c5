"""A model-based stopping rule: the study's own learning curves predict a trial's final values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.stoppers._asha import ASHAStopper
from predictnas.types import Objective

Curve = tuple[Mapping[str, float], Mapping[str, float]]  # (values at the step, final values) of a complete trial


class PredictiveStopper(ASHAStopper):
    """Stops a trial at a rung (ASHA's steps) when even an optimistic prediction of its final
    values would not enter the front of the complete trials.

    The prediction of the first objective's final value is a linear regression on its value at
    the rung, fitted on the complete trials that reported that rung (this study's own partial
    curve -> final value map), with its prediction interval; optimistic is ``beta`` standard
    deviations towards better. The other objectives are as reported (e.g. MACs, known before
    training). With fewer than ``min_curves`` complete curves at the rung, or an objective not
    reported, ASHA decides (see :class:`ASHAStopper` for ``eta``, ``min_step``, ``max_step``).

    Args:
        beta: Optimism of the prediction, in standard deviations of the prediction interval.
        min_curves: Complete curves at a rung before the model decides there.
    """

    uses_curves: ClassVar[bool] = True

    def __init__(self, *, beta: float = 2.0, min_curves: int = 5, eta: float = 3.0, min_step: int = 1,
                 max_step: int | None = None) -> None:
        super().__init__(eta=eta, min_step=min_step, max_step=max_step)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta < 0:
            raise InvalidSpecError(f"predictive beta must be a number >= 0; got {beta!r}.")
        if not isinstance(min_curves, int) or isinstance(min_curves, bool) or min_curves < 3:
            raise InvalidSpecError(f"predictive min_curves must be an integer >= 3; got {min_curves!r}.")
        self.beta, self.min_curves = float(beta), min_curves

    def should_stop(self, step: int, values: Mapping[str, float], peers: Sequence[Mapping[str, float]],
                    objectives: Sequence[Objective], curves: Sequence[Curve] = ()) -> bool:
        if step not in self.rungs(step):
            return False
        names = [o.name for o in objectives]
        usable = [(at, final) for at, final in curves if names[0] in at and all(n in final for n in names)]
        if len(usable) < self.min_curves or not all(n in values for n in names):
            return super().should_stop(step, values, peers, objectives)
        signs = np.array([-1.0 if o.direction == "maximize" else 1.0 for o in objectives])  # minimisation form
        x = np.array([at[names[0]] for at, _ in usable])
        y = np.array([final[names[0]] for _, final in usable])
        mean, std = _predict(x, y, float(values[names[0]]))
        optimistic = mean + (-signs[0]) * self.beta * std  # towards better
        mine = np.array([optimistic] + [float(values[n]) for n in names[1:]]) * signs
        finals = np.array([[final[n] for n in names] for _, final in usable]) * signs
        return bool((np.all(finals <= mine, axis=1) & np.any(finals < mine, axis=1)).any())


def _predict(x: np.ndarray, y: np.ndarray, x0: float) -> tuple[float, float]:
    """Least-squares line ``y ~ a + b x`` at ``x0``: mean and the standard deviation of a new
    observation there (ordinary prediction interval)."""
    n = len(x)
    x_mean = x.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    b = float(((x - x_mean) * (y - y.mean())).sum() / sxx) if sxx > 0 else 0.0
    a = float(y.mean() - b * x_mean)
    residual = y - (a + b * x)
    s2 = float((residual**2).sum() / (n - 2))
    spread = 1 + 1 / n + ((x0 - x_mean) ** 2 / sxx if sxx > 0 else 0.0)
    return a + b * x0, float(np.sqrt(s2 * spread))
