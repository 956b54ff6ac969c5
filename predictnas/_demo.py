"""The demo behind ``make demo`` / ``predictnas demo``."""

from __future__ import annotations

import numpy as np

from predictnas.encoders import ENCODERS
from predictnas.exceptions import PredictNASError
from predictnas.spaces import SearchSpace, list_spaces, load_space


def describe_space(space: SearchSpace, *, n_samples: int = 3, seed: int = 0) -> None:
    """Prints a space's size, a few seeded samples, their canonical keys and encodings."""
    try:
        size = f"{space.cardinality():,} architectures"
    except PredictNASError:
        estimate = space.estimate_cardinality(rng=np.random.default_rng(seed))
        size = f"~{estimate:.3g} architectures (sampled estimate; constrained space)"
    print(f"== {space.name}: {space.spec.get('description', '')}")
    print(f"   {len(space.params)} parameters, {size}")
    archs = space.sample(n_samples, rng=np.random.default_rng(seed))
    for i, arch in enumerate(archs):
        print(f"   sample {i}: {space.to_string(arch)}")
    print(f"   canonical key of sample 0: {space.canonical_key(archs[0])}")
    for name, cls in ENCODERS.items():
        try:
            encoder = cls().fit(space)
        except PredictNASError:
            continue
        X = encoder.transform(archs[:1])
        flat = X.flatten() if hasattr(X, "global_features") else np.asarray(X)
        head = ", ".join(f"{v:g}" for v in np.ravel(flat)[:16])
        print(f"   {name:8s} encoding: {np.shape(flat)[-1]:4d} features  [{head}{', ...' if np.size(flat) > 16 else ''}]")


def run_demo(*, seed: int = 0) -> None:
    for name in list_spaces():
        describe_space(load_space(name), seed=seed)
        print()
