"""Cross-validated predictor quality: rank correlations and interval coverage per objective."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from predictnas.surrogates._base import Surrogate


def rank_quality(y_true: np.ndarray, y_pred: np.ndarray, low: np.ndarray | None = None,
                 high: np.ndarray | None = None, top: float | None = None) -> dict[str, float]:
    """Spearman, Kendall (and Kendall among the true top ``top`` fraction), and coverage of
    ``[low, high]``, for one objective (1-d arrays, larger = better for ``top``)."""
    from scipy.stats import kendalltau, spearmanr

    out = {"spearman": float(spearmanr(y_true, y_pred).statistic), "kendall": float(kendalltau(y_true, y_pred).statistic)}
    if top is not None:
        best = y_true >= np.quantile(y_true, 1 - top)
        out["kendall_top"] = float(kendalltau(y_true[best], y_pred[best]).statistic) if best.sum() > 2 else float("nan")
    if low is not None and high is not None:
        out["coverage"] = float(np.mean((y_true >= low) & (y_true <= high)))
    return out


def cross_validate(make: Callable[[], Surrogate], X: np.ndarray, Y: np.ndarray, *, names: list[str], folds: int = 5,
                   level: float = 0.9, rng: np.random.Generator) -> dict[str, dict[str, float]]:
    """``{objective: {"spearman", "kendall", "coverage"}}`` from ``folds``-fold cross-validation
    (out-of-fold predictions pooled). ``X (n, d)``, ``Y (n, m)``."""
    n = len(X)
    folds = max(2, min(folds, n))
    order = rng.permutation(n)
    mean, low, high = np.zeros_like(Y), np.zeros_like(Y), np.zeros_like(Y)
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        model = make().fit(X[train], Y[train])
        mean[test] = model.predict(X[test])[0]
        low[test], high[test] = model.interval(X[test], level)
    return {name: rank_quality(Y[:, j], mean[:, j], low[:, j], high[:, j]) for j, name in enumerate(names)}
