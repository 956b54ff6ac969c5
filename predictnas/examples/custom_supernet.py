"""A user-defined supernet in 30 lines: an elastic MLP on scikit-learn's two moons.

Shows the whole protocol: a space (a dict here; a TOML file in ``encodings/`` works the same),
a :class:`~predictnas.supernets.Supernet` subclass with one method (``configure``), and a
``BuiltinSupernet`` factory so study definitions can name it (``supernet = "predictnas.examples.custom_supernet:moons"``).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as nn

from predictnas.spaces import Arch, space_from_spec
from predictnas.supernets import BuiltinSupernet, ElasticLayerNorm, ElasticLinear, Supernet, Task, TrainingConfig

MOONS_SPACE = space_from_spec({
    "schema_version": 1, "kind": "space", "name": "moons_mlp",
    "params": {"depth": {"type": "ordinal", "choices": [1, 2, 3]},
               "width": {"type": "ordinal", "choices": [4, 8, 16, 32]}},
})


class ElasticMLP(Supernet):
    """``(n, 2) -> (n, 2)`` logits through ``depth`` hidden layers of ``width`` units (weight-shared)."""

    def __init__(self) -> None:
        super().__init__(MOONS_SPACE)
        self.layers = nn.ModuleList(ElasticLinear(2 if i == 0 else 32, 32) for i in range(3))
        self.norms = nn.ModuleList(ElasticLayerNorm(32) for _ in range(3))
        self.act = nn.ReLU()
        self.head = ElasticLinear(32, 2)
        self.depth = 3

    def configure(self, arch: Arch) -> None:
        self.depth = int(arch["depth"])
        for layer in self.layers:
            layer.active_out = int(arch["width"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer, norm in zip(self.layers[: self.depth], self.norms):
            x = self.act(norm(layer(x)))
        return self.head(x)


def moons_task(seed: int = 0, n_train: int = 600, n_val: int = 400) -> Task:
    """Two interleaved half-moons with noise 0.25 (scikit-learn's ``make_moons``)."""
    from sklearn.datasets import make_moons

    X, y = make_moons(n_train + n_val, noise=0.25, random_state=seed)
    X, y = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.int64))
    return Task("moons", X[:n_train], y[:n_train], X[n_train:], y[n_train:], 2)


def moons() -> BuiltinSupernet:
    """The factory a study definition names: model, task and default training."""
    return BuiltinSupernet(ElasticMLP, moons_task, TrainingConfig(epochs=15, batch_size=64, lr=1e-2))
