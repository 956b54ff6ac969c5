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
        import torch
        from botorch.fit import fit_gpytorch_mll
        from botorch.models import MixedSingleTaskGP, ModelListGP, SingleTaskGP
        from botorch.models.transforms import Normalize, Standardize
        from gpytorch.mlls import SumMarginalLogLikelihood

        X, Y = check_xy(X, Y)
        assert Y is not None
        dtype = getattr(torch, self.dtype)
        tx, ty = torch.as_tensor(X, dtype=dtype), torch.as_tensor(Y, dtype=dtype)
        self.keep_ = np.flatnonzero(X.max(axis=0) > X.min(axis=0))  # constant columns carry nothing
        if len(self.keep_) == 0:
            self.keep_ = np.arange(X.shape[1])
        tx = tx[:, self.keep_]
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
        self.model = ModelListGP(*models)
        fit_gpytorch_mll(SumMarginalLogLikelihood(self.model.likelihood, self.model))
        self.model.eval()
        return self

    def _posterior(self, X: np.ndarray) -> Any:
        import torch

        check_fitted(self, "model")
        X, _ = check_xy(X)
        tx = torch.as_tensor(X[:, self.keep_], dtype=getattr(torch, self.dtype))
        return self.model.posterior(tx, observation_noise=True)

    def predict(self, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.no_grad():
            posterior = self._posterior(X)
            mean, var = posterior.mean.numpy(), posterior.variance.numpy()
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
