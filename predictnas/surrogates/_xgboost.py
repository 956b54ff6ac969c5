"""``XGBoostSurrogate``: gradient-boosted trees per objective, with a seed/bootstrap ensemble or
quantile regression for the uncertainty."""

from __future__ import annotations

from typing import Any

import numpy as np

from predictnas.surrogates._base import AcquisitionModel, Surrogate, check_fitted, check_xy

_QUANTILES = (0.05, 0.5, 0.95)


class XGBoostSurrogate(Surrogate):
    """Per objective, ``n_members`` xgboost regressors.

    Args:
        uncertainty: ``"ensemble"``: members differ by seed and bootstrap resample; the mean and std
            are over members, the std inflated by ``calibration`` (a factor learned on out-of-bag
            residuals when ``"auto"``). ``"quantile"``: one model of the 5/50/95 % quantiles
            (``reg:quantileerror``); std = (q95 - q5) / 3.29.
        n_members: Ensemble size (``"ensemble"`` only).
        n_estimators, max_depth, learning_rate, subsample, colsample_bytree, min_child_weight: xgboost settings.
        seed: Seed of the members (each member gets ``seed + i``).
        n_jobs: xgboost threads.
    """

    takes_seed = True

    def __init__(self, uncertainty: str = "ensemble", *, n_members: int = 8, n_estimators: int = 300, max_depth: int = 4,
                 learning_rate: float = 0.05, subsample: float = 0.8, colsample_bytree: float = 0.8,
                 min_child_weight: float = 1.0, calibration: float | str = "auto", seed: int = 0, n_jobs: int = 1) -> None:
        if uncertainty not in ("ensemble", "quantile"):
            raise ValueError(f"uncertainty must be \"ensemble\" or \"quantile\"; got {uncertainty!r}.")
        self.uncertainty, self.n_members, self.calibration, self.seed, self.n_jobs = uncertainty, n_members, calibration, seed, n_jobs
        self.params = dict(n_estimators=n_estimators, max_depth=max_depth, learning_rate=learning_rate, subsample=subsample,
                           colsample_bytree=colsample_bytree, min_child_weight=min_child_weight)

    def _regressor(self, seed: int, **extra: Any) -> Any:
        import xgboost

        return xgboost.XGBRegressor(**self.params, random_state=seed, n_jobs=self.n_jobs, verbosity=0, **extra)

    def fit(self, X: np.ndarray, Y: np.ndarray) -> XGBoostSurrogate:
        X, Y = check_xy(X, Y)
        assert Y is not None
        self.n_outputs_ = Y.shape[1]
        self.scale_ = np.where(Y.std(axis=0) > 0, Y.std(axis=0), 1.0)
        self.offset_ = Y.mean(axis=0)
        Z = (Y - self.offset_) / self.scale_
        if self.uncertainty == "quantile":
            self.models_ = [self._regressor(self.seed, objective="reg:quantileerror", quantile_alpha=np.array(_QUANTILES)).fit(X, Z[:, j])
                            for j in range(self.n_outputs_)]
            return self
        rng = np.random.default_rng(self.seed)
        n = len(X)
        self.models_, oob_z = [], []
        for j in range(self.n_outputs_):
            members, preds, counts = [], np.zeros(n), np.zeros(n)
            for i in range(self.n_members):
                idx = rng.integers(0, n, n)
                model = self._regressor(self.seed + i).fit(X[idx], Z[idx, j])
                members.append(model)
                out = np.setdiff1d(np.arange(n), idx)
                if len(out):
                    preds[out] += model.predict(X[out])
                    counts[out] += 1
            self.models_.append(members)
            seen = counts > 0
            if self.calibration == "auto" and seen.sum() >= 5:
                spread = np.stack([m.predict(X) for m in members]).std(axis=0)[seen] + 1e-9
                oob_z.append(np.abs(preds[seen] / counts[seen] - Z[seen, j]) / spread)
        self.calibration_ = (float(np.median(np.concatenate(oob_z))) / 0.6745 if oob_z else 1.0) \
            if self.calibration == "auto" else float(self.calibration)
        return self

    def _members(self, X: np.ndarray) -> np.ndarray:
        """``(n_members, n, m)`` member predictions in the standardised space."""
        return np.stack([np.stack([m.predict(X) for m in members]) for members in self.models_], axis=-1)

    def sample(self, X: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """Ensemble: the members' predictions as joint draws (spread around their mean by the
        calibration factor), cycled to ``n_samples``; quantile: independent Gaussians."""
        check_fitted(self, "models_")
        if self.uncertainty == "quantile":
            return super().sample(X, n_samples, rng)
        X, _ = check_xy(X)
        draws = self._members(X)
        draws = draws.mean(axis=0) + self.calibration_ * (draws - draws.mean(axis=0))
        return draws[np.arange(n_samples) % len(draws)] * self.scale_ + self.offset_

    def acquisition_model(self, support: np.ndarray, *, n_samples: int = 64, rng: np.random.Generator) -> AcquisitionModel:
        """The ensemble members as the joint draws (``n_samples`` is ignored for an ensemble)."""
        return super().acquisition_model(support, n_samples=self.n_members if self.uncertainty == "ensemble" else n_samples,
                                         rng=rng)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        check_fitted(self, "models_")
        X, _ = check_xy(X)
        if self.uncertainty == "quantile":
            q = np.stack([m.predict(X) for m in self.models_], axis=1)  # (n, m, 3)
            q = np.sort(q, axis=-1)
            mean, std = q[..., 1], (q[..., 2] - q[..., 0]) / 3.29
        else:
            draws = self._members(X)  # (k, n, m)
            mean, std = draws.mean(axis=0), draws.std(axis=0) * self.calibration_
        return mean * self.scale_ + self.offset_, np.maximum(std, 1e-9) * self.scale_


class XGBoostQuantileSurrogate(XGBoostSurrogate):
    """:class:`XGBoostSurrogate` with ``uncertainty="quantile"`` by default (``"xgboost-quantile"``)."""

    def __init__(self, uncertainty: str = "quantile", **options: Any) -> None:
        super().__init__(uncertainty, **options)
