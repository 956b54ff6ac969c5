"""Which stopped trial to verify first: the one whose predicted values at the target fidelity
would add the most hypervolume to the front of complete trials (a promotion rule by predicted
HV contribution)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from predictnas._determinism import seeded_torch
from predictnas.pareto import hypervolume, pareto_mask
from predictnas.spaces import SearchSpace
from predictnas.study._context import target_fidelity
from predictnas.types import FrozenTrial, Objective


def by_predicted_gain(space: SearchSpace, objectives: Sequence[Objective], complete: Sequence[FrozenTrial],
                      stopped: Sequence[FrozenTrial], candidates: Sequence[FrozenTrial], beta: float = 1.0) -> list[FrozenTrial]:
    """``candidates`` ordered by the hypervolume their optimistic prediction at the target
    fidelity (mean + ``beta`` std of a GP on architecture features and fidelity, fitted on every
    complete and stopped trial) adds to the front of the complete trials; ties keep their order.
    As given when fewer than 3 complete trials hold every objective or a candidate lacks one."""
    from predictnas.encoders import ArchFeatures
    from predictnas.proposers import fidelity_level
    from predictnas.surrogates import GPSurrogate

    names = [o.name for o in objectives]
    complete = [t for t in complete if all(n in t.values for n in names)]
    low = [t for t in stopped if t.fidelity and all(n in t.values for n in names)]
    if len(complete) < 3 or not all(all(n in t.values for n in names) for t in candidates):
        return list(candidates)
    target = target_fidelity(complete) or max((t.fidelity for t in low), default=1)
    features = ArchFeatures("tabular").fit(space)
    observed = complete + low
    level = np.array([1.0] * len(complete) + [fidelity_level(t.fidelity, target) for t in low])
    X = np.concatenate([features.transform([t.arch for t in observed]), level[:, None]], axis=1)
    signs = np.array([1.0 if o.direction == "maximize" else -1.0 for o in objectives])
    Y = np.array([[t.values[n] for n in names] for t in observed]) * signs  # maximisation form
    groups = features.layout_.groups() + [[X.shape[1] - 1]]
    with seeded_torch(int(hashlib.sha1(X.tobytes() + Y.tobytes()).hexdigest()[:15], 16)):
        model = GPSurrogate(groups=groups).fit(X, Y)
    X_cand = np.concatenate([features.transform([t.arch for t in candidates]), np.ones((len(candidates), 1))], axis=1)
    mean, std = model.predict(X_cand)
    optimistic = -(mean + beta * std)  # minimisation form
    F = -Y[: len(complete)]
    front = F[pareto_mask(F)]
    lower, upper = np.minimum(F.min(axis=0), optimistic.min(axis=0)), F.max(axis=0)
    base = hypervolume(front, lower=lower, upper=upper)
    gains = [hypervolume(np.vstack([front, p]), lower=lower, upper=upper) - base for p in optimistic]
    order = sorted(range(len(candidates)), key=lambda i: (-round(gains[i], 12), i))
    return [candidates[i] for i in order]
