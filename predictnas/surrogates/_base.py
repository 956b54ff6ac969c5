"""The ``Surrogate`` interface: predict every objective with uncertainty (scikit-learn style)."""

from __future__ import annotations

import abc

import numpy as np

from predictnas.exceptions import InvalidValuesError, NotFittedError


class Surrogate(abc.ABC):
    """Predicts ``m`` objectives from features. Implement :meth:`fit` and :meth:`predict`.

    Shapes: ``X`` is ``(n, d)`` float, ``Y`` is ``(n, m)`` float (NaN-free).
    """

    @abc.abstractmethod
    def fit(self, X: np.ndarray, Y: np.ndarray) -> Surrogate:
        """Fits one model per objective column of ``Y``; returns ``self``."""

    @abc.abstractmethod
    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, std)``, each ``(n, m)``."""

    def sample(self, X: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """``(n_samples, n, m)`` draws from the predictive distribution (default: independent
        Gaussians from :meth:`predict`; the GP draws from its joint posterior)."""
        mean, std = self.predict(X)
        return mean[None] + std[None] * rng.standard_normal((n_samples, *mean.shape))

    def interval(self, X: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Central predictive interval ``(low, high)``, each ``(n, m)`` (default: Gaussian)."""
        from scipy.stats import norm

        mean, std = self.predict(X)
        z = norm.ppf(0.5 + level / 2)
        return mean - z * std, mean + z * std


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
