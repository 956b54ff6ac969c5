"""``FunctionEvaluator``: a plain Python callable as an evaluator."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from predictnas.evaluators._base import EvalResult, Evaluator, as_result
from predictnas.spaces import Arch


class FunctionEvaluator(Evaluator):
    """Wraps ``fn(arch) -> {metric: value}`` (or an ``EvalResult``).

    Args:
        fn: The callable; exceptions it raises mark the trial failed.
    """

    def __init__(self, fn: Callable[[Arch], EvalResult | Mapping[str, float]]) -> None:
        if not callable(fn):
            raise TypeError(f"FunctionEvaluator needs a callable; got {type(fn).__name__}.")
        self.fn = fn

    def evaluate(self, arch: Arch) -> EvalResult:
        return as_result(self.fn(arch))
