"""The ``Surrogate`` interface: predict every objective with uncertainty (scikit-learn style),
and what a fitted surrogate offers an acquisition function."""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from predictnas.exceptions import InvalidValuesError, NotFittedError


@dataclass(frozen=True)
class AcquisitionModel:
    """What a fitted surrogate offers a botorch MC acquisition function.

    Attributes:
        model: A botorch ``Model`` over ``inputs(X)`` tensors; its outputs are in the surrogate's
            model space (e.g. power-warped targets).
        inputs: Features ``(n, d)`` -> the model's input tensor ``(n, d')``.
        outputs: Model-space values or samples ``(..., m)`` (torch) -> the units of the ``Y`` given
            to ``fit`` (a monotone map per column; the identity when nothing is warped).
        kind: ``"posterior"``: a joint Gaussian posterior (a GP; any point may be asked, or the
            ``support`` rows only when it was built on them);
            ``"samples"``: joint draws on the ``support`` rows given to
            :meth:`Surrogate.acquisition_model` only.
        columns: Position in the model's input of each feature column kept (``{feature column:
            input position}``), so an acquisition objective can read an exact feature value.
    """

    model: Any
    inputs: Callable[[np.ndarray], Any]
    outputs: Callable[[Any], Any]
    kind: str
    columns: dict[int, int]


class Surrogate(abc.ABC):
    """Predicts ``m`` objectives from features. Implement :meth:`fit` and :meth:`predict`.

    Shapes: ``X`` is ``(n, d)`` float, ``Y`` is ``(n, m)`` float (NaN-free).

    Acquisition functions use :meth:`acquisition_model`. By default it is built from
    :meth:`sample` (joint draws on the rows the acquisition will ask about, as a botorch
    ensemble), so any surrogate that can sample drives the default proposer; a surrogate with a
    botorch posterior (:class:`~predictnas.surrogates.GPSurrogate`) returns that instead.

    Capabilities (class attributes) tell the default proposer what it may pass or ask, so that it
    never recognises a surrogate by name: with ``takes_column_groups`` the constructor takes
    ``groups`` (column groups of the model inputs, one kernel term each); with
    ``takes_categorical_columns`` it takes ``cat_dims``; with ``takes_seed`` it takes ``seed``; with
    ``conditions_on_data`` :meth:`with_data` keeps the fitted hyperparameters and conditions on
    new rows (cheap steps between refits). :mod:`predictnas.testing` checks a surrogate against
    this contract.
    """

    takes_column_groups: ClassVar[bool] = False
    takes_categorical_columns: ClassVar[bool] = False
    takes_seed: ClassVar[bool] = False
    conditions_on_data: ClassVar[bool] = False

    @abc.abstractmethod
    def fit(self, X: np.ndarray, Y: np.ndarray) -> Surrogate:
        """Fits one model per objective column of ``Y``; returns ``self``."""

    @abc.abstractmethod
    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, std)``, each ``(n, m)``."""

    def sample(self, X: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """``(n_samples, n, m)`` draws from the predictive distribution (default: independent
        Gaussians from :meth:`predict`; the GP draws from its joint posterior, the xgboost
        ensemble returns its members)."""
        mean, std = self.predict(X)
        return mean[None] + std[None] * rng.standard_normal((n_samples, *mean.shape))

    def with_data(self, X: np.ndarray, Y: np.ndarray) -> Surrogate:
        """The fitted model conditioned on ``X, Y`` without refitting its hyperparameters (only
        with ``conditions_on_data``)."""
        raise NotImplementedError(f"{type(self).__name__} does not condition on new data (conditions_on_data is False).")

    def interval(self, X: np.ndarray, level: float = 0.9, *, calibrated: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Central predictive interval ``(low, high)``, each ``(n, m)`` (default: Gaussian).
        ``calibrated=False`` asks for the model's own stds where it calibrates them otherwise."""
        from scipy.stats import norm

        mean, std = self.predict(X)
        z = norm.ppf(0.5 + level / 2)
        return mean - z * std, mean + z * std

    def acquisition_model(self, support: np.ndarray, *, n_samples: int = 64,
                          rng: np.random.Generator) -> AcquisitionModel:
        """The model an MC acquisition function scores ``support`` rows ``(N, d)`` with (every
        candidate, baseline and pending row it will be asked about). Default: ``n_samples``
        joint draws of :meth:`sample` on ``support``, as a botorch ensemble model."""
        draws = self.sample(support, n_samples, rng)
        model, inputs = sampled_ensemble(support, draws)
        return AcquisitionModel(model, inputs, lambda Z: Z, "samples", {j: 1 + j for j in range(support.shape[1])})


def sampled_ensemble(support: np.ndarray, draws: np.ndarray) -> tuple[Any, Callable[[np.ndarray], Any]]:
    """A botorch ``EnsembleModel`` whose members are ``draws (s, N, m)`` on the ``support`` rows
    ``(N, d)``, and the map from feature rows to its inputs: the row's position in ``support``,
    then the row itself (``(n, 1 + d)``)."""
    import torch
    from botorch.models.ensemble import EnsembleModel

    positions = support_index(support)
    values = torch.as_tensor(draws, dtype=torch.float64)  # (s, N, m)

    class _Draws(EnsembleModel):
        def __init__(self) -> None:
            super().__init__()
            self._num_outputs = values.shape[-1]
            self.size = values.shape[0]  # ensemble members

        def forward(self, X: torch.Tensor) -> torch.Tensor:  # (*b, q, 1 + d) -> (*b, s, q, m)
            idx = X[..., 0].long()
            return values[:, idx].movedim(0, -3)

    def inputs(X: np.ndarray) -> torch.Tensor:
        rows = np.ascontiguousarray(X, dtype=np.float64)
        return torch.cat([positions(rows)[:, None].to(torch.float64), torch.as_tensor(rows)], dim=1)

    return _Draws(), inputs


def support_index(support: np.ndarray) -> Callable[[np.ndarray], Any]:
    """The map from feature rows ``(n, d)`` to their positions in ``support`` ``(N, d)`` (a long
    tensor ``(n,)``); a row outside the support is an ``InvalidValuesError``."""
    import torch

    index = {row.tobytes(): i for i, row in enumerate(np.ascontiguousarray(support, dtype=np.float64))}

    def positions(X: np.ndarray) -> torch.Tensor:
        try:
            rows = np.ascontiguousarray(X, dtype=np.float64)
            return torch.tensor([index[row.tobytes()] for row in rows], dtype=torch.long)
        except KeyError:
            raise InvalidValuesError("an acquisition model was asked about a row outside its support.") from None

    return positions


def check_xy(X: np.ndarray, Y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Validates shapes and finiteness; returns float64 ``X (n, d)`` and ``Y (n, m)``."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise InvalidValuesError(f"X must be a 2-d array (n, d); got shape {X.shape}.")
    if not np.isfinite(X).all():
        raise InvalidValuesError("X holds NaN or inf; encode missing features as numbers first.")
    if Y is None:
        return X, None
    Y = np.asarray(Y, dtype=np.float64)
    if Y.ndim == 1:
        Y = Y[:, None]
    if Y.ndim != 2 or len(Y) != len(X):
        raise InvalidValuesError(f"Y must be (n, m) with n = len(X) = {len(X)}; got shape {Y.shape}.")
    if not np.isfinite(Y).all():
        raise InvalidValuesError("Y holds NaN or inf; drop failed trials before fitting.")
    if len(X) < 2:
        raise InvalidValuesError(f"A surrogate needs at least 2 observations; got {len(X)}.")
    return X, Y


def check_fitted(surrogate: Surrogate, attribute: str) -> None:
    if not hasattr(surrogate, attribute):
        raise NotFittedError(f"This {type(surrogate).__name__} is not fitted yet; call fit(X, Y) first.")
