"""Latency on a new device from a few measurements: a low-rank model pretrained on devices
already measured, adapted to the new one by Bayesian linear regression (a hardware embedding in
closed form, after HELP, Lee et al. 2021)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from predictnas.exceptions import InvalidSpecError, InvalidValuesError

RANKS = (3, 5, 8, 12)


class LatencyTransfer:
    """Predicts every architecture's latency on a new device from ``k`` measurements on it.

    Pretraining (:meth:`fit`) takes the latencies of ``n`` architectures on ``D`` known devices.
    In log space, each device's latencies are ``phi(arch) . w_device`` with ``phi`` = [1, the first
    ``rank`` principal components of the architectures over the known devices]; the known devices'
    weights give a Gaussian prior on a new device's (their mean and covariance). :meth:`reference`
    picks the architectures worth measuring (greedy: the one that most lowers the mean predictive
    variance over all architectures, then update: sequential I-optimal design under the prior); :meth:`adapt` turns measurements into the
    posterior; :meth:`predict` gives the latency of every architecture with its uncertainty.

    Args:
        rank: Components of the architecture embedding, or ``"auto"``: the one of ``ranks`` that
            predicts most latencies within +-10 % when each known device in turn is treated as
            new with ``k_auto`` measurements (leave-one-device-out on the known devices only).
            The same held-out errors set the noise of the predictions (their uncertainty).
        ranks: Candidates for ``"auto"``.
        k_auto: Measurements per held-out device when ``rank="auto"`` chooses.
    """

    def __init__(self, rank: int | str = "auto", *, ranks: Sequence[int] = RANKS, k_auto: int = 10) -> None:
        if rank != "auto" and (not isinstance(rank, int) or isinstance(rank, bool) or rank < 1):
            raise InvalidSpecError(f"LatencyTransfer rank must be an integer >= 1 or 'auto'; got {rank!r}.")
        self.rank, self.ranks, self.k_auto = rank, tuple(ranks), k_auto

    def fit(self, latencies_ms: np.ndarray, devices: Sequence[str] | None = None) -> LatencyTransfer:
        """Pretrains on ``latencies_ms`` ``(n, D)``: ``n`` architectures (rows; the same rows
        :meth:`predict` answers for) measured on ``D`` >= 3 devices, milliseconds > 0."""
        L = np.asarray(latencies_ms, dtype=np.float64)
        if L.ndim != 2 or L.shape[1] < 3 or L.shape[0] < 10:
            raise InvalidValuesError(f"LatencyTransfer.fit needs an (architectures, devices) array with >= 10 rows and >= 3 "
                                     f"devices; got shape {L.shape}.")
        if not np.isfinite(L).all() or (L <= 0).any():
            bad = np.argwhere(~np.isfinite(L) | (L <= 0))[0]
            raise InvalidValuesError(f"LatencyTransfer.fit: latency [{bad[0]}, {bad[1]}] is {float(L[tuple(bad)])!r}; every "
                                     "latency must be a finite number of milliseconds > 0.")
        self.devices_ = list(devices) if devices is not None else [f"device_{j}" for j in range(L.shape[1])]
        Z = np.log(L)
        ranks = [self.rank] if self.rank != "auto" else [r for r in self.ranks if r < Z.shape[1] - 1] or [1]
        scores = {r: _held_out_errors(Z, r, self.k_auto) for r in ranks}
        self.rank_ = max(ranks, key=lambda r: (scores[r][1], -scores[r][0], -r))  # most within 10 %, then least error
        self.embedding_, self.prior_mean_, self.prior_cov_, self.noise_ = _prior(Z, self.rank_)
        self.miss_ = max(self.noise_, scores[self.rank_][0])  # what a held-out known device's prediction missed by
        self.mean_, self.cov_ = self.prior_mean_, self.prior_cov_
        return self

    def reference(self, k: int, *, exclude: Sequence[int] = ()) -> np.ndarray:
        """``(k,)`` row indices to measure on the new device, most informative first."""
        return _greedy_variance(self.embedding_, self.prior_cov_, self.noise_, k, exclude)

    def adapt(self, rows: Sequence[int], measured_ms: Sequence[float]) -> LatencyTransfer:
        """Conditions on the new device's measurements ``measured_ms`` of ``rows`` (replacing any earlier ones)."""
        rows, y = np.asarray(rows, dtype=int), np.asarray(measured_ms, dtype=np.float64)
        if rows.shape != y.shape or rows.ndim != 1 or len(rows) == 0:
            raise InvalidValuesError(f"adapt(): rows and measured_ms must be two equal, non-empty lists; got {len(rows)} and "
                                     f"{len(y)}.")
        if not np.isfinite(y).all() or (y <= 0).any():
            raise InvalidValuesError(f"adapt(): measured latencies must be finite milliseconds > 0; got {y.tolist()!r}.")
        if rows.min() < 0 or rows.max() >= len(self.embedding_):
            raise InvalidValuesError(f"adapt(): rows must be in 0..{len(self.embedding_) - 1}; got {rows.tolist()!r}.")
        self.mean_, self.cov_ = _posterior(self.embedding_[rows], np.log(y), self.prior_mean_, self.prior_cov_, self.noise_)
        return self

    def predict(self, rows: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(median ms, standard deviation of log latency)``, each ``(len(rows),)`` (all rows by default)."""
        Phi = self.embedding_ if rows is None else self.embedding_[np.asarray(rows, dtype=int)]
        log_std = np.sqrt(_quadratic(Phi, self.cov_) + self.miss_)
        return np.exp(Phi @ self.mean_), log_std

    def interval(self, rows: Sequence[int] | None = None, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        """Central ``level`` interval of the latency (ms), each ``(len(rows),)``."""
        from scipy.stats import norm

        median, log_std = self.predict(rows)
        z = float(norm.ppf(0.5 + level / 2))
        return median * np.exp(-z * log_std), median * np.exp(z * log_std)


def _prior(Z: np.ndarray, rank: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Embedding ``(n, rank + 1)``, prior mean ``(rank + 1,)`` and covariance of a device's
    weights, and the noise variance (median residual variance of the known devices), from ``Z`` ``(n, D)`` log latencies."""
    centred = Z - Z.mean(axis=0)
    U, s, _ = np.linalg.svd(centred, full_matrices=False)
    embedding = np.c_[np.ones(len(Z)), U[:, :rank] * s[:rank] / np.sqrt(len(Z))]
    W = np.linalg.lstsq(embedding, Z, rcond=None)[0]  # (rank + 1, D): each known device's weights
    noise = float(np.median(((Z - embedding @ W) ** 2).mean(axis=0)))
    cov = np.cov(W) + 1e-6 * np.eye(rank + 1)
    return embedding, W.mean(axis=1), cov, max(noise, 1e-8)


def _posterior(Phi: np.ndarray, y: np.ndarray, mean: np.ndarray, cov: np.ndarray, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian posterior of the weights given ``y = Phi w + noise``."""
    precision = np.linalg.inv(cov)
    cov_n = np.linalg.inv(precision + Phi.T @ Phi / noise)
    return cov_n @ (precision @ mean + Phi.T @ y / noise), cov_n


def _quadratic(Phi: np.ndarray, A: np.ndarray) -> np.ndarray:
    """``(n,)``: ``phi_i^T A phi_i`` for each row of ``Phi`` (two matrix products: BLAS does the work)."""
    return ((Phi @ A) * Phi).sum(axis=1)


def _greedy_variance(Phi: np.ndarray, cov: np.ndarray, noise: float, k: int, exclude: Sequence[int] = ()) -> np.ndarray:
    """Rows picked one by one, each the one whose measurement most lowers the mean predictive
    variance over all rows (greedy I-optimal design), the covariance updated after each."""
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= len(Phi) - len(exclude):
        raise InvalidValuesError(f"reference(): k must be an integer in 1..{len(Phi) - len(exclude)}; got {k!r}.")
    taken = np.zeros(len(Phi), dtype=bool)
    taken[list(exclude)] = True
    picked, gram = [], Phi.T @ Phi / len(Phi)
    for _ in range(k):
        # the mean predictive variance over all rows that measuring row i removes
        reduction = _quadratic(Phi, cov @ gram @ cov) / (noise + _quadratic(Phi, cov))
        reduction[taken] = -np.inf
        i = int(np.argmax(reduction))
        picked.append(i)
        taken[i] = True
        f = cov @ Phi[i]
        cov = cov - np.outer(f, f) / (noise + Phi[i] @ f)
    return np.array(picked)


def _held_out_errors(Z: np.ndarray, rank: int, k: int, rows: int = 2000) -> tuple[float, float]:
    """Each known device held out in turn, predicted from ``k`` measurements by a model pretrained
    on the others (on an evenly spaced subset of ``rows`` architectures): the medians over devices
    of the mean squared log error and of the share within +-10 %."""
    sub = Z[np.linspace(0, len(Z) - 1, min(rows, len(Z))).astype(int)]
    mse, within = [], []
    for held in range(Z.shape[1]):
        Phi, mean, cov, noise = _prior(np.delete(sub, held, axis=1), rank)
        picked = _greedy_variance(Phi, cov, noise, min(k, len(sub) - 1))
        w, _ = _posterior(Phi[picked], sub[picked, held], mean, cov, noise)
        error = Phi @ w - sub[:, held]
        mse.append(float(np.mean(error**2)))
        within.append(float(np.mean(np.abs(np.expm1(error)) <= 0.1)))
    return float(np.median(mse)), float(np.median(within))
