"""Search methods run by the benchmark: predictnas proposers and Optuna samplers (peers).

A run returns the table rows it evaluated, in order, and the seconds each proposal took. A
method may carry proposer options: ``predictnas{exhaustive_limit=0,n_initial=4}``.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from dataclasses import dataclass, field
from typing import Any

from predictnas._validation import key_values
from predictnas.bench._names import PROPOSER_METHODS
from predictnas.evaluators import SearchProblem
from predictnas.exceptions import EvaluationError, InvalidSpecError

CHEAP_AWARE = ("predictnas", "nsga2-surrogate")


@dataclass
class Run:
    rows: list[int] = field(default_factory=list)  # evaluated table rows in order (repeats kept)
    ask_seconds: list[float] = field(default_factory=list)
    failed: list[bool] = field(default_factory=list)  # per evaluation: did it fail


_METHOD = re.compile(r"^([a-z0-9-]+)(?:\{(.*)\})?$")


def parse_method(text: str) -> tuple[str, dict[str, Any]]:
    """``"predictnas{exhaustive_limit=0,n_initial=4}"`` -> ``("predictnas", {...})``; values are
    JSON (numbers, true/false/null, "strings") or bare strings."""
    match = _METHOD.match(text.strip())
    if match is None:
        raise InvalidSpecError(f"Bad method {text!r}: use NAME or NAME{{key=value,...}}.")
    items = [part.strip() for part in (match.group(2) or "").split(",")]
    return match.group(1), key_values(filter(None, items), where=f"Bad method {text!r}")


def run_proposer(problem: SearchProblem, method: str, *, seed: int, budget: int, batch_size: int, use_cheap: bool,
                 options: dict[str, Any] | None = None) -> Run:
    """A predictnas proposer on an in-memory study, ``batch_size`` trials per ask."""
    from predictnas.study import TrialState, create_study

    study = create_study(space=problem.space, objectives=problem.study_objectives(use_cheap=use_cheap),
                         constraints=[str(c) for c in problem.constraints], proposer=PROPOSER_METHODS[method],
                         proposer_options=options, seed=seed)
    if use_cheap or problem.features:
        study.cheap_function = functools.partial(problem.cheap_statistics, use_cheap=use_cheap)
    run = Run()
    while len(run.rows) < budget:
        started = time.perf_counter()
        trials = study.ask(min(batch_size, budget - len(run.rows)))
        run.ask_seconds.append(time.perf_counter() - started)
        for trial in trials:
            try:
                row = problem.table.row_index(trial.arch)
                if problem.fails(row):
                    raise EvaluationError(f"row {row}: injected failure")
                values = problem.table.evaluate(trial.arch).values if trial.state is TrialState.RUNNING else None
            except EvaluationError as exc:  # not in the table, or an injected failure
                run.rows.append(-1)
                run.failed.append(True)
                if trial.state is TrialState.RUNNING:
                    study.tell(trial, state="failed", error=str(exc))
                continue
            run.rows.append(row)
            run.failed.append(False)
            if values is not None:
                study.tell(trial, values)
    return run


def optuna_available() -> bool:
    try:
        import optuna  # noqa: F401
    except ImportError:
        return False
    return True


def run_optuna(problem: SearchProblem, method: str, *, seed: int, budget: int) -> Run:
    """An Optuna sampler, one trial at a time, parameters suggested as categoricals in space order
    (only active ones). Repeated architectures are evaluated again and count against the budget."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    logging.getLogger("optuna").setLevel(logging.WARNING)
    if method == "optuna-tpe":  # constraints: trial.set_constraint (Optuna 5; constraints_func is deprecated)
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
    elif method == "optuna-nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    else:
        sampler = optuna.samplers.GPSampler(seed=seed)
    study = optuna.create_study(directions=[d for _, d in problem.objectives], sampler=sampler)
    space, run = problem.space, Run()
    while len(run.rows) < budget:
        started = time.perf_counter()
        trial = study.ask()
        values: dict[str, object] = {}
        for p in space.params:
            if space.is_active(p, values):
                values[p.name] = p.choices[trial.suggest_categorical(p.name, list(range(p.n_choices)))]
        run.ask_seconds.append(time.perf_counter() - started)
        arch = space.make_arch(values)
        try:
            row = problem.table.row_index(arch)
            if problem.fails(row):
                raise EvaluationError(f"row {row}: injected failure")
            result = problem.table.evaluate(arch).values
        except EvaluationError:  # not in the table, or an injected failure
            run.rows.append(-1)
            run.failed.append(True)
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            continue
        run.rows.append(row)
        run.failed.append(False)
        for i, c in enumerate(problem.constraints):
            trial.set_constraint(f"c{i}", c.violation(result[c.metric]))
        study.tell(trial, [result[c] for c, _ in problem.objectives])
    return run
