"""Overhead of one ``ask(8)`` of the default proposer with 200 observations, against stock botorch.

For ``ofa_mbv3`` (a generated pool of >= 10,000 candidates) and ``nb201`` (every unseen cell of
its 6,466 is the pool), with 2 and 3 objectives from a fixed random linear-plus-interaction model
of the features: the median ``ask(8)`` over ``--repeats`` asks (each batch is told before the
next, so GP refits happen on their usual schedule and count in the median), its split into the
proposer's phases (fit, pool, shortlist, acquisition), and the first ask of the process (imports,
one-off compiles). Stock botorch is timed in the same run on the same kind of model:
``optimize_acqf_discrete`` with qLogNEHVI, q=8, over 5,000 candidates.

    python benchmarks/ask_speed.py --out results.json
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from _timing import observed_study, synthetic_objectives, time_asks

import predictnas as pn
from predictnas.encoders import make_encoder


def stock_botorch(n_obs: int = 200, n_cand: int = 5000, q: int = 8) -> float:
    """``optimize_acqf_discrete`` + qLogNEHVI (q=8, botorch's default samples) on a GP of the same kind."""
    import torch
    from botorch.acquisition.multi_objective.logei import qLogNoisyExpectedHypervolumeImprovement
    from botorch.optim import optimize_acqf_discrete

    from predictnas.surrogates import GPSurrogate

    torch.set_num_threads(1)  # as the proposer runs
    space = pn.load_space("ofa_mbv3")
    f = synthetic_objectives(space, 2)
    enc = make_encoder("tabular").fit(space)
    archs = space.sample(n_obs + n_cand, rng=np.random.default_rng(2), unique=True)
    X, Y = enc.transform(archs), f(archs)
    gp = GPSurrogate(warp=None).fit(X[:n_obs], Y[:n_obs])
    ref = torch.as_tensor(Y[:n_obs].min(0) - 0.1 * np.ptp(Y[:n_obs], axis=0))
    started = time.perf_counter()
    acq = qLogNoisyExpectedHypervolumeImprovement(model=gp.model, ref_point=ref, X_baseline=gp.transform_inputs(X[:n_obs]),
                                                  prune_baseline=True)
    optimize_acqf_discrete(acq, q=q, choices=gp.transform_inputs(X[n_obs:]))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spaces", default="ofa_mbv3,nb201")
    parser.add_argument("--obs", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--no-baseline", action="store_true", help="skip the stock botorch timing")
    parser.add_argument("--fused-kernel", action="store_true",
                        help="let botorch compile and use its fused qLogNEHVI kernel (predictnas keeps the portable path)")
    parser.add_argument("--acquisition", default="auto",
                        help="the proposer's acquisition option (auto: qLogNEHVI for 2 objectives up to 100 complete "
                             "trials, qLogEHVI beyond and for 3)")
    parser.add_argument("--out", help="JSON results")
    args = parser.parse_args()
    if args.fused_kernel:
        from botorch.acquisition.multi_objective import logei

        import predictnas.proposers._acquisition as acquisition

        acquisition._portable_log_ehvi = lambda: None
        logei._try_load_fused_kernel()
        print(f"botorch's fused kernel loaded: {logei._C is not None}")
    results = []
    for space in args.spaces.split(","):
        for m in (2, 3):
            study, f, names = observed_study(space, m, args.obs, acquisition=args.acquisition)
            results.append({"space": space, "objectives": m, "n_obs": args.obs, **time_asks(study, f, names, repeats=args.repeats)})
    baseline = None if args.no_baseline else stock_botorch(args.obs)
    print("| space | objectives | observations | acquisition | pool (min) | median ask(8) s | fit | pool | shortlist | "
          "acquisition s | first ask s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        ph = r["phase_median_s"]
        print(f"| {r['space']} | {r['objectives']} | {r['n_obs']} | {r['acquisition']} | {r['pool_min']:,} | {r['median_s']:.2f} | "
              + " | ".join(f"{ph.get(k, 0):.2f}" for k in ("fit", "pool", "shortlist", "acquisition"))
              + f" | {r['first_ask_s']:.2f} |")
    if baseline is not None:
        print(f"\nstock botorch (optimize_acqf_discrete, qLogNEHVI, q=8, 5,000 candidates, same process): {baseline:.1f} s")
    if args.out:
        with open(args.out, "w") as fh:
            json.dump({"results": results, "stock_botorch_s": baseline, "fused_kernel": args.fused_kernel}, fh, indent=1)


if __name__ == "__main__":
    main()
