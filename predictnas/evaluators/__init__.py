"""Evaluators: measure architectures (a Python function, a CSV table, ...)."""

from predictnas.evaluators._base import EvalResult, Evaluator
from predictnas.evaluators._function import FunctionEvaluator
from predictnas.evaluators._table import TableEvaluator

__all__ = ["EvalResult", "Evaluator", "FunctionEvaluator", "TableEvaluator"]
