"""A GP's joint posterior on a finite support, computed once and served by row index.

An acquisition step over a discrete pool asks the GP, for each of hundreds of candidates, about
that candidate jointly with the same baseline rows (qLogNEHVI's cached-root update, ParEGO's
pruning, the believer's means): the kernel against every training row is evaluated again for every
pair. Every row it can ask about is known beforehand (the baseline, the shortlist, the pending
trials), so the posterior mean ``(m, N)`` and covariance ``(m, N, N)`` of the ``N`` support rows
are computed once, and each later joint posterior is a gather: the same Gaussian, less time.
"""

from __future__ import annotations

import functools
from typing import Any


def support_gp(model: Any, X_support: Any) -> Any:
    """A botorch model whose posterior at rows of ``X_support`` (``(N, d)``, model inputs) is
    ``model``'s joint posterior there; its inputs ``(*b, q, 1 + ...)`` hold each row's position in
    ``X_support`` first (the rest, e.g. the row's model inputs, is not read).

    ``model``: a botorch ``ModelListGP`` of single-output GPs (posteriors without observation noise).
    """
    import torch

    with torch.no_grad():
        posteriors = [m.posterior(X_support) for m in model.models]
        means = torch.stack([p.mean[..., 0] for p in posteriors])  # (m, N)
        covariances = torch.stack([p.distribution.covariance_matrix for p in posteriors])  # (m, N, N)
    return _support_model_class()(means, covariances)


@functools.cache  # one class per process (defined here so that torch and botorch load lazily)
def _support_model_class() -> type:
    import torch
    from botorch.models.gpytorch import GPyTorchModel
    from botorch.posteriors.gpytorch import GPyTorchPosterior
    from gpytorch.distributions import MultitaskMultivariateNormal, MultivariateNormal
    from linear_operator.operators import DenseLinearOperator

    class SupportGP(GPyTorchModel):
        """Joint Gaussian posteriors gathered from a precomputed one (no training data of its own)."""

        def __init__(self, means: torch.Tensor, covariances: torch.Tensor) -> None:
            super().__init__()
            self.means, self.covariances = means, covariances
            self._num_outputs = means.shape[0]

        @property
        def batch_shape(self) -> torch.Size:
            return torch.Size([])

        def posterior(self, X: torch.Tensor, output_indices: list[int] | None = None, observation_noise: Any = False,
                      posterior_transform: Any = None, **kwargs: Any) -> Any:
            if observation_noise is not False or output_indices is not None:
                raise NotImplementedError("a support posterior has no observation noise and serves every output")
            idx = X[..., 0].long()  # (*b, q); covariances stay lazy (factored, with jitter, only if sampled)
            mvns = [MultivariateNormal(mean[idx], DenseLinearOperator(cov[idx[..., :, None], idx[..., None, :]]))
                    for mean, cov in zip(self.means, self.covariances)]
            dist = mvns[0] if len(mvns) == 1 else MultitaskMultivariateNormal.from_independent_mvns(mvns)
            posterior = GPyTorchPosterior(dist)
            return posterior_transform(posterior) if posterior_transform is not None else posterior

    return SupportGP
