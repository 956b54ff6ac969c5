"""pymoo NSGA-II over architectures, scored by a cheap function (a surrogate's predictions).

Architectures are pymoo individuals with one object-typed variable; the space's own sampling,
uniform crossover and mutation are the operators and canonical keys remove duplicates (pymoo's
"custom variable type" pattern), so every search space works without an integer encoding.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from predictnas.spaces import Arch, SearchSpace

# (archs) -> (F (n, m) minimisation, G (n, c) with <= 0 feasible, or None)
ScoreFunction = Callable[[Sequence[Arch]], tuple[np.ndarray, np.ndarray | None]]


def evolve(space: SearchSpace, score: ScoreFunction, *, n_obj: int, n_constr: int, seeds: Sequence[Arch],
           pop_size: int, generations: int, seed: int) -> tuple[list[Arch], list[Arch]]:
    """Runs NSGA-II on ``score`` from ``seeds`` (topped up with random architectures).

    Returns:
        ``(final, visited)``: the final population, best first (rank, then crowding), and every
        distinct architecture scored during the run.
    """
    from pymoo.algorithms.moo.nsga2 import NSGA2
    from pymoo.core.crossover import Crossover
    from pymoo.core.duplicate import DuplicateElimination
    from pymoo.core.mutation import Mutation
    from pymoo.core.problem import Problem
    from pymoo.core.sampling import Sampling
    from pymoo.optimize import minimize

    visited: dict[str, Arch] = {}

    class ArchProblem(Problem):
        def __init__(self) -> None:
            super().__init__(n_var=1, n_obj=n_obj, n_ieq_constr=n_constr, vtype=object)

        def _evaluate(self, X: np.ndarray, out: dict, *args: object, **kwargs: object) -> None:
            archs = [x[0] for x in X]
            for arch in archs:
                visited.setdefault(space.canonical_key(arch), arch)
            F, G = score(archs)
            out["F"] = F
            if n_constr:
                out["G"] = G

    class SeededSampling(Sampling):
        def _do(self, problem: Problem, n_samples: int, *args: object, random_state: np.random.Generator, **kwargs: object) -> np.ndarray:
            unique = {space.canonical_key(a): a for a in seeds}
            archs = list(unique.values())[:n_samples]
            if len(archs) < n_samples:
                archs += space.sample(n_samples - len(archs), rng=random_state)
            X = np.empty((n_samples, 1), dtype=object)
            X[:, 0] = archs
            return X

    class UniformCrossover(Crossover):
        def __init__(self) -> None:
            super().__init__(n_parents=2, n_offsprings=2)

        def _do(self, problem: Problem, X: np.ndarray, *args: object, random_state: np.random.Generator, **kwargs: object) -> np.ndarray:
            _, n_matings, _ = X.shape
            Y = np.empty((2, n_matings, 1), dtype=object)
            for k in range(n_matings):
                a, b = X[0, k, 0], X[1, k, 0]
                Y[0, k, 0] = space.crossover(a, b, rng=random_state)
                Y[1, k, 0] = space.crossover(b, a, rng=random_state)
            return Y

    class SpaceMutation(Mutation):
        def _do(self, problem: Problem, X: np.ndarray, *args: object, random_state: np.random.Generator, **kwargs: object) -> np.ndarray:
            for i in range(len(X)):
                X[i, 0] = space.mutate(X[i, 0], rng=random_state)
            return X

    class KeyDuplicates(DuplicateElimination):
        def _do(self, pop: object, other: object, is_duplicate: np.ndarray) -> np.ndarray:
            keys = [space.canonical_key(ind.X[0]) for ind in pop]  # type: ignore[attr-defined]
            if other is None:
                seen: set[str] = set()
                for i, key in enumerate(keys):
                    is_duplicate[i] = key in seen
                    seen.add(key)
            else:
                known = {space.canonical_key(ind.X[0]) for ind in other}  # type: ignore[attr-defined]
                is_duplicate[:] = [key in known for key in keys]
            return is_duplicate

    algorithm = NSGA2(pop_size=pop_size, sampling=SeededSampling(), crossover=UniformCrossover(),
                      mutation=SpaceMutation(), eliminate_duplicates=KeyDuplicates())
    result = minimize(ArchProblem(), algorithm, ("n_gen", generations), seed=seed, verbose=False)
    pop = result.algorithm.pop
    rank = np.array([r if r is not None else np.inf for r in pop.get("rank")], dtype=float)
    crowding = np.nan_to_num(np.asarray(pop.get("crowding"), dtype=float), nan=0.0, posinf=1e12)
    order = np.lexsort((-crowding, rank))
    return [pop[int(i)].X[0] for i in order], list(visited.values())
