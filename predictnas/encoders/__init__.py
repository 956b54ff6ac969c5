"""Encoders: architectures -> features (tabular, graph, path, sequence), and the model-input
layout built on them (:class:`ArchFeatures`, :class:`ColumnLayout`)."""

from __future__ import annotations

from predictnas.encoders._base import Encoder
from predictnas.encoders._features import ArchFeatures
from predictnas.encoders._graph import GraphBatch, GraphEncoder, PathEncoder
from predictnas.encoders._layout import ColumnLayout
from predictnas.encoders._registry import ENCODERS, make_encoder
from predictnas.encoders._sequence import SequenceEncoder
from predictnas.encoders._tabular import CellStatistics, OneHotEncoder, TabularEncoder

__all__ = ["ENCODERS", "ArchFeatures", "CellStatistics", "ColumnLayout", "Encoder", "GraphBatch", "GraphEncoder",
           "OneHotEncoder", "PathEncoder", "SequenceEncoder", "TabularEncoder", "make_encoder"]
