"""Cell DAG structure: which parameters form the cell, its effective edges, canonical form and strings.

Nodes are numbered ``0 .. n_nodes-1``: node 0 is the cell input, the last node the output, and
every node sums its incoming edges. Two layouts are supported:

- ``edges``: a fixed edge list, one op parameter per edge (NAS-Bench-201: 4 nodes, 6 edges);
- ``inputs``: each intermediate node picks ``per_node`` inputs among earlier nodes, each with an op
  (NASNet/DARTS style); the output sums the intermediate nodes no other node consumes.

The canonical form follows NAS-Bench-201's published isomorphism rule (``Structure.to_unique_str``
with ``consider_zero=True``): each node becomes the sorted sum of its input terms, where a *zero* op
(or an input that is exactly zero) gives the zero term ``#``, an *identity* op passes its input
unchanged, and any other op gives ``(input)@op``. On NAS-Bench-201 this yields the benchmark's
6,466 classes. Edges that cannot reach the output never appear in the output's expression.

This is deliberately the published rule, not full graph isomorphism: zero terms stay inside the
sums, so e.g. some all-zero cells, or two mirrored branches of which only one has a ``none`` edge
into the other, get different keys. Merging them would break the match with the benchmark's data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from predictnas.spaces._arch import Value

ZERO = "#"
HASH_AFTER = 1024  # longest node expression kept as text (NAS-Bench-201's longest is 112 characters)
OUTPUT_LINK = None  # op label of the implicit "loose end -> output" links in the inputs layout


@dataclass(frozen=True)
class CellStructure:
    """The cell part of a space.

    Args:
        n_nodes: Number of nodes including input and output.
        ops: Op names an edge may take.
        zero_ops: Ops that output zero (e.g. ``none``).
        identity_ops: Ops that pass their input unchanged (e.g. ``skip_connect``).
        edges: ``edges`` layout: ``(src, dst, op_param)`` per edge; empty in the ``inputs`` layout.
        slots: ``inputs`` layout: ``(dst, input_param, op_param)`` per input slot.
        string_format: ``"nb201"`` for the official ``|op~0|+|op~0|op~1|+...`` strings, else ``None``.
    """

    n_nodes: int
    ops: tuple[str, ...]
    zero_ops: frozenset[str]
    identity_ops: frozenset[str]
    edges: tuple[tuple[int, int, str], ...] = ()
    slots: tuple[tuple[int, str, str], ...] = ()
    string_format: str | None = None

    @property
    def output(self) -> int:
        return self.n_nodes - 1

    @property
    def layout(self) -> str:
        return "edges" if self.edges else "inputs"

    def labelled_edges(self, arch: Mapping[str, Value]) -> list[tuple[int, int, str | None]]:
        """Every edge of the architecture as ``(src, dst, op)``, zero ops included.

        In the ``inputs`` layout, the links from loose-end nodes to the output carry op ``None``.
        """
        if self.edges:
            return [(src, dst, str(arch[p])) for src, dst, p in self.edges]
        edges: list[tuple[int, int, str | None]] = [
            (int(arch[in_p]), dst, str(arch[op_p])) for dst, in_p, op_p in self.slots
        ]
        consumed = {src for src, _, _ in edges}
        intermediates = sorted({dst for dst, _, _ in self.slots})
        edges += [(node, self.output, OUTPUT_LINK) for node in intermediates if node not in consumed]
        return edges

    def live_edges(self, arch: Mapping[str, Value]) -> list[tuple[int, int, str | None]]:
        """Edges that carry a signal from the input to the output (zero ops and dead ends removed)."""
        edges = [e for e in self.labelled_edges(arch) if e[2] not in self.zero_ops]
        reach_fwd, reach_bwd = {0}, {self.output}
        for src, dst, _ in sorted(edges, key=lambda e: e[1]):
            if src in reach_fwd:
                reach_fwd.add(dst)
        for src, dst, _ in sorted(edges, key=lambda e: -e[0]):
            if dst in reach_bwd:
                reach_bwd.add(src)
        return [e for e in edges if e[0] in reach_fwd and e[1] in reach_bwd]

    def canonical_expression(self, arch: Mapping[str, Value]) -> str:
        """The NAS-Bench-201-style canonical expression of the output node (see module docs)."""
        incoming: dict[int, list[tuple[int, str | None]]] = {}
        for src, dst, op in self.labelled_edges(arch):
            incoming.setdefault(dst, []).append((src, op))
        expr = {0: "0"}
        for node in range(1, self.n_nodes):
            terms = []
            for src, op in incoming.get(node, []):
                source = expr[src]
                if op in self.zero_ops or source == ZERO:
                    terms.append(ZERO)
                elif op is OUTPUT_LINK or op in self.identity_ops:
                    terms.append(source)
                else:
                    terms.append(f"({source})@{op}")
            text = "+".join(sorted(terms)) if terms else ZERO
            # a deep cell's expressions would grow exponentially (each repeats its inputs'): past
            # HASH_AFTER characters a node stands for its expression's digest (same rule, same classes)
            expr[node] = text if len(text) <= HASH_AFTER else "{" + hashlib.sha256(text.encode()).hexdigest()[:24] + "}"
        return expr[self.output]

    # -- NAS-Bench-201 strings -------------------------------------------------------------------
    def to_nb201_string(self, arch: Mapping[str, Value]) -> str:
        by_dst: dict[int, list[tuple[int, str]]] = {}
        for src, dst, p in self.edges:
            by_dst.setdefault(dst, []).append((src, str(arch[p])))
        return "+".join(
            "|" + "|".join(f"{op}~{src}" for src, op in sorted(by_dst[dst])) + "|" for dst in sorted(by_dst)
        )

    def from_nb201_string(self, text: str) -> dict[str, str]:
        """Parses ``|op~0|+|op~0|op~1|+...``; raises ``ValueError`` naming the bad part."""
        param_of = {(src, dst): p for src, dst, p in self.edges}
        values: dict[str, str] = {}
        nodes = text.strip().split("+")
        if len(nodes) != self.n_nodes - 1:
            raise ValueError(f"expected {self.n_nodes - 1} '+'-separated node groups, got {len(nodes)}")
        for dst, group in enumerate(nodes, start=1):
            if not (group.startswith("|") and group.endswith("|")):
                raise ValueError(f"node group {group!r} must look like |op~0|op~1|")
            for item in group.strip("|").split("|"):
                op, sep, src_text = item.partition("~")
                if not sep or not src_text.isdigit():
                    raise ValueError(f"edge {item!r} must look like op~SRC")
                key = (int(src_text), dst)
                if key not in param_of:
                    raise ValueError(f"edge {item!r} goes from node {key[0]} to {dst}, not an edge of this cell")
                values[param_of[key]] = op
        return values
