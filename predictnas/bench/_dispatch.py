"""One run of any benchmark method (predictnas proposers and peers) on a :class:`SearchProblem`."""

from __future__ import annotations

import importlib.util
from typing import Any

from predictnas.bench._methods import Run, run_optuna, run_proposer
from predictnas.bench._names import OPTUNA_METHODS, PEER_PACKAGES, PROPOSER_METHODS
from predictnas.evaluators import SearchProblem


def missing_package(method: str) -> str | None:
    """Why ``method`` cannot run here (its library is not installed), or ``None``."""
    package = PEER_PACKAGES.get(method)
    if package is None or importlib.util.find_spec(package) is not None:
        return None
    return f"{package} is not installed (pip install 'predictnas[bench]')"


def run_method(problem: SearchProblem, method: str, *, seed: int, budget: int, batch_size: int = 1,
               use_cheap: bool = False, options: dict[str, Any] | None = None) -> Run:
    """``budget`` evaluations of ``method`` (a name of ``METHODS``); predictnas proposers ask for
    ``batch_size`` trials at a time, peers for one."""
    from predictnas.bench import _peers

    if method in PROPOSER_METHODS:
        return run_proposer(problem, method, seed=seed, budget=budget, batch_size=batch_size, use_cheap=use_cheap,
                            options=options)
    if method in OPTUNA_METHODS:
        return run_optuna(problem, method, seed=seed, budget=budget)
    if method == "pymoo-nsga2":
        return _peers.run_pymoo_nsga2(problem, seed=seed, budget=budget)
    if method in ("syne-re", "syne-ehvi"):
        return _peers.run_syne_tune(problem, method, seed=seed, budget=budget)
    if method == "smac-parego":
        return _peers.run_smac(problem, seed=seed, budget=budget)
    raise ValueError(f"unknown method {method!r}")
