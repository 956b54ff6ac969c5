"""Warm starts: earlier studies on the same space inform a new study's surrogate.

``create_study(..., warm_start=["c10.db", {"path": "c10.db", "map": {"latency": "flops"}}])``: each
source is an earlier study file; its completed trials are copied into the new study's definition
(with the source's path and a content hash), so the new study file is self-contained and resumes
exactly even if the source moves or grows. Objectives are mapped by name unless ``map`` says
otherwise (new objective -> earlier metric).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import SearchSpace
from predictnas.types import Objective, PriorStudy, TrialState


def warm_start_records(sources: Sequence[str | Path | Mapping[str, Any]], space: SearchSpace,
                       objectives: Sequence[Objective], *, open_study: Callable[[Path], Any]) -> list[dict[str, Any]]:
    """The ``warm_start`` entries of a new study's definition, read and checked from ``sources``
    (each opened read-only by ``open_study``, e.g. ``load_study(path, readonly=True)``).

    Raises:
        InvalidSpecError: a source that is not a readable study file, searches another space
            (the specs differ), or has none of the (mapped) metrics.
    """
    records = []
    for i, source in enumerate(sources):
        spec = {"path": source} if isinstance(source, (str, Path)) else dict(source)
        unknown = sorted(set(spec) - {"path", "map"})
        if unknown or "path" not in spec:
            raise InvalidSpecError(f"warm_start[{i}]: give a study file path or {{path = ..., map = {{new = \"old\"}}}}; "
                                   f"got {source!r}.")
        path = Path(spec["path"])
        earlier = open_study(path)  # a missing or damaged file: one clear error
        try:
            if earlier.space.spec != space.spec:
                raise InvalidSpecError(f"warm_start[{i}]: {path} searches space {earlier.space.name!r}, not this study's "
                                       f"{space.name!r} (their specs differ); warm starts need the same space.")
            mapping = {o.name: o.name for o in objectives} | dict(spec.get("map") or {})
            names = set(earlier.metric_names)
            used = {new: old for new, old in mapping.items() if old in names and new in {o.name for o in objectives}}
            bad = sorted(set(spec.get("map") or {}) - set(used))
            if bad or not used:
                raise InvalidSpecError(f"warm_start[{i}]: {path} records metrics {sorted(names)}; the map "
                                       f"{spec.get('map') or 'by name'} finds none for {bad or [o.name for o in objectives]}.")
            trials = [{"params": t.arch.to_dict(), "values": {new: t.values[old] for new, old in used.items()}}
                      for t in earlier.trials if t.state is TrialState.COMPLETE and t.cache_of is None]
        finally:
            earlier.close()
        if not trials:
            raise InvalidSpecError(f"warm_start[{i}]: {path} has no completed trials.")
        digest = hashlib.sha256(json.dumps(trials, sort_keys=True).encode()).hexdigest()
        records.append({"path": str(path), "name": earlier.name, "sha256": digest, "map": used, "trials": trials})
    return records


def prior_studies(records: Sequence[Mapping[str, Any]], space: SearchSpace) -> tuple[PriorStudy, ...]:
    """The warm-start records of a definition as proposer input."""
    out = []
    for r in records:
        archs = tuple(space.make_arch(t["params"]) for t in r["trials"])
        values = {new: np.array([t["values"][new] for t in r["trials"]], dtype=np.float64) for new in r["map"]}
        out.append(PriorStudy(f"{r['name']} ({r['path']})", archs, values))
    return tuple(out)
