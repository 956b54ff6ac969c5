"""The ``Evaluator`` interface: measure one architecture."""

from __future__ import annotations

import abc
from collections.abc import Mapping
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


def as_result(raw: EvalResult | Mapping[str, float]) -> EvalResult:
    if isinstance(raw, EvalResult):
        return raw
    if isinstance(raw, Mapping):
        return EvalResult(values=dict(raw))
    raise TypeError(f"An evaluator must return a mapping of metric -> value or an EvalResult; got {type(raw).__name__}.")
