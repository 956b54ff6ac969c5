"""The ``Stopper`` interface."""

from __future__ import annotations

import abc
from collections.abc import Mapping, Sequence
from typing import ClassVar

from predictnas.types import Objective


class Stopper(abc.ABC):
    """Decides whether a running trial stops early. Implement :meth:`should_stop`.

    It must be a pure function of its arguments (the study passes only what was recorded before
    the trial's report, in the study file's order), so a resumed study decides exactly as an
    uninterrupted one would. Keep constructor options as same-named attributes (the study file
    records them to rebuild the stopper).

    A stopper that sets ``uses_curves = True`` also gets ``curves``: per complete trial whose
    curve was recorded before the report, ``(its values at the step, its final values)``; one that
    also sets ``uses_features = True`` gets ``features`` ``(d,)`` and ``curve_features``
    ``(len(curves), d)``: the tabular features of the trial's and the curves' architectures.
    """

    uses_curves: ClassVar[bool] = False
    uses_features: ClassVar[bool] = False

    @abc.abstractmethod
    def should_stop(self, step: int, values: Mapping[str, float], peers: Sequence[Mapping[str, float]],
                    objectives: Sequence[Objective]) -> bool:
        """Whether a trial that reported ``values`` at ``step`` stops now.

        Args:
            step: The step (e.g. epoch) of the report, from 1.
            values: What the trial reported at ``step``.
            peers: What the other trials reported at the same ``step`` before it (log order).
            objectives: The study's objectives (names and directions).
        """
