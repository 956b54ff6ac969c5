"""``ModelInputs``: the default proposer's model inputs, built in one place with their layout."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from predictnas.encoders import ArchFeatures, ColumnLayout
from predictnas.proposers._targets import Targets
from predictnas.spaces import Arch


def fidelity_level(step: int, target: int) -> float:
    """An observation's fidelity as a model input: ``log(step) / log(target)`` in [0, 1] (1 at or
    past the target step, and when the target is step 1)."""
    return float(np.log(min(step, target)) / np.log(target)) if target > 1 else 1.0


class ModelInputs:
    """``(n, d)`` model inputs of architectures, and which columns hold what.

    Blocks of :attr:`layout` in order: ``encoding`` (the :class:`ArchFeatures` blocks, with the
    encoder's own column groups), ``exact`` (objectives known exactly, maximisation form),
    ``features`` (cheap statistics that are inputs only, NaN where unknown), ``transfer``
    (warm start: earlier studies' predictions of each mapped objective) and ``fidelity`` (with
    ``fidelity=True``: the fidelity of an observation in [0, 1], 1 = the target; its own kernel term).

    Args:
        features: The fitted encoding.
        targets: What is exact and what is modelled.
        transfer: ``(encoded rows (n, d_enc)) -> (n, n_transfer)``, or ``None``.
        n_transfer: Columns ``transfer`` returns.
        fidelity: Add the fidelity column.
    """

    def __init__(self, features: ArchFeatures, targets: Targets,
                 transfer: Callable[[np.ndarray], np.ndarray] | None = None, n_transfer: int = 0,
                 fidelity: bool = False) -> None:
        self.features, self.targets, self.transfer = features, targets, transfer
        self.layout: ColumnLayout = ColumnLayout(features.layout_.blocks) \
            .then("exact", len(targets.exact)).then("features", len(targets.features)) \
            .then("transfer", n_transfer if transfer is not None else 0).then("fidelity", 1 if fidelity else 0)

    def __call__(self, archs: Sequence[Arch], encoded: np.ndarray | None = None,
                 fidelity: np.ndarray | float = 1.0) -> np.ndarray:
        """``(len(archs), layout.width)``; ``encoded``: the rows of ``features`` when known already;
        ``fidelity``: ``(len(archs),)`` or one value for all (default: the target)."""
        enc = self.features.transform(archs) if encoded is None else encoded
        targets = self.targets
        stats = targets.lookup(archs) if targets.features else None  # one lookup for both parts
        parts = [enc, targets.exact_values(archs, stats)[0]]
        if stats is not None:
            missing = np.full(len(archs), np.nan)
            parts.append(np.stack([np.asarray(stats.get(f, missing), dtype=float) for f in targets.features], axis=1))
        if self.transfer is not None:
            parts.append(self.transfer(enc))
        if self.layout.columns("fidelity"):
            parts.append(np.broadcast_to(np.asarray(fidelity, dtype=np.float64), (len(archs),))[:, None])
        return np.concatenate(parts, axis=1)

    @property
    def exact_columns(self) -> list[int]:
        return self.layout.columns("exact")
