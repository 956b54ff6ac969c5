"""Benchmarks users run on their own tables: ``predictnas benchmark search``.

Names are loaded on first use, so that listing the method names (:data:`METHODS`) imports nothing.
"""

from __future__ import annotations

from predictnas.bench._names import METHODS, OPTUNA_METHODS, PROPOSER_METHODS

__all__ = ["METHODS", "NB201Network", "OPTUNA_METHODS", "PROPOSER_METHODS", "Run", "SearchProblem", "format_table",
           "run_benchmark", "run_optuna", "run_proposer", "score_run"]

_LAZY = {"Run": "_methods", "run_optuna": "_methods", "run_proposer": "_methods", "format_table": "_search",
         "run_benchmark": "_search", "score_run": "_search", "main_search": "_search", "NB201Network": "_nb201_network"}


def __getattr__(name: str) -> object:
    if name == "SearchProblem":
        from predictnas.evaluators import SearchProblem

        return SearchProblem
    if name in _LAZY:  # NB201Network imports torch: only when asked for
        import importlib

        return getattr(importlib.import_module(f"predictnas.bench.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
