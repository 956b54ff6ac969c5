"""Replaying a multi-fidelity table: learning curves measured once, evaluated in simulated time.

The table is what ``benchmarks/mnist1d_table.py`` writes: ``subnets.csv`` (one row per
architecture: its parameters, ``subnet`` id and static columns such as ``macs_m``) and
``curves.csv`` (``subnet, seed, epoch, val_acc, val_loss, seconds``). A search over it runs in
seconds, and every epoch it consumes costs the seconds that epoch took when it was measured.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from predictnas.evaluators._base import EvalResult, SteppedEvaluator
from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import Arch, SearchSpace, load_space, restrict


class CurveTable:
    """Learning curves and static columns per architecture; :attr:`space` holds exactly its rows.

    Args:
        base: The space the rows belong to.
        rows: ``subnets.csv`` rows (parameter columns, ``subnet``, static columns).
        curves: ``curves.csv`` rows.
    """

    def __init__(self, base: SearchSpace, rows: Sequence[Mapping[str, str]], curves: Sequence[Mapping[str, str]]) -> None:
        archs = [base.make_arch({p: r[p] for p in base.param_names if r.get(p, "") != ""}) for r in rows]
        self.space = restrict(base, archs)
        self._row = {self.space.canonical_key(a): dict(r) for a, r in zip(archs, rows)}
        by_id: dict[str, dict[str, dict[int, tuple[float, float]]]] = {}
        for c in curves:
            by_id.setdefault(c["subnet"], {}).setdefault(c["seed"], {})[int(c["epoch"])] = (float(c["val_acc"]), float(c["seconds"]))
        self.epochs = min(len(epochs) for seeds in by_id.values() for epochs in seeds.values()) if by_id else 0
        self._curve: dict[str, np.ndarray] = {}  # key -> (seeds, epochs, 2): accuracy, seconds
        for key, row in self._row.items():
            seeds = by_id.get(row["subnet"], {})
            if not seeds or any(sorted(e) != list(range(1, self.epochs + 1)) for e in seeds.values()):
                raise InvalidSpecError(f"curves.csv: subnet {row['subnet']} has no complete curve of {self.epochs} epochs.")
            self._curve[key] = np.array([[seeds[s][e] for e in range(1, self.epochs + 1)] for s in sorted(seeds)])

    @classmethod
    def from_dir(cls, folder: str | Path, space: SearchSpace | str | None = None) -> CurveTable:
        """Reads ``subnets.csv`` and ``curves.csv`` from ``folder``, in ``space`` (default: the
        ``space.toml`` the table was measured in, when the folder has one, else ``mnist1d_cnn``)."""
        folder = Path(folder)
        if space is None:
            space = str(folder / "space.toml") if (folder / "space.toml").is_file() else "mnist1d_cnn"
        base = load_space(space) if isinstance(space, str) else space
        try:
            with open(folder / "subnets.csv", newline="") as f:
                rows = list(csv.DictReader(f))
            with open(folder / "curves.csv", newline="") as f:
                curves = list(csv.DictReader(f))
        except OSError as exc:
            raise InvalidSpecError(f"{folder}: not a curve table ({exc.strerror}: {exc.filename}); make one with "
                                   "benchmarks/mnist1d_table.py.") from None
        try:
            return cls(base, rows, curves)
        except (KeyError, ValueError) as exc:  # a missing column or a value that is not a number
            raise InvalidSpecError(f"{folder}: not a curve table of {base.name!r} ({type(exc).__name__}: {exc}); "
                                   "columns: the space's parameters, subnet, ... and subnet, seed, epoch, val_acc, "
                                   "seconds.") from None

    def row(self, arch: Arch) -> dict[str, str]:
        """The ``subnets.csv`` row of ``arch``."""
        return self._row[self.space.canonical_key(arch)]

    def curve(self, arch: Arch, seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(accuracy, seconds)``, each ``(epochs,)``: of one ``seed``, or the mean over seeds."""
        c = self._curve[self.space.canonical_key(arch)]
        c = c.mean(axis=0) if seed is None else c[seed]
        return c[:, 0], c[:, 1]


class CurveReplayEvaluator(SteppedEvaluator):
    """Replays :class:`CurveTable` curves epoch by epoch in simulated time.

    Each step yields ``{"acc": validation accuracy at that epoch}`` plus the ``static`` columns
    (e.g. ``{"macs": "macs_m"}``), and adds the seconds that epoch took to :attr:`spent_s`; a
    trial stopped early costs only the epochs it ran. ``cheap`` columns are cheap statistics.

    Args:
        table: The table.
        static: Metric name -> ``subnets.csv`` column, known before training (e.g. MACs).
        cheap: Columns given as cheap statistics (e.g. ``["macs_m", "synflow"]``).
        seed: Replay one seed's curve, or ``None`` for the mean over seeds.
    """

    def __init__(self, table: CurveTable, *, static: Mapping[str, str] | None = None, cheap: Sequence[str] = (),
                 seed: int | None = None) -> None:
        self.table, self.static, self.cheap, self.seed = table, dict(static or {}), tuple(cheap), seed
        self.spent_s = 0.0

    def steps(self, arch: Arch) -> Iterator[EvalResult]:
        acc, seconds = self.table.curve(arch, self.seed)
        row = self.table.row(arch)
        static = {name: float(row[column]) for name, column in self.static.items()}
        for epoch in range(len(acc)):
            self.spent_s += float(seconds[epoch])
            yield EvalResult({"acc": float(acc[epoch]), **static}, user_attrs={"epoch_seconds": float(seconds[epoch])})

    def cheap_statistics(self, arch: Arch) -> Mapping[str, float]:
        row = self.table.row(arch)
        return {c: float(row[c]) for c in self.cheap}
