"""``check_encoder``: ``fit`` returns self; one finite, deterministic row per architecture."""

from __future__ import annotations

import numpy as np

from predictnas.encoders import Encoder, GraphBatch
from predictnas.spaces import SearchSpace, load_space


def check_encoder(encoder: type[Encoder] | Encoder, space: SearchSpace | str = "nb201", *, n: int = 16) -> None:
    """Checks an :class:`~predictnas.encoders.Encoder` class or instance on ``space``:

    1. ``fit(space)`` returns the encoder itself;
    2. ``transform(archs)`` gives one finite row per architecture (a ``(n, d)`` array, or a
       ``GraphBatch`` of ``n`` graphs), of the same width for every batch;
    3. it is deterministic: the same architectures give the same rows, alone or in a batch;
    4. ``groups_``, when given, are lists of valid column indices.
    """
    space = load_space(space) if isinstance(space, str) else space
    cls = encoder if isinstance(encoder, type) else type(encoder)
    name = cls.__name__
    assert issubclass(cls, Encoder), f"{name} is not a predictnas.encoders.Encoder subclass."
    enc = encoder() if isinstance(encoder, type) else encoder
    assert enc.fit(space) is enc, f"{name}.fit(space) must return self."
    archs = space.sample(n, rng=np.random.default_rng(0))

    def rows(batch: list) -> np.ndarray:
        out = enc.transform(batch)
        flat = out.flatten() if isinstance(out, GraphBatch) else np.asarray(out, dtype=np.float64)
        assert flat.ndim == 2 and flat.shape[0] == len(batch), f"{name}.transform must give one row per architecture; got {flat.shape}."
        assert np.isfinite(flat).all(), f"{name}.transform gave NaN or inf."
        return flat

    X = rows(archs)
    assert np.array_equal(rows(archs), X), f"{name}.transform is not deterministic."
    single = rows(archs[:1])
    assert single.shape[1] == X.shape[1] and np.allclose(single[0], X[0]), (
        f"{name}.transform gives a row that depends on the rest of the batch (width {single.shape[1]} vs {X.shape[1]}).")
    groups = getattr(enc, "groups_", None)
    if groups is not None:
        bad = [c for g in groups for c in g if not 0 <= int(c) < X.shape[1]]
        assert not bad, f"{name}.groups_ names columns outside its {X.shape[1]} features: {bad[:5]}."
