"""Sequence encoding: one token per parameter, a vocabulary per space."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from predictnas.encoders._base import Encoder
from predictnas.spaces import SearchSpace

PAD, INACTIVE = "<pad>", "<inactive>"


class SequenceEncoder(Encoder):
    """Encodes an architecture as ``L = len(space.params)`` token ids, one per parameter, in spec order.

    The vocabulary ``vocabulary_`` is ``["<pad>", "<inactive>"]`` followed by ``"name=value"`` for
    every parameter choice, so the same value of two parameters gets two tokens (position-aware).
    ``transform`` returns int64 ``(n, L)``; inactive parameters get the ``<inactive>`` id (1).
    """

    kind = "sequence"

    def _fit(self, space: SearchSpace) -> None:
        self.vocabulary_ = [PAD, INACTIVE] + [f"{p.name}={c}" for p in space.params for c in p.choices]
        self.token_ids_ = {tok: i for i, tok in enumerate(self.vocabulary_)}
        self._offsets = {}
        offset = 2
        for p in space.params:
            self._offsets[p.name] = offset
            offset += p.n_choices
        self.sequence_length_ = len(space.params)

    @property
    def vocabulary_size_(self) -> int:
        return len(self.vocabulary_)

    def transform(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        items = self._archs(archs)
        X = np.full((len(items), self.sequence_length_), 1, dtype=np.int64)
        for b, arch in enumerate(items):
            for j, p in enumerate(self.space_.params):
                if p.name in arch:
                    X[b, j] = self._offsets[p.name] + p.index(arch[p.name])
        return X

    def decode(self, tokens: np.ndarray) -> list[list[str]]:
        """Token ids ``(n, L)`` back to token strings (for inspection)."""
        return [[self.vocabulary_[int(t)] for t in row] for row in np.asarray(tokens)]
