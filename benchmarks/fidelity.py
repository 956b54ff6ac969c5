"""Candidates that cost training, on the measured MNIST-1D table: HV of the true front against compute.

The replayed table (``benchmarks/data/mnist1d_cnn``: 300 subnets, 30 epochs, 2 seeds) is the
problem: maximise final validation accuracy, minimise MACs. A method trains a subnet by replaying
seed 0's curve (what one training run measures); each epoch costs the seconds it took when it was
measured. The truth is the mean of both seeds' final accuracy: the true front is the Pareto front
of all 300 rows; a run's HV ratio is the hypervolume of the *true* values of its trials trained to
the end (stopped ones do not count) over the true front's, normalised over the whole table
(reference 1.1). Compute budget: ``--budget`` full trainings at the table's median cost.

Methods (same seeds): ``predictnas-full`` (default proposer, every trial trained 30 epochs);
``predictnas`` (default proposer, multi-objective ASHA eta 3, stopped trials as lower-fidelity
model inputs, half the compute spent verifying stopped trials that could be on the front);
``supernet-topk`` (the measured supernet training paid first, then rows trained in NSGA-II order of
inherited accuracy and MACs); ``optuna-tpe-hyperband`` / ``optuna-tpe-sha`` (Optuna TPE with its
pruners, single-objective: accuracy with MACs <= the median as a constraint); ``syne-tune-moasha``;
``random``, ``random-asha``; ablations: ``random-asha-acc`` (ASHA on accuracy alone), ``predictnas-asha`` (no verification),
``predictnas-complete-only`` (the model ignores stopped trials), ``random-predictive``
(the model-based stopping rule; ``-line`` / ``-features``: one model, not chosen by
cross-validation), ``random-asha-verify``, ``random-predictive-verify``,
``random-asha-verify-model`` (verification ordered by predicted HV gain).

    python benchmarks/fidelity.py --seeds 10 --out results.json

JSON: ``versions``; per method ``hv_at_cost`` (keys "25", "50", "100": the HV ratio once that share
of the budget was spent; one value per seed), ``cost_to_full_hv`` (compute seconds to reach
predictnas-full's median final HV ratio, per seed; null if never), ``front_honesty_gap`` (per
seed: |HV of the reported front's stated values - HV of their true values| / the latter),
``compute_s``, ``evaluations``, ``stopped``, ``verified`` and ``verified_on_true_front``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

import predictnas as pn
from predictnas.evaluators import CurveReplayEvaluator, CurveTable
from predictnas.pareto import hypervolume, pareto_mask, to_minimization

TABLE = Path(__file__).resolve().parent / "data" / "mnist1d_cnn"
METHODS = {"predictnas-full": ("bo", None, 0.0), "predictnas": ("bo", "asha", 0.5), "predictnas-asha": ("bo", "asha", 0.0),
           "predictnas-predictive": ("bo", "predictive", 0.5), "random": ("random", None, 0.0),
           "random-asha": ("random", "asha", 0.0), "random-asha-acc": ("random", "asha", 0.0),
           "random-predictive": ("random", "predictive", 0.0), "random-predictive-line": ("random", "predictive", 0.0),
           "random-predictive-features": ("random", "predictive", 0.0),
           "random-asha-verify": ("random", "asha", 0.5), "random-predictive-verify": ("random", "predictive", 0.5),
           "random-asha-verify-model": ("random", "asha", 0.5), "predictnas-complete-only": ("bo", "asha", 0.5)}
PROPOSER_OPTIONS = {"predictnas-complete-only": {"fidelities": False}}  # the model learns from complete trials only
STOPPER_OPTIONS = {"random-asha-acc": {"metric": "acc"},  # ASHA on accuracy alone (the rule before multi-objective ASHA)
                   "random-predictive-line": {"model": "line"}, "random-predictive-features": {"model": "features"}}
ORDER = {"random-asha-verify-model": "model"}  # the stopped trial predicted to add most HV verified first (ablation)
PEERS = ("supernet-topk", "optuna-tpe-hyperband", "optuna-tpe-sha", "syne-tune-moasha")
DEFAULT = ("predictnas-full", "predictnas", "supernet-topk", "optuna-tpe-hyperband", "optuna-tpe-sha", "syne-tune-moasha",
           "random-asha", "random")
OBJECTIVES = {"acc": "maximize", "macs": "minimize"}


def truth(table: CurveTable) -> tuple[np.ndarray, np.ndarray, float, frozenset[str]]:
    """``(lower, upper, true HV, keys of the true front)`` of (final accuracy, MACs) over every row, minimisation form."""
    archs = table.space.members.archs
    F = to_minimization(np.array([_true(table, a) for a in archs]), ["maximize", "minimize"])
    lower, upper, front = F.min(axis=0), F.max(axis=0), pareto_mask(F)
    keys = frozenset(table.space.canonical_key(a) for a, on in zip(archs, front) if on)
    return lower, upper, hypervolume(F[front], lower=lower, upper=upper), keys


def run(table: CurveTable, method: str, seed: int, budget_s: float,
        truth_: tuple[np.ndarray, np.ndarray, float, frozenset[str]], folder: Path = TABLE) -> dict:
    """One run until ``budget_s`` seconds of compute are spent (or nothing is left to evaluate):
    cumulative compute and HV ratio (true values of the complete trials) after each evaluation,
    the stopped trials, and the honesty gap of the front the study reports."""
    lower, upper, true_hv, front_keys = truth_
    if method in PEERS:
        return _peer(table, folder, method, seed, budget_s, lambda rows: _hv(rows, lower, upper) / true_hv)
    proposer, stopper, verify_share = METHODS[method]
    study = pn.create_study(space=table.space, objectives=OBJECTIVES, seed=seed, proposer=proposer, stopper=stopper,
                            proposer_options=PROPOSER_OPTIONS.get(method),
                            stopper_options={"eta": 3, "max_step": table.epochs, **STOPPER_OPTIONS.get(method, {})}
                            if stopper else None)
    evaluator = CurveReplayEvaluator(table, static={"macs": "macs_m"}, seed=0)  # one training run, as a user measures
    costs, hvs, verify_s = [], [], 0.0
    while evaluator.spent_s < budget_s:
        untried = len({t.key for t in study.trials}) < len(table.space.members)
        candidates = bool(verify_share) and bool(study.verify_candidates())
        before = evaluator.spent_s
        if candidates and (verify_s < verify_share * evaluator.spent_s or not untried):
            study.verify(evaluator, n=1, order=ORDER.get(method, "rank"))
            verify_s += evaluator.spent_s - before
        elif untried:
            study.optimize(evaluator, 1)
        else:
            break
        done = [t for t in study.trials if t.state.value == "complete"]
        costs.append(evaluator.spent_s)
        hvs.append(_hv([_true(table, t.arch) for t in done], lower, upper) / true_hv)
    front = study.pareto_front()
    stated = _hv([[t.values["acc"], t.values["macs"]] for t in front], lower, upper)
    true = _hv([_true(table, t.arch) for t in front], lower, upper)
    return {"costs": costs, "hvs": hvs, "stopped": sum(t.state.value == "stopped" for t in study.trials),
            "verified": sum("verifies" in t.user_attrs for t in study.trials), "verify_s": verify_s,
            "verified_on_true_front": sum("verifies" in t.user_attrs and t.key in front_keys for t in study.trials),
            "honesty_gap": abs(stated - true) / true if true else None}


def _peer(table: CurveTable, folder: Path, method: str, seed: int, budget_s: float, hv) -> dict:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_fidelity_peers", Path(__file__).with_name("_fidelity_peers.py"))
    peers = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(peers)

    if method == "supernet-topk":
        return peers.run_supernet_topk(table, folder, budget_s, hv)
    if method == "syne-tune-moasha":
        return peers.run_moasha(table, seed, budget_s, hv)
    return peers.run_optuna(table, method.rsplit("-", 1)[1], seed, budget_s, hv)


def _true(table: CurveTable, arch) -> list[float]:
    """(final accuracy, mean of seeds; MACs) of ``arch``."""
    return [float(table.curve(arch)[0][-1]), float(table.row(arch)["macs_m"])]


def _hv(rows: list, lower: np.ndarray, upper: np.ndarray) -> float:
    F = to_minimization(np.array(rows, dtype=np.float64).reshape(-1, 2), ["maximize", "minimize"])
    return hypervolume(F[pareto_mask(F)], lower=lower, upper=upper) if len(F) else 0.0


def at_cost(costs: list[float], hvs: list[float], budget_s: float) -> float:
    """The HV ratio reached once ``budget_s`` seconds were spent (the last trial within it)."""
    within = [h for c, h in zip(costs, hvs) if c <= budget_s]
    return within[-1] if within else 0.0


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {}
    for name in ("predictnas", "optuna", "syne-tune", "botorch", "pymoo"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--budget", type=int, default=40, help="compute per run: this many full trainings (median cost)")
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--methods", default=",".join(DEFAULT), help="comma-separated, from: " + ", ".join([*METHODS, *PEERS]))
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    table = CurveTable.from_dir(args.table)
    methods = [m.strip() for m in args.methods.split(",")]
    budget_s = args.budget * float(np.median([table.curve(a)[1].sum() for a in table.space.members.archs]))
    print(f"compute budget per run: {budget_s:.0f} s (the median cost of {args.budget} full trainings)")
    true_front = truth(table)
    runs: dict[str, list] = {}
    for method in methods:
        for seed in range(args.seeds):
            started = time.perf_counter()
            runs.setdefault(method, []).append(run(table, method, seed, budget_s, true_front, args.table))
            r = runs[method][-1]
            print(f"{method:16s} seed {seed}: HV ratio {r['hvs'][-1]:.4f} after {r['costs'][-1]:7.0f} s of compute, "
                  f"{r['stopped']} stopped, {r['verified']} verified ({time.perf_counter() - started:.0f} s)", flush=True)
    reference = "predictnas-full" if "predictnas-full" in runs else methods[0]
    full_cost = budget_s
    full_hv = float(np.median([r["hvs"][-1] for r in runs[reference]]))
    result: dict = {"versions": _versions(), "budget_full_trainings": args.budget, "budget_s": budget_s, "seeds": args.seeds, "reference": reference,
                    "reference_hv": full_hv, "methods": {}}
    print(f"\nHV ratio of the true front (median over {args.seeds} seeds) at a share of the compute budget "
          f"({full_cost:.0f} s), and the compute to reach {reference}'s median final HV ratio {full_hv:.4f}:")
    print(f"{'method':16s} {'25 % (IQR)':>21s} {'50 % (IQR)':>21s} {'100 % (IQR)':>21s} {'to full HV':>14s} {'evals':>6s} {'stopped':>8s} "
          f"{'verified':>8s} {'gap':>7s}")
    for method, rs in runs.items():
        hv_at = {k: [at_cost(r["costs"], r["hvs"], full_cost * f) for r in rs] for k, f in (("25", 0.25), ("50", 0.5), ("100", 1.0))}
        reach = [next((c for c, h in zip(r["costs"], r["hvs"]) if h >= full_hv), None) for r in rs]
        reached = [r for r in reach if r is not None]
        result["methods"][method] = {"hv_at_cost": hv_at, "cost_to_full_hv": reach, "compute_s": [r["costs"][-1] for r in rs],
                                     "evaluations": [len(r["costs"]) for r in rs], "stopped": [r["stopped"] for r in rs],
                                     "verified": [r["verified"] for r in rs], "front_honesty_gap": [r["honesty_gap"] for r in rs],
                                     "verified_on_true_front": [r.get("verified_on_true_front", 0) for r in rs]}
        to_full = f"{np.median(reached):.0f} s ({len(reached)}/{len(rs)})" if reached else "never"
        cells = " ".join(f"{np.median(v):.4f} ({np.percentile(v, 25):.3f}-{np.percentile(v, 75):.3f})".rjust(21)
                         for v in hv_at.values())
        gaps = [g for g in (r["honesty_gap"] for r in rs) if g is not None]
        print(f"{method:16s} {cells} {to_full:>14s} {np.median([len(r['costs']) for r in rs]):6.0f} "
              f"{np.median([r['stopped'] for r in rs]):8.0f} {np.median([r['verified'] for r in rs]):8.0f} "
              f"{(np.median(gaps) if gaps else float('nan')):7.4f}")
    for method, rs in runs.items():
        verified = sum(r["verified"] for r in rs)
        if verified:
            hits = sum(r.get("verified_on_true_front", 0) for r in rs)
            print(f"{method}: {hits} of {verified} verified trials are on the true front ({100 * hits / verified:.0f} %)")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
