"""``check_evaluator``: finite values for the metrics, cheap statistics, and picklable for workers."""

from __future__ import annotations

import pickle
from collections.abc import Sequence

import numpy as np

from predictnas.evaluators import EvalResult, Evaluator
from predictnas.spaces import SearchSpace, load_space


def check_evaluator(evaluator: Evaluator, space: SearchSpace | str, metrics: Sequence[str], *, n: int = 3,
                    processes: bool = True) -> None:
    """Checks an :class:`~predictnas.evaluators.Evaluator` on ``n`` random architectures of ``space``:

    1. ``evaluate(arch)`` returns an ``EvalResult`` holding every name in ``metrics`` as a finite
       real number (what a study's objectives and constraints need);
    2. ``cheap_statistics(arch)`` returns a mapping of names to real numbers;
    3. with ``processes`` (local worker processes), the evaluator pickles.
    """
    space = load_space(space) if isinstance(space, str) else space
    name = type(evaluator).__name__
    assert isinstance(evaluator, Evaluator), f"{name} is not a predictnas.evaluators.Evaluator (wrap a function in FunctionEvaluator)."
    for arch in space.sample(n, rng=np.random.default_rng(0)):
        result = evaluator.evaluate(arch)
        assert isinstance(result, EvalResult), f"{name}.evaluate must return an EvalResult; got {type(result).__name__}."
        missing = [m for m in metrics if m not in result.values]
        assert not missing, f"{name}.evaluate returned {sorted(result.values)}, without {missing}."
        bad = {m: result.values[m] for m in metrics if not np.isfinite(float(result.values[m]))}
        assert not bad, f"{name}.evaluate returned values that are not finite: {bad}."
        cheap = evaluator.cheap_statistics(arch)
        assert hasattr(cheap, "items") and all(np.isfinite(float(v)) for v in cheap.values()), (
            f"{name}.cheap_statistics must return {{name: real number}}; got {cheap!r:.200}.")
    if processes:
        try:
            pickle.dumps(evaluator)
        except Exception as exc:
            raise AssertionError(f"{name} does not pickle ({type(exc).__name__}: {exc}); local worker processes need it "
                                 "(define it at module level), or check it with processes=False.") from None
