"""The ``Evaluator`` interface: measure one architecture."""

from __future__ import annotations

import abc
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from predictnas.spaces import Arch


@dataclass(frozen=True)
class EvalResult:
    """What an evaluation produced.

    Attributes:
        values: Metric name -> value (objectives and constrained metrics).
        cheap: Cheap statistics (FLOPs, params, proxies ...) to store with the trial.
        user_attrs: Anything else worth keeping (JSON-serialisable).
    """

    values: Mapping[str, float]
    cheap: Mapping[str, float] = field(default_factory=dict)
    user_attrs: Mapping[str, Any] = field(default_factory=dict)


class Evaluator(abc.ABC):
    """Measures architectures. Implement :meth:`evaluate`; raise to mark the trial failed."""

    @abc.abstractmethod
    def evaluate(self, arch: Arch) -> EvalResult | Mapping[str, float]:
        """Returns metric values for ``arch`` (an ``EvalResult`` or a plain mapping)."""

    def cheap_statistics(self, arch: Arch) -> Mapping[str, float]:
        """Statistics known without a real evaluation (default: none)."""
        return {}


class SteppedEvaluator(Evaluator):
    """An evaluation in steps (epochs of training): implement :meth:`steps`. ``optimize()`` reports
    each step's result to the study (``Study.report``) and, with a stopper, stops a hopeless trial
    between steps; without one, or called directly, :meth:`evaluate` runs every step."""

    @abc.abstractmethod
    def steps(self, arch: Arch) -> Iterator[EvalResult | Mapping[str, float]]:
        """One result per step from step 1; the last one is at the target fidelity."""

    def evaluate(self, arch: Arch) -> EvalResult:
        last = None
        for last in self.steps(arch):
            pass
        if last is None:
            raise ValueError(f"{type(self).__name__}.steps({arch!r}) yielded no result.")
        return as_result(last)


def as_result(raw: EvalResult | Mapping[str, float]) -> EvalResult:
    if isinstance(raw, EvalResult):
        return raw
    if isinstance(raw, Mapping):
        return EvalResult(values=dict(raw))
    raise TypeError(f"An evaluator must return a mapping of metric -> value or an EvalResult; got {type(raw).__name__}.")
