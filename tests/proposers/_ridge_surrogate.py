"""A surrogate written as a user would, outside predictnas: bootstrap ridge regressions on the
features (the ensemble's spread is the uncertainty). It implements only ``fit`` and ``predict``."""

import numpy as np

from predictnas.surrogates import Surrogate


class BootstrapRidge(Surrogate):
    takes_seed = True

    def __init__(self, *, members: int = 8, alpha: float = 1.0, seed: int = 0) -> None:
        self.members, self.alpha, self.seed = members, alpha, seed

    def fit(self, X, Y):
        rng = np.random.default_rng(self.seed)
        X1 = np.c_[X, np.ones(len(X))]
        self.coefs_ = []
        for _ in range(self.members):
            rows = rng.integers(len(X), size=len(X))
            A = X1[rows].T @ X1[rows] + self.alpha * np.eye(X1.shape[1])
            self.coefs_.append(np.linalg.solve(A, X1[rows].T @ Y[rows]))
        return self

    def predict(self, X):
        X1 = np.c_[X, np.ones(len(X))]
        preds = np.stack([X1 @ c for c in self.coefs_])  # (members, n, m)
        return preds.mean(axis=0), preds.std(axis=0) + 1e-6
