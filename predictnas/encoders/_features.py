"""``ArchFeatures``: architectures (and cheap statistics) -> one feature matrix for a surrogate."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from predictnas.encoders._base import Encoder
from predictnas.encoders._graph import GraphBatch
from predictnas.encoders._layout import ColumnLayout
from predictnas.encoders._registry import make_encoder
from predictnas.exceptions import InvalidValuesError, NotFittedError
from predictnas.spaces import SearchSpace


class ArchFeatures:
    """Encodes architectures, appends cheap statistics, and optionally a pretrained embedding.

    Columns (``layout_``, a :class:`ColumnLayout` of blocks ``encoding``, ``cheap`` and
    ``pretrained``): the encoder's features (``graph``: the flattened ``GraphBatch``; ``sequence``:
    token ids, listed in ``cat_dims_``; the encoder's ``groups_`` as the block's groups, for an
    additive GP kernel), then the standardised ``cheap`` statistics given to
    :meth:`transform`, then with ``pretrain=True`` the cheap statistics as *predicted* by
    xgboost models fitted in :meth:`fit` on many unlabeled architectures (FBNetV3's predictor
    pretraining: an embedding learnt from free targets, available for every candidate without
    computing its statistics).

    Args:
        encoding: ``"tabular"``, ``"path"``, ``"graph"`` or ``"sequence"``.
        cheap: Names of cheap statistics passed to :meth:`transform` as plain features.
        pretrain: Fit the cheap-statistic predictors in :meth:`fit` and append their predictions.
        seed: Seed of the pretraining models.
    """

    def __init__(self, encoding: str = "tabular", *, cheap: Sequence[str] = (), pretrain: bool = False, seed: int = 0) -> None:
        self.encoding, self.cheap, self.pretrain, self.seed = encoding, tuple(cheap), pretrain, seed

    def _encode(self, archs: Sequence[Mapping[str, Any]]) -> np.ndarray:
        out = self.encoder_.transform(archs)
        return out.flatten() if isinstance(out, GraphBatch) else np.asarray(out, dtype=np.float64)

    def fit(self, space: SearchSpace, archs: Sequence[Mapping[str, Any]] = (),
            cheap: Mapping[str, Sequence[float]] | None = None) -> ArchFeatures:
        """Fixes the layout; ``archs`` with their ``cheap`` statistics (name -> values) set the
        standardisation and, with ``pretrain``, train the cheap-statistic predictors."""
        self.encoder_: Encoder = make_encoder(self.encoding).fit(space)
        n_enc = self._encode([space.sample(1, rng=np.random.default_rng(0))[0]]).shape[1]
        self.cat_dims_ = list(range(n_enc)) if self.encoding == "sequence" else []
        encoder_groups = [list(g) for g in getattr(self.encoder_, "groups_", None) or [range(n_enc)]]
        stats = {k: np.asarray(v, dtype=np.float64) for k, v in (cheap or {}).items()}
        names = sorted(set(self.cheap) | (set(stats) if self.pretrain else set()))
        missing = [k for k in names if k not in stats]
        if missing:
            raise InvalidValuesError(f"fit() needs the cheap statistics {missing} of the fitting architectures.")
        self.layout_ = ColumnLayout().then("encoding", n_enc, encoder_groups).then("cheap", len(self.cheap)) \
            .then("pretrained", len(names) if self.pretrain else 0)
        self.center_ = {k: float(np.mean(_transform(stats[k]))) for k in names}
        self.spread_ = {k: float(np.std(_transform(stats[k])) or 1.0) for k in names}
        self.pretrained_: dict[str, Any] = {}
        if self.pretrain:
            import xgboost

            if len(archs) < 10:
                raise InvalidValuesError(f"Pretraining needs many unlabeled architectures; got {len(archs)}.")
            X = self._encode(archs)
            for k in names:
                model = xgboost.XGBRegressor(n_estimators=300, max_depth=6, learning_rate=0.1, subsample=0.8,
                                             random_state=self.seed, n_jobs=1, verbosity=0)
                self.pretrained_[k] = model.fit(X, self._standard(k, stats[k]))
        return self

    @property
    def groups_(self) -> list[list[int]]:
        """Column groups of :meth:`transform`'s output (``layout_.groups()``)."""
        return self.layout_.groups()

    def _standard(self, name: str, values: np.ndarray) -> np.ndarray:
        return (_transform(np.asarray(values, dtype=np.float64)) - self.center_[name]) / self.spread_[name]

    def transform(self, archs: Sequence[Mapping[str, Any]], cheap: Mapping[str, Sequence[float]] | None = None) -> np.ndarray:
        """``(n, d)`` features of ``archs``; ``cheap`` holds the statistics named in ``cheap``."""
        if not hasattr(self, "encoder_"):
            raise NotFittedError("This ArchFeatures is not fitted yet; call fit(space, ...) first.")
        X = self._encode(archs)
        parts = [X]
        for k in self.cheap:
            if cheap is None or k not in cheap:
                raise InvalidValuesError(f"transform() needs the cheap statistic {k!r} of every architecture.")
            parts.append(self._standard(k, cheap[k])[:, None])
        for model in self.pretrained_.values():
            parts.append(model.predict(X)[:, None].astype(np.float64))
        return np.concatenate(parts, axis=1)


def _transform(values: np.ndarray) -> np.ndarray:
    """Signed log for heavy-tailed statistics (FLOPs, params, synflow span orders of magnitude)."""
    return np.sign(values) * np.log1p(np.abs(values))
