"""How good a result is, when the study's evaluator is a table whose every row is known: the HV
ratio and front recall against the table's true Pareto front (the benchmark's own measures)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from predictnas.exceptions import PredictNASError
from predictnas.types import TrialState

if TYPE_CHECKING:
    from predictnas.study import Study


@dataclass(frozen=True)
class TableReference:
    """The study measured against its table.

    Attributes:
        hv_ratio: Hypervolume of the evaluated rows over that of the table's true front
            (objectives min-max normalised over the whole table, reference point 1.1).
        front_recall: Share of the true front's rows that were evaluated.
        front_rows: Rows on the table's true front.
        cap: The HV ratio reached by evaluating every functionally distinct architecture once
            (``None`` when the space is too large to enumerate).
    """

    hv_ratio: float
    front_recall: float
    front_rows: int
    cap: float | None

    def describe(self) -> str:
        cap = f"; one evaluation per distinct architecture reaches {self.cap:.4f}" if self.cap is not None else ""
        return (f"HV ratio {self.hv_ratio:.4f} of the table's true front ({self.front_rows} rows), "
                f"front recall {self.front_recall:.0%}{cap}")


def table_reference(study: Study) -> TableReference | None:
    """The study against its table, or ``None`` when its evaluator is not a table (or the table
    is not where the study file says)."""
    from predictnas.evaluators import SearchProblem

    config = study.definition.get("evaluator") or {}
    if config.get("type") != "table" or not Path(config.get("path", "")).is_file():
        return None
    metrics = config["metrics"] if isinstance(config["metrics"], dict) else {m: m for m in config["metrics"]}
    try:
        objectives = [f"{metrics[o.name]}:{'max' if o.direction == 'maximize' else 'min'}" for o in study.objectives]
        constraints = [f"{metrics.get(c.metric, c.metric)} {c.op} {c.bound!r}" for c in study.constraints]
        problem = SearchProblem.from_args(study.space, config["path"], objectives, [], constraints)
        rows = [problem.table.row_index(t.arch) for t in study.trials if t.state is TrialState.COMPLETE and t.cache_of is None]
    except (KeyError, PredictNASError):
        return None
    return TableReference(problem.hv_ratio(rows), problem.front_recall(rows), len(problem.front_rows), problem.one_per_class_cap())
