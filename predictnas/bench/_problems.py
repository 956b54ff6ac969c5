"""The problems of ``predictnas benchmark suite``: NAS-Bench-201 and NAS-Bench-Graph tables with
several objectives each, built from real benchmark data at run time (never shipped).

- NAS-Bench-201 problems read ``nb201_core.csv`` from the data folder (``--data-dir``, else
  ``$PREDICTNAS_DATA_DIR``, else ``../shared/benchdata``).
- NAS-Bench-Graph problems read the ``nas-bench-graph`` wheel's data (``predictnas[bench]``) and
  write their tables once into the cache folder (see :mod:`._nas_bench_graph`): ``-rows``
  problems answer only the cells the benchmark stores (other combinations fail), ``-canonical``
  ones map every combination to its stored cell with the benchmark's own rule.

Every objective is a black box to every method (FLOPs and parameters too), so all methods see
the same problem.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from predictnas.evaluators import SearchProblem
from predictnas.exceptions import InvalidSpecError


@dataclass(frozen=True)
class SuiteProblem:
    """One problem: where its table comes from and what is optimised (``COLUMN:max|min``)."""

    name: str
    objectives: tuple[str, ...]
    about: str
    dataset: str = ""  # NAS-Bench-Graph dataset; empty: NAS-Bench-201
    mode: str = ""  # NAS-Bench-Graph: "rows" or "canonical"

    @property
    def source(self) -> str:
        return "nas-bench-graph" if self.dataset else "nas-bench-201"

    def build(self, data_dir: str | Path | None = None, cache_dir: str | Path | None = None) -> SearchProblem:
        """The problem's :class:`SearchProblem` (raises ``InvalidSpecError`` naming what is missing)."""
        from predictnas.spaces import load_space

        objectives = list(self.objectives)
        if not self.dataset:
            table = Path(default_data_dir(data_dir)) / "nb201_core.csv"
            if not table.is_file():
                raise InvalidSpecError(f"{table} not found: NAS-Bench-201 problems need the benchmark tables; pass "
                                       "--data-dir or set PREDICTNAS_DATA_DIR.")
            return SearchProblem.from_args(load_space("nb201"), table, objectives, [], [])
        from predictnas.bench._nas_bench_graph import write_table

        space = load_space("nas_bench_graph")
        table = write_table(space, self.dataset, self.mode, default_cache_dir(cache_dir))
        return SearchProblem.from_args(space, table, objectives, [], [])


def default_data_dir(given: str | Path | None = None) -> str:
    return str(given or os.environ.get("PREDICTNAS_DATA_DIR") or Path("..") / "shared" / "benchdata")


def default_cache_dir(given: str | Path | None = None) -> str:
    return str(given or os.environ.get("PREDICTNAS_CACHE_DIR") or Path.home() / ".cache" / "predictnas")


def _nb201(name: str, about: str, *objectives: str) -> SuiteProblem:
    return SuiteProblem(name, objectives, about)


def _graph(dataset: str, cost: str, mode: str) -> SuiteProblem:
    column = {"latency": "latency_ms:min", "params": "params_m:min"}[cost]
    how = ("a combination the benchmark does not store fails" if mode == "rows"
           else "every combination answered by its stored cell")
    return SuiteProblem(f"nbg-{dataset}-{cost}-{mode}", ("test_acc:max", column),
                        f"NAS-Bench-Graph {dataset}: test accuracy vs {cost}; {how}", dataset, mode)


PROBLEMS: dict[str, SuiteProblem] = {p.name: p for p in [
    _nb201("nb201-c10-flops", "NAS-Bench-201 CIFAR-10: test accuracy vs FLOPs", "cifar10_test_acc:max", "cifar10_flops_m:min"),
    _nb201("nb201-c100-pixel3", "NAS-Bench-201 CIFAR-100: test accuracy vs Pixel 3 latency (HW-NAS-Bench, CIFAR-10 network)",
           "cifar100_test_acc:max", "cifar10_pixel3_latency:min"),
    _nb201("nb201-c10-2080ti-silver4114", "NAS-Bench-201 CIFAR-10: test accuracy vs HELP latencies on an RTX 2080 Ti "
           "(batch 32) and a Xeon Silver 4114", "cifar10_test_acc:max", "help_2080ti_32_latency:min",
           "help_silver_4114_latency:min"),
    _nb201("nb201-c100-params-fpga", "NAS-Bench-201 CIFAR-100: test accuracy vs parameters vs FPGA latency",
           "cifar100_test_acc:max", "cifar100_params_m:min", "cifar10_fpga_latency:min"),
    _nb201("nb201-c10-flops-raspi4-eyeriss", "NAS-Bench-201 CIFAR-10: test accuracy vs FLOPs vs Raspberry Pi 4 and "
           "Eyeriss latencies (4 objectives)", "cifar10_test_acc:max", "cifar10_flops_m:min", "cifar10_raspi4_latency:min",
           "cifar10_eyeriss_latency:min"),
    _nb201("nb201-c10-acc", "NAS-Bench-201 CIFAR-10: test accuracy alone", "cifar10_test_acc:max"),
    *[_graph(d, c, m) for d in ("citeseer", "pubmed", "photo") for c in ("latency", "params") for m in ("rows", "canonical")],
]}
