"""Benchmarks users run on their own tables: ``predictnas benchmark search``."""

from predictnas.bench._methods import Run, run_optuna, run_proposer
from predictnas.bench._problem import SearchProblem
from predictnas.bench._search import METHODS, format_table, run_benchmark, score_run

__all__ = ["METHODS", "NB201Network", "Run", "SearchProblem", "format_table", "run_benchmark", "run_optuna", "run_proposer", "score_run"]


def __getattr__(name: str) -> object:
    if name == "NB201Network":  # imports torch: only when asked for
        from predictnas.bench._nb201_network import NB201Network

        return NB201Network
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
