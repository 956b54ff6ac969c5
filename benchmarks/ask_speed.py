"""Overhead of one ``ask(8)`` of the default proposer with 200 observations.

Study on a large space (default ``ofa_mbv3``: the pool is generated, >= 10,000 candidates) with
synthetic objectives from a fixed random linear-plus-interaction model of the tabular features
(2 or 3 objectives). Each repeat tells 8 more observations, so hyperparameter refits happen on
the documented schedule; the table splits asks with and without a refit. The stock botorch
baseline (``optimize_acqf_discrete`` with qLogNEHVI, q=8, over 5,000 candidates, same model) is
timed in the same process.

    python benchmarks/ask_speed.py --out results.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

import predictnas as pn
from predictnas.encoders import make_encoder
from predictnas.proposers import BayesOptProposer
from predictnas.proposers._bo import refit_schedule


def synthetic_objectives(space: pn.SearchSpace, m: int, seed: int = 0):
    enc = make_encoder("tabular").fit(space)
    d = enc.transform(space.sample(1, rng=np.random.default_rng(0))).shape[1]
    rng = np.random.default_rng(seed)
    W, V = rng.normal(size=(d, m)), rng.normal(size=(d, m)) / np.sqrt(d)

    def f(archs):
        X = enc.transform(archs)
        return X @ W + np.sin(X @ V) * 3

    return f


def measure(space_name: str, m: int, n_obs: int, repeats: int, q: int) -> dict:
    space = pn.load_space(space_name)
    f = synthetic_objectives(space, m)
    names = [f"y{i}" for i in range(m)]
    study = pn.create_study(space=space, objectives={n: "maximize" for n in names}, proposer="bo", seed=0)
    proposer = study.proposer
    assert isinstance(proposer, BayesOptProposer)
    initial = study.ask(archs=space.sample(n_obs, rng=np.random.default_rng(1), unique=True))
    for t, y in zip(initial, f([t.arch for t in initial])):
        study.tell(t, dict(zip(names, y.tolist())))
    rows, last_fit = [], None
    for _ in range(repeats + 1):  # the first ask pays one-off costs (imports, kernel compile)
        n_complete = sum(t.state.value == "complete" for t in study.trials)
        n_fit = refit_schedule(n_complete, proposer.refit_growth)
        refit, last_fit = n_fit != last_fit, n_fit
        started = time.perf_counter()
        trials = study.ask(q)
        seconds = time.perf_counter() - started
        rows.append({"n_complete": n_complete, "seconds": seconds, "refit": refit, "pool": proposer.last_pool_size})
        for t, y in zip(trials, f([t.arch for t in trials])):
            study.tell(t, dict(zip(names, y.tolist())))
    warm = rows[1:]
    steady = [r["seconds"] for r in warm if not r["refit"]]
    refits = [r["seconds"] for r in warm if r["refit"]]
    return {"space": space_name, "objectives": m, "n_obs": n_obs, "q": q, "first_ask_s": rows[0]["seconds"],
            "median_s": float(np.median([r["seconds"] for r in warm])),
            "median_without_refit_s": float(np.median(steady)) if steady else None,
            "median_with_refit_s": float(np.median(refits)) if refits else None,
            "pool_min": min(r["pool"] for r in warm), "asks": warm}


def stock_botorch(n_obs: int = 200, n_cand: int = 5000, q: int = 8) -> float:
    """optimize_acqf_discrete + qLogNEHVI (q=8, 128 MC samples by default) on the same kind of model."""
    import torch
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
    from botorch.optim import optimize_acqf_discrete

    from predictnas.surrogates import GPSurrogate

    space = pn.load_space("ofa_mbv3")
    f = synthetic_objectives(space, 2)
    enc = make_encoder("tabular").fit(space)
    archs = space.sample(n_obs + n_cand, rng=np.random.default_rng(2), unique=True)
    X, Y = enc.transform(archs), f(archs)
    gp = GPSurrogate().fit(X[:n_obs], Y[:n_obs])
    ref = torch.as_tensor(Y[:n_obs].min(0) - 0.1 * np.ptp(Y[:n_obs], axis=0))
    started = time.perf_counter()
    acq = qLogNoisyExpectedHypervolumeImprovement(model=gp.model, ref_point=ref, X_baseline=gp.transform_inputs(X[:n_obs]),
                                                  prune_baseline=True)
    optimize_acqf_discrete(acq, q=q, choices=gp.transform_inputs(X[n_obs:]))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--space", default="ofa_mbv3")
    parser.add_argument("--obs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-baseline", action="store_true", help="skip the stock botorch timing")
    parser.add_argument("--out", help="JSON results")
    args = parser.parse_args()
    results = [measure(args.space, m, args.obs, args.repeats, 8) for m in (2, 3)]
    baseline = None if args.no_baseline else stock_botorch()
    print("| objectives | observations | pool (min) | median ask(8) s | without refit | with refit | first ask |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        fmt = lambda v: f"{v:.2f}" if v is not None else "-"  # noqa: E731
        print(f"| {r['objectives']} | {r['n_obs']} | {r['pool_min']} | {r['median_s']:.2f} | {fmt(r['median_without_refit_s'])} "
              f"| {fmt(r['median_with_refit_s'])} | {r['first_ask_s']:.2f} |")
    if baseline is not None:
        print(f"stock botorch optimize_acqf_discrete, qLogNEHVI, q=8, 5,000 candidates: {baseline:.1f} s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"results": results, "stock_botorch_s": baseline}, fh, indent=1)


if __name__ == "__main__":
    main()
