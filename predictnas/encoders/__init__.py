"""Encoders: architectures -> features (tabular, graph, path, sequence)."""

from __future__ import annotations

from predictnas.encoders._base import Encoder
from predictnas.encoders._graph import GraphBatch, GraphEncoder, PathEncoder
from predictnas.encoders._sequence import SequenceEncoder
from predictnas.encoders._tabular import CellStatistics, OneHotEncoder, TabularEncoder

ENCODERS: dict[str, type[Encoder]] = {
    "tabular": TabularEncoder,
    "onehot": OneHotEncoder,
    "graph": GraphEncoder,
    "path": PathEncoder,
    "sequence": SequenceEncoder,
}


def make_encoder(name: str) -> Encoder:
    """An unfitted encoder by name: ``tabular``, ``onehot``, ``graph``, ``path`` or ``sequence``."""
    try:
        return ENCODERS[name]()
    except KeyError:
        raise ValueError(f"Unknown encoder {name!r}; available: {sorted(ENCODERS)}.") from None


__all__ = ["ENCODERS", "CellStatistics", "Encoder", "OneHotEncoder", "GraphBatch", "GraphEncoder", "PathEncoder", "SequenceEncoder", "TabularEncoder", "make_encoder"]
