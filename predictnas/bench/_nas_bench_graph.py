"""NAS-Bench-Graph tables for the benchmark suite, read from the ``nas-bench-graph`` wheel's data.

The wheel (``pip install 'predictnas[bench]'``) ships one pickled dict per dataset
(``nas_bench_graph/light/<dataset>.bench``): the benchmark's hash of a canonical cell -> its
validation and test accuracy, latency (seconds) and parameters (millions). It is read with an
unpickler that accepts plain containers and numpy scalars only, so reading it runs no code.

A table written here has one row per architecture of the ``nas_bench_graph`` space (59,040
combinations of the 9 link patterns and 9 ops, the all-skip cell excluded). The two ways of
answering a combination that has no row of its own (the benchmark stores only non-isomorphic
cells, each in one canonical form):

- ``canonical``: the benchmark's own mapping (``Arch.valid_hash``) answers every combination;
- ``rows``: only a cell stored as it is answers; every other combination has empty values, so
  evaluating it fails (a search must find the stored forms).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import os
import pickle
from pathlib import Path
from typing import Any

from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import SearchSpace

DATASETS = ("cora", "citeseer", "pubmed", "cs", "physics", "photo", "computers", "arxiv")
MODES = ("rows", "canonical")
COLUMNS = ("test_acc", "valid_acc", "latency_ms", "params_m")
_INSTALL = "install it with `pip install 'predictnas[bench]'` (or `pip install nas-bench-graph==1.4.0`)"


class _DataUnpickler(pickle.Unpickler):
    """Plain containers and numpy scalars/dtypes only: anything else is refused, never imported."""

    _ALLOWED = {("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"), ("numpy", "dtype")}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing {module}.{name}: the benchmark data holds plain values only")
        import numpy

        if name == "dtype":
            return numpy.dtype
        try:
            from numpy._core.multiarray import scalar  # numpy >= 2
        except ImportError:  # pragma: no cover - numpy 1.x
            from numpy.core.multiarray import scalar
        return scalar


def package_dir() -> Path:
    """Folder of the installed ``nas_bench_graph`` package (found, not imported)."""
    spec = importlib.util.find_spec("nas_bench_graph")
    if spec is None or not spec.submodule_search_locations:
        raise InvalidSpecError(f"NAS-Bench-Graph problems need the nas-bench-graph package: {_INSTALL}.")
    return Path(next(iter(spec.submodule_search_locations)))


def read_bench(dataset: str) -> dict[int, dict[str, float]]:
    """The benchmark's rows of ``dataset``: hash -> ``{"perf", "valid_perf", "latency", "para"}``."""
    if dataset not in DATASETS:
        raise InvalidSpecError(f"Unknown NAS-Bench-Graph dataset {dataset!r}; choose from {list(DATASETS)}.")
    path = package_dir() / "light" / f"{dataset}.bench"
    if not path.is_file():
        raise InvalidSpecError(f"{path} is missing: reinstall nas-bench-graph ({_INSTALL}).")
    raw = _DataUnpickler(io.BytesIO(path.read_bytes())).load()
    return {int(k): {name: float(v) for name, v in row.items()} for k, row in raw.items()}


def write_table(space: SearchSpace, dataset: str, mode: str, folder: str | Path) -> Path:
    """Writes (once) and returns ``folder/nas_bench_graph_<dataset>_<mode>.csv``: the space's
    parameters, then ``test_acc`` and ``valid_acc`` (%), ``latency_ms`` and ``params_m``."""
    if mode not in MODES:
        raise InvalidSpecError(f"Unknown NAS-Bench-Graph mode {mode!r}; choose from {list(MODES)}.")
    path = Path(folder) / f"nas_bench_graph_{dataset}_{mode}.csv"
    if path.is_file():
        return path
    from nas_bench_graph.architecture import Arch as GraphArch  # the benchmark's own canonical mapping

    bench = read_bench(dataset)
    names = list(space.param_names)
    links = [f"in_{k}" for k in range(1, 5)]
    ops = [f"op_{k}" for k in range(1, 5)]
    if sorted(names) != sorted(links + ops):
        raise InvalidSpecError(f"Space {space.name!r} is not the nas_bench_graph space (parameters {names}).")
    Path(folder).mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([*names, *COLUMNS])
        for arch in space.enumerate():
            cell = GraphArch([int(arch[p]) for p in links], [str(arch[p]) for p in ops])
            key = cell.valid_hash()
            if mode == "rows" and cell.hash_arch() != key:
                key = -1  # not stored in this form
            row = bench.get(key)
            values = ["", "", "", ""] if row is None else [
                repr(100 * row["perf"]), repr(100 * row["valid_perf"]), repr(1000 * row["latency"]), repr(row["para"])]
            writer.writerow([arch[p] for p in names] + values)
    tmp.replace(path)
    return path
