"""Tabular encoding: one-hot categoricals, rank-scaled ordinals, explicit activity flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from predictnas.encoders._base import Encoder
from predictnas.spaces import Param, SearchSpace
from predictnas.spaces._params import _choice_key


class TabularEncoder(Encoder):
    """Encodes each parameter into fixed columns.

    - categorical: one column per choice (one-hot); all zeros when the parameter is inactive;
    - ordinal / integer: one column, the choice's rank scaled to [0, 1]; 0 when inactive;
    - every conditional parameter (one with ``active_if``) also gets an ``<name>:active`` 0/1 column,
      so an inactive parameter is never confused with its lowest choice.

    ``transform(archs)`` returns a float64 array of shape ``(n, n_features_)``; column names are in
    ``feature_names_``.

    Args:
        params: Encode only these parameters (default: all), e.g. for the graph encoder's globals.
    """

    kind = "tabular"

    def __init__(self, params: Sequence[str] | None = None) -> None:
        self.params = params

    def _fit(self, space: SearchSpace) -> None:
        chosen = [space.param(n) for n in self.params] if self.params is not None else list(space.params)
        self.columns_: list[tuple[Param, str, Any]] = []  # (param, "onehot"|"rank"|"active", choice)
        for p in chosen:
            if p.kind == "categorical":
                self.columns_ += [(p, "onehot", c) for c in p.choices]
            else:
                self.columns_.append((p, "rank", None))
            if p.active_if is not None:
                self.columns_.append((p, "active", None))
        self.feature_names_ = [
            f"{p.name}={c}" if how == "onehot" else f"{p.name}:{how}" for p, how, c in self.columns_
        ]
        self.n_features_ = len(self.columns_)
        self._onehot = {(p.name, p.index(c)): i for i, (p, how, c) in enumerate(self.columns_) if how == "onehot"}
        # (name, choice) -> [(column, value)]: one dict lookup per parameter in transform()
        self._cells: dict[tuple[str, Any], list[tuple[int, float]]] = {}
        for j, (p, how, c) in enumerate(self.columns_):
            for k, choice in enumerate(p.choices):
                if how == "onehot" and choice != c:
                    continue
                value = k / max(p.n_choices - 1, 1) if how == "rank" else 1.0
                self._cells.setdefault((p.name, _choice_key(choice)), []).append((j, value))

    def transform(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        items = self._archs(archs)
        X = np.zeros((len(items), self.n_features_), dtype=np.float64)
        cells = self._cells
        for i, arch in enumerate(items):
            for name, value in arch.items():
                for j, v in cells.get((name, _choice_key(value)), ()):
                    X[i, j] = v
        return X

    def _transform_slow(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """The column-by-column definition of :meth:`transform` (kept to test the fast path)."""
        items = self._archs(archs)
        X = np.zeros((len(items), self.n_features_), dtype=np.float64)
        for i, arch in enumerate(items):
            for j, (p, how, _) in enumerate(self.columns_):
                if p.name not in arch:
                    continue
                if how == "rank":
                    X[i, j] = p.index(arch[p.name]) / max(p.n_choices - 1, 1)
                elif how == "active":
                    X[i, j] = 1.0
            for p_name, value in arch.items():
                col = self._onehot.get((p_name, self.space_.param(p_name).index(value)))
                if col is not None:
                    X[i, col] = 1.0
        return X
