"""Tabular encoding: one-hot categoricals, rank-scaled ordinals, explicit activity flags, and for
cell spaces a few statistics of the cell's live structure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from predictnas.encoders._base import Encoder
from predictnas.spaces import Param, SearchSpace
from predictnas.spaces._cell import OUTPUT_LINK, CellStructure
from predictnas.spaces._params import _choice_key


class TabularEncoder(Encoder):
    """Encodes each parameter into fixed columns.

    - categorical: one column per choice (one-hot); all zeros when the parameter is inactive;
    - ordinal / integer: one column, the choice's rank scaled to [0, 1]; 0 when inactive;
    - every conditional parameter (one with ``active_if``) also gets an ``<name>:active`` 0/1 column,
      so an inactive parameter is never confused with its lowest choice;
    - cell spaces (with ``structure=True``) end with the statistics of
      :func:`cell_structure_statistics`, each scaled to [0, 1]: how many live edges carry each op,
      whether the output is connected, how many input -> output paths there are, and the longest
      and shortest number of ops along one. One-hot columns cannot express "this edge is dead"; on
      NAS-Bench-201 these columns lift the rank correlation of a GP fitted on 100 cells from about
      0.5 to about 0.9 (``benchmarks/predictors.py``).

    ``transform(archs)`` returns a float64 array of shape ``(n, n_features_)``; column names are in
    ``feature_names_``.

    Args:
        params: Encode only these parameters (default: all), e.g. for the graph encoder's globals.
        structure: Append the cell-structure statistics (cell spaces encoded whole only).
    """

    kind = "tabular"

    def __init__(self, params: Sequence[str] | None = None, *, structure: bool = True) -> None:
        self.params, self.structure = params, structure

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
        self.n_params_features_ = len(self.columns_)
        self.statistics_ = (CellStatistics(space.cell) if self.structure and self.params is None and space.cell is not None
                            else None)
        if self.statistics_ is not None:
            self.feature_names_ += self.statistics_.names
        self.n_features_ = len(self.feature_names_)
        #: Column groups of different kinds (parameters, cell statistics): a GP models them with an
        #: additive kernel, one term per group.
        self.groups_ = [list(range(self.n_params_features_))]
        if self.statistics_ is not None:
            self.groups_.append(list(range(self.n_params_features_, self.n_features_)))
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
        self._add_statistics(items, X)
        return X

    def _add_statistics(self, items: Sequence[Mapping[str, Any]], X: np.ndarray) -> None:
        if self.statistics_ is not None:
            X[:, self.n_params_features_:] = self.statistics_.transform(items)

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
        self._add_statistics(items, X)
        return X


class OneHotEncoder(TabularEncoder):
    """The tabular encoding without the cell-structure statistics (the naive baseline)."""

    def __init__(self, params: Sequence[str] | None = None) -> None:
        super().__init__(params, structure=False)


class CellStatistics:
    """Statistics of a cell's live structure (edges that carry a signal from input to output).

    Columns, each scaled to [0, 1] by its largest possible value in the cell:
    ``cell:ops[OP]`` per non-zero op (edges with that op, dead ones included: what FLOPs, params
    and memory count), ``cell:live[OP]`` (live edges with that op), ``cell:connected``,
    ``cell:paths`` (input -> output paths), ``cell:longest`` and ``cell:shortest`` (ops other than
    identities along the longest / shortest path; 0 when disconnected).
    """

    def __init__(self, cell: CellStructure) -> None:
        self.cell = cell
        self.ops = [o for o in cell.ops if o not in cell.zero_ops]
        k = len(self.ops)
        self.names = ([f"cell:ops[{o}]" for o in self.ops] + [f"cell:live[{o}]" for o in self.ops]
                      + ["cell:connected", "cell:paths", "cell:longest", "cell:shortest"])
        n_edges = len(cell.edges) or len(cell.slots)
        self._scale = np.array([n_edges] * 2 * k + [1, max(_max_paths(cell), 1), cell.n_nodes - 1, cell.n_nodes - 1],
                               dtype=np.float64)

    def transform(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        """``(n, len(names))`` statistics of ``archs``."""
        out = np.zeros((len(archs), len(self.names)))
        k = len(self.ops)
        col = {o: k + i for i, o in enumerate(self.ops)}
        for b, arch in enumerate(archs):
            for _, _, op in self.cell.labelled_edges(arch):
                if op in col:
                    out[b, col[op] - k] += 1
            live = self.cell.live_edges(arch)
            # node -> (paths reaching it, most ops, fewest ops along one): counted, not listed (a deep
            # cell has exponentially many paths)
            reach: dict[int, tuple[int, int, int]] = {0: (1, 0, 0)}
            for src, dst, op in sorted(live, key=lambda e: e[1]):
                if op in col:
                    out[b, col[op]] += 1
                if src not in reach:
                    continue
                step = 0 if op is OUTPUT_LINK or op in self.cell.identity_ops else 1
                n, longest, shortest = reach[src]
                m, lo, sh = reach.get(dst, (0, -1, 1 << 62))
                reach[dst] = (m + n, max(lo, longest + step), min(sh, shortest + step))
            if self.cell.output in reach:
                n, longest, shortest = reach[self.cell.output]
                out[b, 2 * k:] = [1, n, longest, shortest]
        return out / self._scale


def _max_paths(cell: CellStructure) -> int:
    """Input -> output paths when every possible edge of the cell is present (an upper bound)."""
    count = [1] + [0] * (cell.n_nodes - 1)
    if cell.edges:
        for src, dst, _ in sorted(cell.edges, key=lambda e: e[1]):
            count[dst] += count[src]
        return count[-1]
    slots: dict[int, int] = {}
    for dst, _, _ in cell.slots:
        slots[dst] = slots.get(dst, 0) + 1
    for node in range(1, cell.n_nodes - 1):
        count[node] = slots.get(node, 0) * max(count[:node])
    return sum(count[1:-1])
