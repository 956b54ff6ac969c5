"""Supervised tasks the built-in supernets learn, from data that ships with a dependency (no downloads)."""

from __future__ import annotations

import functools
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


def mnist1d_task(num_samples: int = 5000, *, seed: int = 42) -> Task:
    """The official MNIST-1D dataset (Greydanus, 2020), made offline by its own generator
    (PyPI ``mnist1d``, ``make_dataset`` with its default arguments: 5,000 signals of 40 points,
    10 classes, seed 42, 80 % / 20 % train / validation split; never its download path).
    ``num_samples`` asks the same generator for more (or, in tests, fewer) signals.

    Inputs ``(n, 1, 40)`` float32 (standardised by the generator). Numpy's and Python's global
    random states, which the generator seeds, are restored afterwards.
    """
    X, y, X_val, y_val = _mnist1d_arrays(int(num_samples), int(seed))
    return Task("mnist1d", torch.tensor(X), torch.tensor(y), torch.tensor(X_val), torch.tensor(y_val), 10)  # copies


@functools.lru_cache(maxsize=2)
def _mnist1d_arrays(num_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The generator's ``(X, y, X_val, y_val)``, made once per process (it takes seconds)."""
    import random

    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError:
        from predictnas.exceptions import OptionalDependencyError

        raise OptionalDependencyError("The MNIST-1D task needs the official generator: pip install 'predictnas[mnist1d]'.") from None
    args = get_dataset_args()
    args.num_samples, args.seed = num_samples, seed
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        data = make_dataset(args)
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    X, X_val = (np.asarray(data[k], dtype=np.float32)[:, None] for k in ("x", "x_test"))
    y, y_val = (np.asarray(data[k], dtype=np.int64) for k in ("y", "y_test"))
    return X, y, X_val, y_val
