"""``TableEvaluator``: look architectures up in a CSV benchmark table."""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from pathlib import Path

from predictnas.evaluators._base import EvalResult, Evaluator
from predictnas.exceptions import EvaluationError, InvalidArchitectureError, InvalidSpecError
from predictnas.spaces import Arch, SearchSpace


class TableEvaluator(Evaluator):
    """Answers from a CSV with one column per space parameter plus metric columns.

    Rows are matched by parameter values first, then by canonical key, so a table that stores one
    row per functionally distinct architecture answers every equivalent one. An architecture
    missing from the table, or a missing/NaN value, raises ``EvaluationError`` (the trial fails).

    Args:
        path: The CSV file.
        space: The search space whose parameters name the columns.
        metrics: Metric name -> column (e.g. ``{"acc": "cifar10_test_acc"}``); a list means
            identical names.
        cheap: Cheap statistics (FLOPs, params, proxies) returned with each result and by
            :meth:`cheap_statistics`, i.e. known before evaluation: column names, or metric names
            (keys of ``metrics``) for metrics that cost nothing, such as a FLOPs objective.
        arch_column: Optional column holding the architecture string (used instead of parameter
            columns, e.g. NAS-Bench-201's ``arch_str``).
    """

    def __init__(
        self,
        path: str | Path,
        space: SearchSpace,
        metrics: Mapping[str, str] | Sequence[str],
        *,
        cheap: Sequence[str] = (),
        arch_column: str | None = None,
    ) -> None:
        self.path = Path(path)
        self.space = space
        self.metrics = dict(metrics) if isinstance(metrics, Mapping) else {m: m for m in metrics}
        self.cheap = tuple(cheap)
        self.arch_column = arch_column
        self._load()

    def _load(self) -> None:
        if not self.path.is_file():
            raise InvalidSpecError(f"Table {str(self.path)!r} does not exist; check the path (or the data-dir setting).")
        with open(self.path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            columns = list(reader.fieldnames or [])
            needed = ([self.arch_column] if self.arch_column else list(self.space.param_names)) + list(
                self.metrics.values()
            ) + [self.metrics.get(c, c) for c in self.cheap]
            missing = [c for c in needed if c not in columns]
            if missing:
                raise InvalidSpecError(
                    f"Table {str(self.path)!r} has no column(s) {missing}; its columns are {columns}."
                )
            self.rows: list[dict[str, str]] = list(reader)
        self.by_arch: dict[Arch, int] = {}
        self.by_key: dict[str, int] = {}
        self.archs: list[Arch] = []
        for i, row in enumerate(self.rows):
            try:
                if self.arch_column:
                    arch = self.space.from_string(row[self.arch_column])
                else:
                    arch = self.space.make_arch({p: row[p] for p in self.space.param_names})
            except InvalidArchitectureError as exc:
                raise InvalidSpecError(f"Table {str(self.path)!r}, row {i + 2}: {exc}") from None
            self.archs.append(arch)
            self.by_arch.setdefault(arch, i)
            self.by_key.setdefault(self.space.canonical_key(arch), i)

    def row_index(self, arch: Arch) -> int:
        """Index of the row answering ``arch``; raises ``EvaluationError`` if none does."""
        i = self.by_arch.get(arch)
        if i is None:
            i = self.by_key.get(self.space.canonical_key(arch))
        if i is None:
            raise EvaluationError(
                f"{self.space.to_string(arch)} is not in table {self.path.name} "
                "(neither its parameters nor its canonical key match a row)."
            )
        return i

    def _numbers(self, i: int, columns: Mapping[str, str]) -> dict[str, float]:
        out = {}
        for name, col in columns.items():
            text = self.rows[i][col]
            try:
                value = float(text)
            except (TypeError, ValueError):
                value = math.nan
            if not math.isfinite(value):
                raise EvaluationError(f"Table {self.path.name}, row {i + 2}: column {col!r} is {text!r}, not a number.")
            out[name] = value
        return out

    def evaluate(self, arch: Arch) -> EvalResult:
        i = self.row_index(arch)
        return EvalResult(values=self._numbers(i, self.metrics), cheap=self.cheap_statistics(arch), user_attrs={"table_row": i})

    def cheap_statistics(self, arch: Arch) -> dict[str, float]:
        if not self.cheap:
            return {}
        return self._numbers(self.row_index(arch), {c: self.metrics.get(c, c) for c in self.cheap})
