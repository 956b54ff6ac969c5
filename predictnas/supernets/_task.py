"""Supervised tasks the built-in supernets learn, from data that ships with a dependency (no downloads)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Task:
    """A classification task split into training and validation tensors.

    Attributes:
        name: Short name.
        X_train: ``(n_train, ...)`` inputs (float images or int64 tokens).
        y_train: ``(n_train,)`` int64 labels.
        X_val: ``(n_val, ...)`` inputs.
        y_val: ``(n_val,)`` labels.
        n_classes: Number of classes.
    """

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor
    y_val: torch.Tensor
    n_classes: int

    def train_batches(self, batch_size: int, generator: torch.Generator) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """One shuffled epoch of ``(inputs, labels)`` minibatches."""
        order = torch.randperm(len(self.X_train), generator=generator)
        return [(self.X_train[i], self.y_train[i]) for i in order.split(batch_size)]


def digits_task(seed: int = 0, n_val: int = 500) -> Task:
    """scikit-learn's 8x8 digits: 1,297 training / 500 validation images ``(1, 8, 8)`` in [0, 1]."""
    from sklearn.datasets import load_digits

    data = load_digits()
    X = (data.images / 16.0).astype(np.float32)[:, None]
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(X))
    val, train = order[:n_val], order[n_val:]
    return Task("digits", torch.from_numpy(X[train]), torch.from_numpy(y[train]),
                torch.from_numpy(X[val]), torch.from_numpy(y[val]), 10)


def recurrence_task(seed: int = 0, *, n_train: int = 4000, n_val: int = 1000, length: int = 24,
                    vocab: int = 16, n_classes: int = 4) -> Task:
    """A generated sequence task with long-range structure: label = how often token 0 recurs.

    Tokens are uniform over ``1..vocab-1``; the label is the number of later positions holding the
    first token, capped at ``n_classes - 1`` (about 22/33/26/19% of sequences per class with the
    defaults). Solving it needs every position to attend to the first one.
    """
    rng = np.random.default_rng(seed)
    X = rng.integers(1, vocab, size=(n_train + n_val, length), dtype=np.int64)
    y = np.minimum((X[:, 1:] == X[:, :1]).sum(1), n_classes - 1).astype(np.int64)
    return Task("recurrence", torch.from_numpy(X[:n_train]), torch.from_numpy(y[:n_train]),
                torch.from_numpy(X[n_train:]), torch.from_numpy(y[n_train:]), n_classes)


# Ten 12-point templates, each a distinct shape (bumps, dips, steps, ramps), scaled to max |x| = 1.
_TEMPLATES = np.array([
    [0, 1, 2, 2.5, 2.75, 3, 3, 2.75, 2.5, 2, 1, 0],            # a broad bump
    [0, -2, -2, -1.6, -1.2, -.8, -.4, 0, .4, .8, 0, 0],         # a drop, then a ramp up
    [0, 1, 1.5, 1.5, 1, .25, -.25, -1, -1.5, -1.5, -1, 0],      # up, then down
    [0, 1, 1.5, 1.5, 1, 0, 0, 1, 1.5, 1.5, 1, 0],               # two bumps
    [0, -.6, -1.2, -1.8, -2.4, -2.4, 0, 0, 0, 0, 0, 0],         # a ramp down, then a jump back
    [0, -2, -2, -2, -2, 0, 1, 1.5, 1.5, 1, -.5, 0],             # a low plateau, then a bump
    [0, -1, -1.5, -1.75, -2, -2, -2, -2, -1.75, -1.5, -1, 0],   # a broad dip
    [0, 2, 2, 1.6, 1.2, .8, .4, 0, -.4, -.8, 0, 0],             # a rise, then a ramp down
    [0, -1, -1.5, -1.5, -1, 0, 0, -1, -1.5, -1.5, -1, 0],       # two dips
    [0, -1, -1.5, -1.5, -1, 0, 0, 0, 0, -.3, -.7, 0],           # a dip, a pause, a small dip
], dtype=np.float64)


def mnist1d_task(seed: int = 0, *, n_train: int = 8000, n_val: int = 4000, length: int = 40) -> Task:
    """A generated 1-D signal classification task in the spirit of MNIST-1D (Greydanus, 2020),
    written from its published description (not the official data): each of 10 classes is a
    12-point template, zero-padded by 36-60 points at a random split, stretched by up to +-40 %,
    shifted by up to +-24 points, sheared by a random slope (up to +-0.75), with correlated
    (smoothed random-walk, scale 0.25) and white (scale 0.02) noise added, then resampled to
    ``length`` points. Inputs ``(n, 1, length)`` float32, standardised over the training split.

    Architecture choices matter on it (on 4,000 training signals a 1-layer CNN reaches about 40 %,
    3-5 layers with wider kernels about 80 %, an MLP about 63 %), and the generator is
    deterministic by ``seed``.
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_val
    y = np.arange(n) % 10
    rng.shuffle(y)
    X = np.empty((n, length))
    templates = _TEMPLATES / np.abs(_TEMPLATES).max(axis=1, keepdims=True)
    for i in range(n):
        pad = int(rng.integers(36, 61))
        left = int(rng.integers(0, pad + 1))
        x = np.pad(templates[y[i]], (left, pad - left))
        size = len(x)
        grid = (np.arange(size) - size / 2) / (1 + 0.4 * rng.uniform(-1, 1)) + size / 2
        x = np.interp(grid, np.arange(size), x, left=0, right=0)
        x = np.roll(x, int(rng.integers(-24, 25)))
        x = x + 0.75 * rng.uniform(-1, 1) * np.linspace(-1, 1, size)
        walk = np.convolve(rng.normal(size=size + 8), np.ones(9) / 9, mode="valid")
        x = x + 0.25 * (walk - walk.mean()) / (walk.std() + 1e-9) + 0.02 * rng.normal(size=size)
        X[i] = np.interp(np.linspace(0, size - 1, length), np.arange(size), x)
    X = ((X - X[:n_train].mean()) / X[:n_train].std()).astype(np.float32)[:, None]
    return Task("mnist1d", torch.from_numpy(X[:n_train]), torch.from_numpy(y[:n_train].astype(np.int64)),
                torch.from_numpy(X[n_train:]), torch.from_numpy(y[n_train:].astype(np.int64)), 10)
