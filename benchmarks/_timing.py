"""Shared by ask_speed.py and scale.py: studies with many observations of synthetic objectives,
and the time of each ask split into the proposer's phases."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

import predictnas as pn
from predictnas.encoders import make_encoder


def synthetic_objectives(space: pn.SearchSpace, m: int, seed: int = 0) -> Any:
    """``f(archs) -> (n, m)``: a fixed random linear-plus-interaction model of the one-hot features."""
    enc = make_encoder("onehot").fit(space)
    d = enc.transform(space.sample(1, rng=np.random.default_rng(0))).shape[1]
    rng = np.random.default_rng(seed)
    W, V = rng.normal(size=(d, m)), rng.normal(size=(d, m)) / np.sqrt(d)

    def f(archs: list[pn.Arch]) -> np.ndarray:
        X = enc.transform(archs)
        return X @ W + np.sin(X @ V) * 3

    return f


def observed_study(space_name: str, m: int, n_obs: int, *, seed: int = 0, **options: Any) -> tuple[pn.Study, Any, list[str]]:
    """An in-memory default-proposer study holding ``n_obs`` distinct random observations."""
    space = pn.load_space(space_name)
    f = synthetic_objectives(space, m)
    names = [f"y{i}" for i in range(m)]
    study = pn.create_study(space=space, objectives={n: "maximize" for n in names}, seed=seed, proposer_options=options)
    trials = study.ask(archs=space.sample(n_obs, rng=np.random.default_rng(seed + 1), unique=True))
    for t, y in zip(trials, f([t.arch for t in trials])):
        study.tell(t, dict(zip(names, y.tolist())))
    return study, f, names


def time_asks(study: pn.Study, f: Any, names: list[str], *, repeats: int, q: int = 8) -> dict[str, Any]:
    """Times ``repeats`` asks of ``q`` after one warm-up ask (imports, one-off compiles), telling
    each batch before the next; returns the median and the per-phase split of each ask."""
    rows = []
    for i in range(repeats + 1):
        started = time.perf_counter()
        trials = study.ask(q)
        seconds = time.perf_counter() - started
        step = study.proposals[-1]
        rows.append({"seconds": seconds, "phases": dict(step.get("phase_seconds", {})), "model": step.get("model"),
                     "acquisition": step.get("acquisition"),
                     "pool": step.get("pool"), "n_complete": sum(t.state.value == "complete" for t in study.trials)})
        for t, y in zip(trials, f([t.arch for t in trials])):
            if t.state.value == "running":
                study.tell(t, dict(zip(names, y.tolist())))
    warm = rows[1:]
    phases = sorted({k for r in warm for k in r["phases"]})
    return {"first_ask_s": rows[0]["seconds"], "median_s": float(np.median([r["seconds"] for r in warm])),
            "phase_median_s": {k: float(np.median([r["phases"].get(k, 0.0) for r in warm])) for k in phases},
            "model": warm[-1]["model"], "acquisition": "/".join(sorted({str(r["acquisition"]) for r in warm})), "pool_min": min(r["pool"] or 0 for r in warm), "asks": warm}
