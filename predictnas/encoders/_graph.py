"""Graph encodings: adjacency + op features (fixed shapes per space), and the path encoding."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from predictnas.encoders._base import Encoder
from predictnas.encoders._tabular import TabularEncoder
from predictnas.exceptions import PredictNASError
from predictnas.spaces import SearchSpace
from predictnas.spaces._cell import OUTPUT_LINK


@dataclass(frozen=True)
class GraphBatch:
    """A batch of architecture graphs with fixed shapes.

    Attributes:
        adjacency: ``(n, V, V)`` float32, ``A[b, i, j]`` = number of live edges ``i -> j``.
        node_features: ``(n, V, F)`` float32 (node role, and per-layer choices for macro spaces).
        edge_features: ``(n, V, V, K)`` float32 one-hot op per edge (cell spaces; ``K = 0`` otherwise).
        global_features: ``(n, G)`` float64 tabular encoding of parameters outside the graph.
    """

    adjacency: np.ndarray
    node_features: np.ndarray
    edge_features: np.ndarray
    global_features: np.ndarray

    def __len__(self) -> int:
        return self.adjacency.shape[0]

    def flatten(self) -> np.ndarray:
        """All features as one ``(n, V*V + V*F + V*V*K + G)`` float64 matrix (for GBDT / GP)."""
        n = len(self)
        parts = [self.adjacency, self.node_features, self.edge_features, self.global_features]
        return np.concatenate([p.reshape(n, -1).astype(np.float64) for p in parts], axis=1)


class GraphEncoder(Encoder):
    """Encodes architectures as graphs with fixed shapes for the whole space.

    - cell spaces: the cell's nodes (``V = n_nodes``); an edge for every non-zero op, its op one-hot
      in ``edge_features`` (``K = len(ops) + 1``, the extra slot for loose-end -> output links);
      node features: one-hot role (input / intermediate / output).
    - macro spaces: a chain ``input -> layer slots -> output`` over the active layers
      (``V = 2 + sum of max depths``); node features: stage one-hot, active flag, and a one-hot of
      each per-layer choice (kernel, expand, ...).
    - other parameters (widths, resolution, ...) go to ``global_features`` (tabular encoding).
    """

    kind = "graph"

    def _fit(self, space: SearchSpace) -> None:
        structural = {p.name for p in space.params if p.role != "param"}
        self.globals_ = TabularEncoder([p.name for p in space.params if p.name not in structural]).fit(space)
        if space.cell is not None:
            self.n_nodes_ = space.cell.n_nodes
            self.ops_ = list(space.cell.ops) + ["<output-link>"]
            self.n_node_features_ = 3
        elif space.stages:
            self.slots_ = [(si, st, li, names) for si, st in enumerate(space.stages) for li, names in enumerate(st.layers)]
            self.n_nodes_ = len(self.slots_) + 2
            self.choice_values_: dict[str, list[Any]] = {}
            for _, _, _, names in self.slots_:
                for cname, pname in names.items():
                    vals = self.choice_values_.setdefault(cname, [])
                    vals += [v for v in space.param(pname).choices if v not in vals]
            self.n_node_features_ = 2 + len(space.stages) + 1 + sum(len(v) for v in self.choice_values_.values())
            self.ops_ = []
        else:
            self.n_nodes_, self.ops_, self.n_node_features_ = 2, [], 2

    def transform(self, archs: Sequence[Mapping[str, Any]]) -> GraphBatch:
        items = self._archs(archs)
        n, V, F, K = len(items), self.n_nodes_, self.n_node_features_, len(self.ops_)
        A = np.zeros((n, V, V), dtype=np.float32)
        NF = np.zeros((n, V, F), dtype=np.float32)
        EF = np.zeros((n, V, V, K), dtype=np.float32)
        space = self.space_
        for b, arch in enumerate(items):
            if space.cell is not None:
                for src, dst, op in space.cell.labelled_edges(arch):
                    if op in space.cell.zero_ops:
                        continue
                    A[b, src, dst] += 1
                    EF[b, src, dst, self.ops_.index(op) if op is not OUTPUT_LINK else K - 1] = 1
                NF[b, 0, 0] = NF[b, V - 1, 2] = 1
                NF[b, 1 : V - 1, 1] = 1
            elif space.stages:
                self._macro_graph(arch, A[b], NF[b])
            else:
                A[b, 0, 1] = 1
                NF[b, 0, 0] = NF[b, 1, 1] = 1
        return GraphBatch(A, NF, EF, self.globals_.transform(items))

    def _macro_graph(self, arch: Mapping[str, Any], A: np.ndarray, NF: np.ndarray) -> None:
        n_stages = len(self.space_.stages)
        NF[0, 0] = NF[-1, 1] = 1
        previous = 0
        for node, (si, stage, li, names) in enumerate(self.slots_, start=1):
            if li >= int(arch[stage.depth_param]):
                continue
            NF[node, 2 + si] = 1
            NF[node, 2 + n_stages] = 1  # active
            offset = 3 + n_stages
            for cname, values in self.choice_values_.items():
                if cname in names:
                    NF[node, offset + values.index(arch[names[cname]])] = 1
                offset += len(values)
            A[previous, node] = 1
            previous = node
        A[previous, -1] = 1


MAX_PATH_FEATURES = 100_000


class PathEncoder(Encoder):
    """Path encoding (White et al., BANANAS 2021) for cell spaces.

    One binary feature per op sequence of length 1..L along an input -> output path
    (zero ops excluded, identity ops included, loose-end -> output links not counted as ops).
    ``transform`` returns float64 ``(n, n_features_)``; ``feature_names_`` lists the sequences.
    """

    kind = "graph"

    def _fit(self, space: SearchSpace) -> None:
        if space.cell is None:
            raise PredictNASError(
                f"The path encoding needs a cell space; {space.name!r} has no [cell]. "
                "Use GraphEncoder, TabularEncoder or SequenceEncoder instead."
            )
        ops = [o for o in space.cell.ops if o not in space.cell.zero_ops]
        max_len = space.cell.n_nodes - 1
        n_features = sum(len(ops) ** L for L in range(1, max_len + 1))
        if n_features > MAX_PATH_FEATURES:
            raise PredictNASError(
                f"The path encoding of {space.name!r} ({space.cell.n_nodes} nodes, {len(ops)} ops) would have "
                f"{n_features:.3g} features (at most {MAX_PATH_FEATURES:,}); use the graph or tabular encoding.")
        self.sequences_ = [seq for L in range(1, max_len + 1) for seq in itertools.product(ops, repeat=L)]
        self.index_ = {seq: i for i, seq in enumerate(self.sequences_)}
        self.feature_names_ = ["->".join(s) for s in self.sequences_]
        self.n_features_ = len(self.sequences_)

    def transform(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        items = self._archs(archs)
        cell = self.space_.cell
        assert cell is not None
        X = np.zeros((len(items), self.n_features_), dtype=np.float64)
        for b, arch in enumerate(items):
            paths: dict[int, set[tuple[str, ...]]] = {0: {()}}
            for src, dst, op in sorted(cell.live_edges(arch), key=lambda e: e[1]):
                step = () if op is OUTPUT_LINK else (op,)
                paths.setdefault(dst, set()).update(p + step for p in paths.get(src, ()))
            for seq in paths.get(cell.output, ()):
                if seq in self.index_:
                    X[b, self.index_[seq]] = 1.0
        return X
