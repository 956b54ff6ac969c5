"""Output warping: a per-column Yeo-Johnson power transform, as in HEBO (Cowen-Rivers et al., 2022).

Benchmark accuracies are skewed (a few broken architectures at chance level, most near the top);
a GP fitted to them spends its length scales on the outliers. A power transform fitted by maximum
likelihood makes each column closer to Gaussian and leaves near-Gaussian ones (FLOPs, latency)
nearly as they are. The transform is monotone, so it keeps every ranking and Pareto dominance.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class PowerWarp:
    """Standardise, then Yeo-Johnson with the maximum-likelihood ``lambda``, per column.

    ``fit(Y)`` with ``Y (n, m)``; ``transform(Y)`` and ``inverse(Z)`` map ``(..., m)`` arrays.
    """

    def fit(self, Y: np.ndarray) -> PowerWarp:
        from scipy.stats import yeojohnson

        Y = np.asarray(Y, dtype=np.float64)
        self.center_ = Y.mean(axis=0)
        self.scale_ = np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0)
        Z = (Y - self.center_) / self.scale_
        lambdas = []
        for j in range(Y.shape[1]):
            if np.ptp(Z[:, j]) > 0 and len(Z) >= 3:
                with np.errstate(all="ignore"):
                    lam = float(yeojohnson(Z[:, j])[1])
                lambdas.append(float(np.clip(lam, -3.0, 5.0)) if np.isfinite(lam) else 1.0)
            else:
                lambdas.append(1.0)
        self.lambdas_ = np.array(lambdas)
        return self

    def transform(self, Y: np.ndarray) -> np.ndarray:
        Z = (np.asarray(Y, dtype=np.float64) - self.center_) / self.scale_
        return np.stack([_yeojohnson(Z[..., j], lam) for j, lam in enumerate(self.lambdas_)], axis=-1)

    def inverse(self, Z: np.ndarray) -> np.ndarray:
        Z = np.asarray(Z, dtype=np.float64)
        out = np.stack([_yeojohnson_inverse(Z[..., j], lam) for j, lam in enumerate(self.lambdas_)], axis=-1)
        return out * self.scale_ + self.center_

    def inverse_torch(self, Z: Any) -> Any:
        """:meth:`inverse` for a torch tensor ``(..., m)`` (differentiable, same dtype)."""
        import torch

        cols = []
        for j, lam in enumerate(self.lambdas_):
            z = Z[..., j]
            if abs(lam) < 1e-8:
                pos = torch.expm1(z)
            else:
                pos = (lam * z + 1).clamp_min(1e-12) ** (1 / lam) - 1
            if abs(lam - 2) < 1e-8:
                neg = -torch.expm1(-z)
            else:
                neg = 1 - (1 - (2 - lam) * z).clamp_min(1e-12) ** (1 / (2 - lam))
            cols.append(torch.where(z >= 0, pos, neg) * float(self.scale_[j]) + float(self.center_[j]))
        return torch.stack(cols, dim=-1)


def _yeojohnson(x: np.ndarray, lam: float) -> np.ndarray:
    out = np.empty_like(x)
    pos = x >= 0
    if abs(lam) < 1e-8:
        out[pos] = np.log1p(x[pos])
    else:
        out[pos] = (np.power(x[pos] + 1, lam) - 1) / lam
    if abs(lam - 2) < 1e-8:
        out[~pos] = -np.log1p(-x[~pos])
    else:
        out[~pos] = -(np.power(1 - x[~pos], 2 - lam) - 1) / (2 - lam)
    return out


def _yeojohnson_inverse(y: np.ndarray, lam: float) -> np.ndarray:
    """Inverse of :func:`_yeojohnson`; values outside its range are clipped to the nearest limit."""
    out = np.empty_like(y)
    pos = y >= 0
    with np.errstate(all="ignore"):
        if abs(lam) < 1e-8:
            out[pos] = np.expm1(y[pos])
        else:
            base = np.maximum(lam * y[pos] + 1, 1e-12)  # lam < 0: y < -1/lam is outside the range
            out[pos] = np.power(base, 1 / lam) - 1
        if abs(lam - 2) < 1e-8:
            out[~pos] = -np.expm1(-y[~pos])
        else:
            base = np.maximum(1 - (2 - lam) * y[~pos], 1e-12)  # lam > 2: same on the negative side
            out[~pos] = 1 - np.power(base, 1 / (2 - lam))
    return np.where(np.isfinite(out), out, np.sign(y) * 1e12)
