"""Search methods run by the benchmark: predictnas proposers and Optuna samplers (peers).

A run returns the table rows it evaluated, in order, and the seconds each proposal took. A
method may carry proposer options: ``predictnas{exhaustive_limit=0,n_initial=4}``.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from predictnas._validation import key_values
from predictnas.bench._names import METHODS, PROPOSER_METHODS
from predictnas.bench._variables import is_active, peer_variables
from predictnas.evaluators import SearchProblem
from predictnas.exceptions import EvaluationError, InvalidArchitectureError, InvalidSpecError
from predictnas.spaces import Arch

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


def parse_methods(specs: Sequence[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    """``{spec: (method, options)}`` for method specs (see :func:`parse_method`), checked before
    anything runs: an unknown method, options given to a peer, or an option the proposer does not
    take is one clear error."""
    from predictnas.proposers import make_proposer

    parsed = {spec: parse_method(spec) for spec in specs}
    unknown = [spec for spec, (base, _) in parsed.items() if base not in METHODS]
    if unknown:
        raise InvalidSpecError(f"Unknown method(s) {unknown}; choose from {list(METHODS)} (options: NAME{{key=value}}).")
    optioned = [spec for spec, (base, options) in parsed.items() if options and base not in PROPOSER_METHODS]
    if optioned:
        raise InvalidSpecError(f"Options are for predictnas proposers only: {optioned}.")
    for base, options in parsed.values():
        if options:
            make_proposer(PROPOSER_METHODS[base], options)
    return parsed


def split_methods(text: str) -> list[str]:
    """Comma-separated methods; commas inside ``{...}`` belong to a method's options."""
    out, depth, current = [], 0, ""
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            out.append(current.strip())
            current = ""
        else:
            current += char
    out.append(current.strip())
    return [m for m in out if m]


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
            row, values = lookup(problem, trial.arch)
            run.rows.append(row if values is not None else -1)
            run.failed.append(values is None)
            if trial.state is not TrialState.RUNNING:  # answered by the study itself (a repeat)
                continue
            if values is None:
                study.tell(trial, state="failed", error=f"row {row}: no answer (not in the table, or a failing row)")
            else:
                study.tell(trial, values)
    return run


def lookup(problem: SearchProblem, arch: Arch) -> tuple[int, dict[str, float] | None]:
    """The table row answering ``arch`` (-1 if none) and its values (``None``: the evaluation
    fails: no row, an injected failure, or a value the table leaves empty; a run records a failed
    evaluation as row -1)."""
    try:
        row = problem.table.row_index(arch)
    except EvaluationError:
        return -1, None
    if problem.fails(row):
        return row, None
    try:
        return row, problem.table.evaluate(arch).values
    except EvaluationError:
        return row, None


def optuna_available() -> bool:
    try:
        import optuna  # noqa: F401
    except ImportError:
        return False
    return True


def run_optuna(problem: SearchProblem, method: str, *, seed: int, budget: int) -> Run:
    """An Optuna sampler, one trial at a time, parameters suggested as categoricals in space order
    (only active ones; a whitelisted group of parameters as one categorical over its allowed
    tuples). Repeated architectures are evaluated again and count against the budget."""
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
    variables = peer_variables(space)
    while len(run.rows) < budget:
        started = time.perf_counter()
        trial = study.ask()
        values: dict[str, object] = {}
        for var in variables:
            if is_active(space, var, values):
                index = trial.suggest_categorical(var.name, list(range(len(var.choices))))
                values.update(zip(var.params, var.choices[index]))
        run.ask_seconds.append(time.perf_counter() - started)
        try:
            arch = space.make_arch(values)
        except InvalidArchitectureError:  # breaks an expression constraint of the space
            row, result = -1, None
        else:
            row, result = lookup(problem, arch)
        run.rows.append(row if result is not None else -1)
        run.failed.append(result is None)
        if result is None:
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
            continue
        for i, c in enumerate(problem.constraints):
            trial.set_constraint(f"c{i}", c.violation(result[c.metric]))
        study.tell(trial, [result[c] for c, _ in problem.objectives])
    return run
