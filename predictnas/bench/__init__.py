"""Benchmarks users run on their own tables: ``predictnas benchmark search``."""

from predictnas.bench._methods import Run, run_optuna, run_proposer
from predictnas.bench._problem import SearchProblem
from predictnas.bench._search import METHODS, format_table, run_benchmark, score_run

__all__ = ["METHODS", "Run", "SearchProblem", "format_table", "run_benchmark", "run_optuna", "run_proposer", "score_run"]
