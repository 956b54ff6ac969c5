"""``check_surrogate``: shapes, ``fit`` returns self, uncertainty, and capabilities that hold."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from predictnas.surrogates import AcquisitionModel, Surrogate


def _data(n: int = 40, d: int = 6, m: int = 2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.random((n, d))
    Y = np.stack([np.sin(3 * X[:, 0]) + X[:, 1], X[:, 2] ** 2 - X[:, 3]][:m], axis=1) + 0.01 * rng.standard_normal((n, m))
    return X, Y


def check_surrogate(surrogate: type[Surrogate] | Surrogate, **options: Any) -> None:
    """Checks a :class:`~predictnas.surrogates.Surrogate` class (built with ``options``) or instance:

    1. ``fit(X (n, d), Y (n, m))`` returns the surrogate itself;
    2. ``predict`` gives ``(mean, std)`` of shape ``(n, m)``, finite, std > 0, and ranks unseen
       rows of a smooth function better than chance (Spearman > 0.3 on the first objective);
    3. ``sample`` gives ``(s, n, m)``; ``interval(X, level, calibrated=...)`` gives ``low <= high``;
    4. ``acquisition_model`` gives an :class:`AcquisitionModel` of kind ``posterior`` or ``samples``;
    5. each declared capability holds: ``takes_column_groups`` / ``takes_categorical_columns`` /
       ``takes_seed``: the constructor takes ``groups`` / ``cat_dims`` / ``seed``;
       ``conditions_on_data``: ``with_data`` gives a fitted surrogate of the same shapes.
    """
    cls = surrogate if isinstance(surrogate, type) else type(surrogate)
    name = cls.__name__
    assert issubclass(cls, Surrogate), f"{name} is not a predictnas.surrogates.Surrogate subclass."
    params = inspect.signature(cls.__init__).parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    for flag, option in (("takes_column_groups", "groups"), ("takes_categorical_columns", "cat_dims"), ("takes_seed", "seed")):
        if getattr(cls, flag):
            assert option in params or takes_kwargs, f"{name}.{flag} is True, but its constructor takes no {option!r}."
    model = surrogate if not isinstance(surrogate, type) else cls(**options)
    X, Y = _data()
    fitted = model.fit(X[:30], Y[:30])
    assert fitted is model, f"{name}.fit must return self (scikit-learn's convention); it returned {type(fitted).__name__}."
    mean, std = model.predict(X[30:])
    assert mean.shape == (10, 2) and std.shape == (10, 2), f"{name}.predict must give (n, m) arrays; got {mean.shape}, {std.shape}."
    assert np.isfinite(mean).all() and np.isfinite(std).all() and (std > 0).all(), f"{name}.predict gave non-finite values or std <= 0."
    from scipy.stats import spearmanr

    rho = spearmanr(mean[:, 0], Y[30:, 0]).statistic
    assert rho > 0.3, f"{name} ranks 10 unseen rows of a smooth function at Spearman {rho:.2f} (expected > 0.3)."
    draws = model.sample(X[30:], 5, np.random.default_rng(0))
    assert np.shape(draws) == (5, 10, 2), f"{name}.sample(X, 5, rng) must give (5, n, m); got {np.shape(draws)}."
    for calibrated in (True, False):
        low, high = model.interval(X[30:], 0.9, calibrated=calibrated)
        assert low.shape == high.shape == (10, 2) and (low <= high).all(), f"{name}.interval gave low > high or wrong shapes."
    am = model.acquisition_model(X[25:], n_samples=8, rng=np.random.default_rng(0))
    assert isinstance(am, AcquisitionModel) and am.kind in ("posterior", "samples"), (
        f"{name}.acquisition_model must return an AcquisitionModel of kind 'posterior' or 'samples'.")
    if cls.conditions_on_data:
        conditioned = model.with_data(X, Y)
        assert conditioned.predict(X[:3])[0].shape == (3, 2), f"{name}.with_data must return a fitted surrogate."
