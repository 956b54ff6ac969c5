"""Evaluators: measure architectures (a Python function, a CSV table, ...)."""

from predictnas.evaluators._base import EvalResult, Evaluator, SteppedEvaluator, as_result
from predictnas.evaluators._curves import CurveReplayEvaluator, CurveTable
from predictnas.evaluators._function import FunctionEvaluator
from predictnas.evaluators._problem import SearchProblem, failing_rows
from predictnas.evaluators._registry import EVALUATORS, EvaluatorType, build_evaluator, read_evaluator
from predictnas.evaluators._table import TableEvaluator

__all__ = ["EVALUATORS", "CurveReplayEvaluator", "CurveTable", "EvalResult", "Evaluator", "EvaluatorType", "FunctionEvaluator", "SearchProblem", "SteppedEvaluator", "TableEvaluator",
           "as_result", "build_evaluator", "failing_rows", "read_evaluator"]
