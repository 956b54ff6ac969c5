"""Benchmarks: ``predictnas benchmark search`` (a user's own table) and ``predictnas benchmark suite``
(the public problem suite).

Names are loaded on first use, so that listing the method names (:data:`METHODS`) imports nothing.
"""

from __future__ import annotations

from predictnas.bench._names import METHODS, OPTUNA_METHODS, PEER_METHODS, PROPOSER_METHODS, SUITE_METHODS

__all__ = ["METHODS", "NB201Network", "OPTUNA_METHODS", "PEER_METHODS", "PROBLEMS", "PROPOSER_METHODS", "Run",
           "SUITE_METHODS", "SearchProblem", "format_suite", "format_table", "run_benchmark", "run_method", "run_optuna",
           "run_proposer", "run_suite", "score_run"]

_LAZY = {"Run": "_methods", "run_optuna": "_methods", "run_proposer": "_methods", "format_table": "_search",
         "run_benchmark": "_search", "score_run": "_search", "main_search": "_search", "NB201Network": "_nb201_network",
         "run_method": "_dispatch", "run_suite": "_suite", "format_suite": "_suite", "main_suite": "_suite",
         "PROBLEMS": "_problems"}


def __getattr__(name: str) -> object:
    if name == "SearchProblem":
        from predictnas.evaluators import SearchProblem

        return SearchProblem
    if name in _LAZY:  # NB201Network imports torch: only when asked for
        import importlib

        return getattr(importlib.import_module(f"predictnas.bench.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
