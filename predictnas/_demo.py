"""The demo behind ``make demo`` / ``predictnas demo``."""

from __future__ import annotations

import numpy as np

from predictnas.encoders import ENCODERS
from predictnas.exceptions import PredictNASError
from predictnas.spaces import SearchSpace, list_spaces, load_space


def describe_space(space: SearchSpace, *, n_samples: int = 3, seed: int = 0) -> None:
    """Prints a space's size, a few seeded samples, their canonical keys and encodings."""

    try:
        size = f"{space.cardinality():,} architectures"
        unique = space.enumerate_unique(200_000) if space.cell is not None else None
        if unique is not None:
            size += f" ({len(unique):,} functionally distinct, by canonical key)"
    except PredictNASError:
        estimate = space.estimate_cardinality(rng=np.random.default_rng(seed))
        size = f"~{estimate:.3g} architectures (sampled estimate; constrained space)"
    print(f"== {space.name}: {space.spec.get('description', '')}")
    print(f"   {len(space.params)} parameters, {size}")
    archs = space.sample(n_samples, rng=np.random.default_rng(seed))
    for i, arch in enumerate(archs):
        print(f"   sample {i}: {space.to_string(arch)}")
    print(f"   canonical key of sample 0: {space.canonical_key(archs[0])}")
    for name, cls in ENCODERS.items():
        try:
            encoder = cls().fit(space)
        except PredictNASError:
            continue
        X = encoder.transform(archs[:1])
        flat = X.flatten() if hasattr(X, "global_features") else np.asarray(X)
        head = ", ".join(f"{v:g}" for v in np.ravel(flat)[:16])
        print(f"   {name:8s} encoding: {np.shape(flat)[-1]:4d} features  [{head}{', ...' if np.size(flat) > 16 else ''}]")


def run_demo(*, seed: int = 0, storage: str = "studies/demo.db", checkpoint: str = "studies/mnist1d_supernet.pt",
             budget: int = 120) -> None:
    """Shows the shipped spaces, trains the MNIST-1D supernet, then runs (or resumes) an accuracy-vs-MACs search."""
    from predictnas.report import format_front, format_status
    from predictnas.study import build_evaluator, create_study

    print("Shipped search spaces:")
    for name in list_spaces():
        space = load_space(name)
        print(f"  {name:20s} {len(space.params):3d} params  {space.spec.get('description', '')}")
    print()
    describe_space(load_space("mnist1d_cnn"), seed=seed)
    print()
    print(f"1/2 Training the mnist1d_cnn weight-sharing supernet (sandwich rule, in-place distillation) -> {checkpoint}")
    print("    (a few minutes on 2 cores; an interrupted run resumes from its last epoch, a finished one is reused)")
    config = {"type": "supernet", "supernet": "mnist1d_cnn", "checkpoint": checkpoint,
              "training": {"seed": seed}, "options": {"latency": True}}
    study = create_study(
        space="mnist1d_cnn", objectives={"acc": "maximize", "macs": "minimize"}, storage=storage, seed=seed,
        proposer="bo", budget=budget, batch_size=8, evaluator=config,
        name="demo", load_if_exists=True,
    )
    with study:
        evaluator = build_evaluator(study.definition["evaluator"], study.space, show_progress=True)
        print(f"2/2 Searching: {budget} subnets scored with inherited weights (BN recalibrated), "
              f"accuracy vs MACs -> {storage}")
        print("    (interrupt at any time; `make demo` again resumes where it stopped)")
        study.optimize(evaluator, show_progress=True)
        print(format_front(study))
        print()
        print(format_status(study))
        from predictnas.report import report_beside

        print(f"report      {report_beside(study)} (open it in a browser; works offline)")


def run_fidelity_demo(*, seed: int = 0, storage: str = "studies/demo_fidelity.db", budget: int = 60, epochs: int = 15,
                      verify: int = 6) -> None:
    """Trains real ``mnist1d_cnn`` subnets from scratch on MNIST-1D, one epoch per step, stops the
    hopeless ones early (multi-objective ASHA), then trains the most promising stopped ones to the
    end (verification); prints the front, what stopping saved, and writes the report."""
    from predictnas.report import format_front, format_status, report_beside
    from predictnas.study import build_evaluator, create_study

    config = {"type": "training", "supernet": "mnist1d_cnn", "training": {"epochs": epochs, "seed": seed}}
    study = create_study(
        space="mnist1d_cnn", objectives={"acc": "maximize", "macs": "minimize"},
        storage=storage, seed=seed, proposer="bo", budget=budget, evaluator=config, stopper="asha",
        stopper_options={"eta": 3, "max_step": epochs}, name="demo_fidelity", load_if_exists=True,
    )
    with study:
        evaluator = build_evaluator(study.definition["evaluator"], study.space)
        print(f"1/2 Training {budget} mnist1d_cnn subnets from scratch ({epochs} epochs each at most), accuracy vs "
              f"MACs; ASHA (eta 3) stops the hopeless ones after epoch 1, 3 or 9 -> {storage}")
        print("    (interrupt at any time; the same command resumes, a half-trained subnet exactly where it stopped)")
        study.optimize(evaluator, show_progress=True)
        print(f"2/2 Verifying: up to {verify} subnets stopped early that could be on the front, trained to the end")
        for trial in study.verify(evaluator, n=verify):
            print(f"    trial {trial.number} (was trial {trial.user_attrs['verifies']}): {trial.state.value} "
                  f"{ {k: round(v, 4) for k, v in trial.values.items()} or trial.error}")
        print(format_front(study))
        print()
        print(format_status(study))
        print(f"report      {report_beside(study)} (open it in a browser; works offline)")
