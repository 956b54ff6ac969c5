"""A model-based stopping rule: the study's own learning curves (and the architectures that made
them) predict a trial's final values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.stoppers._asha import ASHAStopper
from predictnas.types import Objective

Curve = tuple[Mapping[str, float], Mapping[str, float]]  # (values at the step, final values) of a complete trial
MODELS = ("auto", "line", "features")


class PredictiveStopper(ASHAStopper):
    """Stops a trial at a rung (ASHA's steps) when even an optimistic prediction of its final
    values would not enter the front of the complete trials.

    The first objective's final value is predicted from its value at the rung, fitted on the
    complete trials that reported that rung (this study's own partial curve -> final value map),
    with the standard deviation of a new observation; optimistic is ``beta`` of them towards
    better. The other objectives are as reported (e.g. MACs, known before training). With fewer
    than ``min_curves`` complete curves at the rung, or an objective not reported, ASHA decides
    (see :class:`ASHAStopper` for ``eta``, ``min_step``, ``max_step``).

    Models (``model``): ``"line"``, a least-squares line on the partial value; ``"features"``,
    Bayesian ridge regression on the partial value and the architecture's tabular features;
    ``"auto"`` (default), the one with the lower 5-fold cross-validated error on the curves at the
    rung, ``"line"`` below ``2 * min_curves + 10`` curves (the features need data to pay off).

    Args:
        beta: Optimism of the prediction, in standard deviations.
        min_curves: Complete curves at a rung before the model decides there.
        model: ``"auto"``, ``"line"`` or ``"features"``.
    """

    uses_curves: ClassVar[bool] = True
    uses_features: ClassVar[bool] = True

    def __init__(self, *, beta: float = 2.0, min_curves: int = 5, model: str = "auto", eta: float = 3.0, min_step: int = 1,
                 max_step: int | None = None) -> None:
        super().__init__(eta=eta, min_step=min_step, max_step=max_step)
        if isinstance(beta, bool) or not isinstance(beta, (int, float)) or beta < 0:
            raise InvalidSpecError(f"predictive beta must be a number >= 0; got {beta!r}.")
        if not isinstance(min_curves, int) or isinstance(min_curves, bool) or min_curves < 3:
            raise InvalidSpecError(f"predictive min_curves must be an integer >= 3; got {min_curves!r}.")
        if model not in MODELS:
            raise InvalidSpecError(f"predictive model must be one of {', '.join(map(repr, MODELS))}; got {model!r}.")
        self.beta, self.min_curves, self.model = float(beta), min_curves, model

    def should_stop(self, step: int, values: Mapping[str, float], peers: Sequence[Mapping[str, float]],
                    objectives: Sequence[Objective], curves: Sequence[Curve] = (), features: np.ndarray | None = None,
                    curve_features: np.ndarray | None = None) -> bool:
        """As :meth:`ASHAStopper.should_stop`; ``features`` ``(d,)`` and ``curve_features`` ``(len(curves), d)``
        are the architectures' features (the ``"line"`` model, or their absence, ignores them)."""
        if step not in self.rungs(step):
            return False
        names = [o.name for o in objectives]
        usable = [i for i, (at, final) in enumerate(curves) if names[0] in at and all(n in final for n in names)]
        if len(usable) < self.min_curves or not all(n in values for n in names):
            return super().should_stop(step, values, peers, objectives)
        signs = np.array([-1.0 if o.direction == "maximize" else 1.0 for o in objectives])  # minimisation form
        x = np.array([curves[i][0][names[0]] for i in usable])
        y = np.array([curves[i][1][names[0]] for i in usable])
        x0 = float(values[names[0]])
        model = self.model
        if model == "auto":
            model = "line" if features is None or len(usable) < 2 * self.min_curves + 10 else _better_by_cv(x, curve_features[usable], y)
        if model == "features" and features is not None:
            mean, std = _predict_features(np.c_[x, curve_features[usable]], y, np.r_[x0, features][None, :])
        else:
            mean, std = _predict_line(x, y, np.array([x0]))
        optimistic = float(mean[0]) + (-signs[0]) * self.beta * float(std[0])  # towards better
        mine = np.array([optimistic] + [float(values[n]) for n in names[1:]]) * signs
        finals = np.array([[curves[i][1][n] for n in names] for i in usable]) * signs
        return bool((np.all(finals <= mine, axis=1) & np.any(finals < mine, axis=1)).any())


def _predict_line(x: np.ndarray, y: np.ndarray, x0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares line ``y ~ a + b x`` at ``x0`` ``(m,)``: means and standard deviations of a
    new observation there (ordinary prediction interval), each ``(m,)``."""
    n = len(x)
    x_mean = x.mean()
    sxx = float(((x - x_mean) ** 2).sum())
    b = float(((x - x_mean) * (y - y.mean())).sum() / sxx) if sxx > 0 else 0.0
    a = float(y.mean() - b * x_mean)
    residual = y - (a + b * x)
    s2 = float((residual**2).sum() / (n - 2))
    spread = 1 + 1 / n + ((x0 - x_mean) ** 2 / sxx if sxx > 0 else 0.0)
    return a + b * x0, np.sqrt(s2 * spread)


def _predict_features(Z: np.ndarray, y: np.ndarray, Z0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bayesian ridge regression of ``y`` on ``Z`` ``(n, 1 + d)`` (the partial value as is, the
    features standardised) at ``Z0`` ``(m, 1 + d)``: means and standard deviations of a new
    observation, each ``(m,)``."""
    from sklearn.linear_model import BayesianRidge

    centre, scale = Z.mean(axis=0), Z.std(axis=0)
    centre[0], scale[0] = 0.0, 1.0  # the partial value keeps its scale: the prior shrinks it least
    scale[scale == 0] = 1.0
    model = BayesianRidge().fit((Z - centre) / scale, y)
    return model.predict((Z0 - centre) / scale, return_std=True)


def _better_by_cv(x: np.ndarray, F: np.ndarray, y: np.ndarray, folds: int = 5) -> str:
    """``"features"`` when Bayesian ridge on ``[x, F]`` has a lower ``folds``-fold squared error
    than the line on ``x`` (folds by position: deterministic), else ``"line"``."""
    fold = np.arange(len(y)) % folds
    Z = np.c_[x, F]
    line = features = 0.0
    for k in range(folds):
        train, test = fold != k, fold == k
        line += float(((_predict_line(x[train], y[train], x[test])[0] - y[test]) ** 2).sum())
        features += float(((_predict_features(Z[train], y[train], Z[test])[0] - y[test]) ** 2).sum())
    return "features" if features < line else "line"
