"""NSGA-II on a surrogate's predictions (the DyNAS-T / LINAS loop)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from predictnas._determinism import pinned_step
from predictnas.exceptions import InvalidSpecError
from predictnas.proposers._base import ProposalContext, Proposer, fresh_random
from predictnas.proposers._bo import initial_design_size
from predictnas.proposers._evolution import evolve
from predictnas.proposers._pool import _observed_front
from predictnas.proposers._targets import Targets
from predictnas.spaces import Arch


class SurrogateNSGA2Proposer(Proposer):
    """NSGA-II on a surrogate's predictions (the DyNAS-T / LINAS loop).

    Each step: fit a surrogate on the completed trials, run pymoo NSGA-II on its mean
    predictions (exact values for cheap objectives, predicted and exact constraint violations as
    constraints) from the observed Pareto set, and propose the best unseen members of the final
    population (rank, then crowding distance).

    Args:
        surrogate: ``"xgboost"``, ``"xgboost-quantile"`` or ``"gp"``.
        encoding: Feature encoding.
        n_initial: Random initial design size (default: :func:`initial_design_size`).
        pop_size: NSGA-II population.
        generations: NSGA-II generations per step.
    """

    use_when: ClassVar[str] = ("thousands of cheap evaluations (a supernet at milliseconds each) where a GP's cost "
                               "per step would dominate; DyNAS-T's LINAS loop")

    def __init__(self, *, surrogate: str = "xgboost", encoding: str = "tabular", n_initial: int | None = None,
                 pop_size: int = 100, generations: int = 30) -> None:
        from predictnas.encoders import ENCODERS
        from predictnas.surrogates import surrogate_class

        surrogate_class(surrogate, where=f"surrogate={surrogate!r}")
        ENCODERS.resolve(encoding, where=f"encoding={encoding!r}")
        for name, value in {"pop_size": pop_size, "generations": generations}.items():
            if not isinstance(value, int) or value < 1:
                raise InvalidSpecError(f"{name} must be a positive integer; got {value!r}.")
        self.surrogate, self.encoding, self.n_initial = surrogate, encoding, n_initial
        self.pop_size, self.generations = pop_size, generations

    def model_spec(self) -> dict[str, Any]:
        return {"surrogate": self.surrogate, "encoding": self.encoding, "features": []}

    def propose(self, ctx: ProposalContext, n: int, *, rng: np.random.Generator) -> list[Arch]:
        with pinned_step(rng):
            return self._propose(ctx, n, rng)

    def _propose(self, ctx: ProposalContext, n: int, rng: np.random.Generator) -> list[Arch]:
        from predictnas.encoders import ArchFeatures
        from predictnas.proposers._inputs import ModelInputs
        from predictnas.surrogates import make_surrogate, surrogate_class

        taken = set(ctx.seen_keys)
        if len(ctx.complete) < max(self.n_initial or initial_design_size(ctx.space), 3):
            return fresh_random(ctx, n, rng, taken)
        targets = Targets.of(ctx)
        features = ArchFeatures(self.encoding).fit(ctx.space)
        inputs = ModelInputs(features, targets)
        done = list(ctx.complete)
        seed = int(rng.integers(2**31)) if surrogate_class(self.surrogate).takes_seed else None
        model = make_surrogate(self.surrogate, seed=seed).fit(inputs([t.arch for t in done]), targets.model_targets(done))
        m_mod = len(targets.modelled)
        cons = [ctx.constraints[j] for j in targets.modelled_constraints]

        def score(archs: Sequence[Arch]) -> tuple[np.ndarray, np.ndarray | None]:
            X = inputs(archs)
            mean = model.predict(np.nan_to_num(X))[0]
            exact, violation = targets.exact_values(archs)
            F = -np.concatenate([mean[:, :m_mod], np.nan_to_num(exact, nan=-1e30)], axis=1)
            G = [np.nan_to_num(violation, nan=1e30)]
            G += [(mean[:, m_mod + i] - c.bound) * (1 if c.op == "<=" else -1) for i, c in enumerate(cons)]
            return F, np.stack(G, axis=1)

        final, _ = evolve(ctx.space, score, n_obj=len(ctx.objectives), n_constr=1 + len(cons),
                          seeds=_observed_front(ctx), pop_size=self.pop_size, generations=self.generations,
                          seed=int(rng.integers(2**31)))
        out: list[Arch] = []
        for arch in final:
            key = ctx.space.canonical_key(arch)
            if key not in taken and len(out) < n:
                taken.add(key)
                out.append(arch)
        return out + fresh_random(ctx, n - len(out), rng, taken)
