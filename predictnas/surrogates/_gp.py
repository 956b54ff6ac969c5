"""``GPSurrogate``: one exact GP per objective (botorch ``ModelListGP`` of ``SingleTaskGP``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from predictnas.surrogates._base import Surrogate, check_fitted, check_xy


class GPSurrogate(Surrogate):
    """A botorch ``ModelListGP``: per objective a ``SingleTaskGP`` (or a ``MixedSingleTaskGP`` with
    a categorical kernel on ``cat_dims``), inputs normalised, outputs standardised, hyperparameters
    by maximum marginal likelihood.

    With one-hot features, botorch's default RBF kernel with ARD lengthscales is a kernel on
    Hamming distance per parameter (the squared distance of two one-hot blocks is 2 or 0). With
    ordinal-coded categorical features, pass ``cat_dims`` for botorch's ``CategoricalKernel``.
    ``model`` is the fitted botorch model: it plugs straight into botorch acquisition functions
    (in the space of the features, objectives as given, i.e. not sign-flipped).

    Args:
        cat_dims: Columns holding category indices (``MixedSingleTaskGP``).
        dtype: torch dtype of the model (float64 is botorch's recommendation).
    """

    def __init__(self, cat_dims: Sequence[int] | None = None, *, dtype: str = "float64") -> None:
        self.cat_dims, self.dtype = list(cat_dims) if cat_dims else None, dtype

    def fit(self, X: np.ndarray, Y: np.ndarray) -> GPSurrogate:
        from botorch.fit import fit_gpytorch_mll
        from gpytorch.mlls import SumMarginalLogLikelihood

        X, Y = check_xy(X, Y)
        assert Y is not None
        self.keep_ = np.flatnonzero(X.max(axis=0) > X.min(axis=0))  # constant columns carry nothing
        if len(self.keep_) == 0:
            self.keep_ = np.arange(X.shape[1])
        self.model = self._build(X, Y)
        fit_gpytorch_mll(SumMarginalLogLikelihood(self.model.likelihood, self.model))
        self.model.eval()
        return self

    def with_data(self, X: np.ndarray, Y: np.ndarray) -> GPSurrogate:
        """A new ``GPSurrogate`` conditioned on ``(X, Y)`` with this one's hyperparameters (no
        optimisation: refits can be amortised over several steps). Inputs are normalised and
        outputs standardised on the new data."""
        check_fitted(self, "model")
        X, Y = check_xy(X, Y)
        assert Y is not None
        other = GPSurrogate(self.cat_dims, dtype=self.dtype)
        other.keep_ = self.keep_
        other.model = other._build(X, Y)
        hyper = {k: v for k, v in self.model.state_dict().items() if "_transform." not in k}
        other.model.load_state_dict(hyper, strict=False)
        other.model.eval()
        return other

    def _build(self, X: np.ndarray, Y: np.ndarray) -> Any:
        import torch
        from botorch.models import MixedSingleTaskGP, ModelListGP, SingleTaskGP
        from botorch.models.transforms import Normalize, Standardize

        dtype = getattr(torch, self.dtype)
        tx, ty = torch.as_tensor(X[:, self.keep_], dtype=dtype), torch.as_tensor(Y, dtype=dtype)
        d = tx.shape[-1]
        cat = [int(np.flatnonzero(self.keep_ == c)[0]) for c in (self.cat_dims or []) if c in self.keep_]
        models = []
        for j in range(Y.shape[1]):
            if cat:
                cont = [i for i in range(d) if i not in cat]
                models.append(MixedSingleTaskGP(tx, ty[:, j:j + 1], cat_dims=cat, outcome_transform=Standardize(m=1),
                                                input_transform=Normalize(d, indices=cont) if cont else None))
            else:
                models.append(SingleTaskGP(tx, ty[:, j:j + 1], outcome_transform=Standardize(m=1), input_transform=Normalize(d)))
        return ModelListGP(*models)

    def _posterior(self, X: np.ndarray) -> Any:
        import torch

        check_fitted(self, "model")
        X, _ = check_xy(X)
        tx = torch.as_tensor(X[:, self.keep_], dtype=getattr(torch, self.dtype))
        return self.model.posterior(tx, observation_noise=True)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Marginal predictive mean and std (observation noise included), ``(n, m)`` each.

        Computed from the exact GP equations with the cached Cholesky factor of each model's
        training covariance: ``O(n * n_train)`` per objective, without the ``(n, n)`` joint
        covariance a botorch posterior builds (10,000 candidates: milliseconds, not seconds).
        """
        import torch

        check_fitted(self, "model")
        X, _ = check_xy(X)
        tx = torch.as_tensor(X[:, self.keep_], dtype=getattr(torch, self.dtype))
        if not hasattr(self, "_factors"):
            self._factors = [_exact_factors(m) for m in self.model.models]
        means, variances = [], []
        with torch.no_grad():
            for model, (train_x, chol, alpha) in zip(self.model.models, self._factors):
                x = model.input_transform(tx) if hasattr(model, "input_transform") else tx
                cross = model.covar_module(x, train_x).to_dense()  # (n, n_train)
                mean = model.mean_module(x) + cross @ alpha
                v = torch.linalg.solve_triangular(chol, cross.T, upper=False)
                prior = model.covar_module(x, diag=True)
                var = (prior - (v * v).sum(0)).clamp_min(1e-12) + model.likelihood.noise.squeeze(-1)
                mean, var = model.outcome_transform.untransform(mean[:, None], var[:, None])
                means.append(mean[:, 0])
                variances.append(var[:, 0])
        mean, var = torch.stack(means, -1).numpy(), torch.stack(variances, -1).numpy()
        return mean, np.sqrt(np.maximum(var, 1e-18))

    def sample(self, X: np.ndarray, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        import torch

        generator_seed = int(rng.integers(2**31))
        with torch.no_grad(), torch.random.fork_rng():
            torch.manual_seed(generator_seed)
            draws = self._posterior(X).rsample(torch.Size([n_samples]))
        return draws.numpy()

    def transform_inputs(self, X: np.ndarray) -> Any:
        """``X`` as the tensor ``model`` expects (constant feature columns dropped)."""
        import torch

        check_fitted(self, "model")
        return torch.as_tensor(np.asarray(X, dtype=np.float64)[:, self.keep_], dtype=getattr(torch, self.dtype))


def _exact_factors(model: Any) -> tuple[Any, Any, Any]:
    """``(train_x, L, alpha)`` of an exact GP in eval mode: ``L L^T = K + noise I`` and
    ``alpha = (K + noise I)^-1 (y - mean)``, all in the model's transformed space."""
    import torch

    with torch.no_grad():
        train_x = model.train_inputs[0]
        K = model.covar_module(train_x).to_dense()
        K = K + torch.diag_embed(model.likelihood.noise.expand(K.shape[-1]))
        chol = torch.linalg.cholesky(K + 1e-8 * torch.eye(K.shape[-1], dtype=K.dtype))
        resid = (model.train_targets - model.mean_module(train_x))[:, None]
        alpha = torch.cholesky_solve(resid, chol)[:, 0]
    return train_x, chol, alpha
