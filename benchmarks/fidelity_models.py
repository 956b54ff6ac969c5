"""Lower fidelities as model inputs, measured: which model predicts the final accuracy best from a
search's complete *and* early-stopped trials?

Data: the measured MNIST-1D table (``benchmarks/data/mnist1d_cnn``). Per seed, a search that
trains by replaying seed 0's curves (random proposals, multi-objective ASHA eta 3, as
``benchmarks/fidelity.py``'s ``random-asha``) runs ``--trials`` evaluations; its complete and
stopped trials are the training data. Each model then predicts the final (epoch 30) accuracy of
every row the search did not complete, scored against the truth (mean of both seeds' final
accuracy): Kendall tau, RMSE (accuracy points) and the coverage of its 90 % interval.

Models:
- ``fidelity-column`` (predictnas's default proposer): GP on the tabular features plus the
  fidelity ``log(step) / log(30)`` as an input with its own kernel term (``GPSurrogate``, power
  warping), predicting at fidelity 1;
- ``botorch-mf-gp``: botorch's ``SingleTaskMultiFidelityGP`` with the same fidelity column as its
  iteration fidelity (linear truncated fidelity kernel, Wu et al. 2019), inputs normalised;
- ``complete-only``: the GP on complete trials only (the stopped ones ignored);
- ``supernet-feature``: ``fidelity-column`` plus the supernet's inherited accuracy of every row as
  a feature (a lower fidelity known for every candidate, as a cheap statistic).

    python benchmarks/fidelity_models.py --seeds 10 --out results.json

JSON: ``versions``, ``trials``; per model ``kendall``, ``rmse``, ``coverage90``, ``fit_seconds``
(one value per seed).
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from scipy.stats import kendalltau

import predictnas as pn
from predictnas.encoders import ArchFeatures
from predictnas.evaluators import CurveReplayEvaluator, CurveTable
from predictnas.proposers import fidelity_level

TABLE = Path(__file__).resolve().parent / "data" / "mnist1d_cnn"
MODELS = ("fidelity-column", "botorch-mf-gp", "complete-only", "supernet-feature")


def observations(table: CurveTable, seed: int, trials: int) -> tuple[list, list]:
    """The complete and the stopped trials of a random + multi-objective ASHA search of ``trials`` evaluations."""
    study = pn.create_study(space=table.space, objectives={"acc": "maximize", "macs": "minimize"}, seed=seed,
                            proposer="random", stopper="asha", stopper_options={"eta": 3, "max_step": table.epochs})
    study.optimize(CurveReplayEvaluator(table, static={"macs": "macs_m"}, seed=0), trials)
    return ([t for t in study.trials if t.state.value == "complete"], [t for t in study.trials if t.state.value == "stopped"])


def predict(model: str, table: CurveTable, complete: list, stopped: list, test: list) -> tuple[np.ndarray, np.ndarray]:
    """``(mean, std)`` of the final accuracy of ``test`` architectures, each ``(len(test),)``."""
    from predictnas._determinism import seeded_torch
    from predictnas.surrogates import GPSurrogate

    features = ArchFeatures("tabular").fit(table.space)
    observed = complete + ([] if model == "complete-only" else stopped)
    level = np.array([1.0] * len(complete) + [fidelity_level(t.fidelity, table.epochs) for t in observed[len(complete):]])

    def inputs(archs: list, fidelity: np.ndarray) -> np.ndarray:
        parts = [features.transform(archs)]
        if model == "supernet-feature":
            parts.append(np.array([[float(table.row(a)["inherited_acc"])] for a in archs]) / 100)
        return np.concatenate(parts + [fidelity[:, None]], axis=1)

    X, y = inputs([t.arch for t in observed], level), np.array([[t.values["acc"]] for t in observed])
    X_test = inputs(test, np.ones(len(test)))
    with seeded_torch(0):
        if model == "botorch-mf-gp":
            return _botorch_mf(X, y, X_test)
        groups = features.layout_.groups() + [[c] for c in range(features.layout_.width, X.shape[1])]
        mean, std = GPSurrogate(groups=groups).fit(X, y).predict(X_test)
    return mean[:, 0], std[:, 0]


def _botorch_mf(X: np.ndarray, y: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import torch
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskMultiFidelityGP
    from botorch.models.transforms import Normalize, Standardize
    from gpytorch.mlls import ExactMarginalLogLikelihood

    keep = np.flatnonzero(np.ptp(X[:, :-1], axis=0) > 0).tolist() + [X.shape[1] - 1]  # constant columns carry nothing
    train_X = torch.tensor(X[:, keep], dtype=torch.float64)
    d = train_X.shape[1]
    bounds = torch.stack([train_X.min(0).values, train_X.max(0).values])
    bounds[:, -1] = torch.tensor([0.0, 1.0], dtype=torch.float64)  # the fidelity is in [0, 1] already
    model = SingleTaskMultiFidelityGP(train_X, torch.tensor(y, dtype=torch.float64), iteration_fidelity=d - 1,
                                      input_transform=Normalize(d, bounds=bounds), outcome_transform=Standardize(1))
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    with torch.no_grad():
        posterior = model.posterior(torch.tensor(X_test[:, keep], dtype=torch.float64), observation_noise=True)
    return posterior.mean[:, 0].detach().numpy(), posterior.variance[:, 0].clamp_min(0).sqrt().detach().numpy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--trials", type=int, default=100, help="evaluations of the search that makes the training data")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--table", type=Path, default=TABLE)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    warnings.filterwarnings("ignore", message=".*(not standardized|not contained to the unit cube|Optimization failed).*")
    table = CurveTable.from_dir(args.table)
    models = [m.strip() for m in args.models.split(",")]
    unknown = sorted(set(models) - set(MODELS))
    if unknown:
        ap.error(f"unknown model(s) {unknown}; choose from {', '.join(MODELS)}")
    scores: dict[str, dict[str, list]] = {m: {"kendall": [], "rmse": [], "coverage90": [], "fit_seconds": []} for m in models}
    counts = []
    for seed in range(args.seeds):
        complete, stopped = observations(table, seed, args.trials)
        done = {t.key for t in complete}
        test = [a for a in table.space.members.archs if table.space.canonical_key(a) not in done]
        truth = np.array([table.curve(a)[0][-1] for a in test])
        counts.append((len(complete), len(stopped)))
        for m in models:
            started = time.perf_counter()
            mean, std = predict(m, table, complete, stopped, test)
            s = scores[m]
            s["fit_seconds"].append(time.perf_counter() - started)
            s["kendall"].append(float(kendalltau(mean, truth)[0]))
            s["rmse"].append(float(np.sqrt(np.mean((mean - truth) ** 2))))
            s["coverage90"].append(float(np.mean(np.abs(mean - truth) <= 1.645 * std)))
            print(f"seed {seed}: {len(complete)} complete, {len(stopped)} stopped; {m:17s} tau {s['kendall'][-1]:.3f} "
                  f"rmse {s['rmse'][-1]:5.2f} coverage {s['coverage90'][-1]:.2f} ({s['fit_seconds'][-1]:.1f} s)", flush=True)
    print(f"\nFinal accuracy of the rows not trained to the end, {args.trials} evaluations (random + MO-ASHA), median of "
          f"{args.seeds} seeds (complete / stopped trials: {np.median([c for c, _ in counts]):.0f} / "
          f"{np.median([s for _, s in counts]):.0f}):")
    print(f"{'model':18s} {'Kendall tau (IQR)':>20s} {'RMSE':>6s} {'90% coverage':>13s} {'fit s':>6s}")
    for m, s in scores.items():
        tau = s["kendall"]
        print(f"{m:18s} {np.median(tau):8.3f} ({np.percentile(tau, 25):.3f}-{np.percentile(tau, 75):.3f}) "
              f"{np.median(s['rmse']):6.2f} {np.median(s['coverage90']):13.2f} {np.median(s['fit_seconds']):6.1f}")
    if args.out:
        from importlib.metadata import version

        args.out.write_text(json.dumps({"versions": {p: version(p) for p in ("predictnas", "botorch", "gpytorch")},
                                        "trials": args.trials, "seeds": args.seeds, "models": scores}, indent=2))


if __name__ == "__main__":
    main()
