"""The encoder registry: built-in encoders by name, and entry points."""

from __future__ import annotations

from predictnas._registry import Registry
from predictnas.encoders._base import Encoder
from predictnas.encoders._graph import GraphEncoder, PathEncoder
from predictnas.encoders._sequence import SequenceEncoder
from predictnas.encoders._tabular import OneHotEncoder, TabularEncoder

ENCODERS: Registry[type[Encoder]] = Registry("encoder", {
    "tabular": TabularEncoder, "onehot": OneHotEncoder, "graph": GraphEncoder, "path": PathEncoder, "sequence": SequenceEncoder,
})


def make_encoder(name: str) -> Encoder:
    """An unfitted encoder: ``tabular``, ``onehot``, ``graph``, ``path``, ``sequence`` or a
    ``"package.module:Class"`` entry point."""
    return ENCODERS.resolve(name, where=f"encoding={name!r}")()
