"""Verification: trials stopped early that could be on the front, trained at the target fidelity.

A study's front holds complete trials only (values at the target fidelity). A trial stopped at
step ``s`` is a *candidate* when its values are on the first ``depth`` non-dominated fronts of what
every trial reported at ``s`` (at its fidelity it is on, or next to, the front; on the measured
MNIST-1D table 4 in 5 of first-front candidates are on the true front). Verifying one runs a new
trial of its architecture to the end, never stopped, whose ``user_attrs["verifies"]`` names the
stopped one. The new trial and that attribute are one write, so a killed run re-runs it as a
verification."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from predictnas.exceptions import InvalidSpecError
from predictnas.pareto import non_dominated_ranks, to_minimization
from predictnas.study._events import EventKind, StudyState
from predictnas.study._promotion import by_predicted_gain
from predictnas.study._records import split_metrics
from predictnas.types import FrozenTrial, Objective, TrialState

if TYPE_CHECKING:
    from predictnas.study._study import Study

logger = logging.getLogger("predictnas.study")

VERIFIES = "verifies"


def verify_candidates(state: StudyState, objectives: Sequence[Objective], depth: int = 2) -> list[FrozenTrial]:
    """Stopped trials not yet verified (no verification trial that did not fail) on the first
    ``depth`` fronts of the reports at their step: the first front first, then the highest step,
    then in trial order."""
    verified = {t.user_attrs[VERIFIES] for t in state.trials.values()
                if VERIFIES in t.user_attrs and t.state is not TrialState.FAILED}
    at_step: dict[int, list[tuple[int, dict[str, float]]]] = {}  # step -> (trial number, its report), once
    for t in state.trials.values():
        for step, values in t.intermediate.items():
            at_step.setdefault(step, []).append((t.number, values))
    ranked = []
    for trial in state.ordered(TrialState.STOPPED):
        step = trial.fidelity
        present = [o for o in objectives if o.name in trial.values]
        if trial.number in verified or step is None or not present:
            continue
        rows = [trial.values] + [values for number, values in at_step.get(step, [])
                                 if number != trial.number and all(o.name in values for o in present)]
        F = to_minimization(np.array([[r[o.name] for o in present] for r in rows], dtype=np.float64),
                            [o.direction for o in present])
        rank = int(non_dominated_ranks(F)[0])
        if rank < depth:
            ranked.append((rank, -step, trial.number, trial))
    return [t for *_, t in sorted(ranked, key=lambda r: r[:3])]


def verification_events(state: StudyState, stopped: FrozenTrial) -> list[tuple[str, dict]]:
    """A new trial of ``stopped``'s architecture marked as its verification, in one write."""
    number = state.next_number
    return [(EventKind.ASK.value, {"step": state.step,
                                   "trials": [{"number": number, "params": stopped.arch.to_dict(), "key": stopped.key}]}),
            (EventKind.ATTR.value, {"number": number, "key": VERIFIES, "value": stopped.number})]


def verify(study: Study, evaluator: Any, n: int | None, begin: Callable[[FrozenTrial], FrozenTrial],
           order: str = "rank") -> list[FrozenTrial]:
    """Verifies up to ``n`` of ``study.verify_candidates()`` (all when ``None``), after re-running
    verifications a killed run left running; in-process, one at a time (``begin(stopped)`` records
    the verification trial). A failing evaluation fails its trial and the next one runs. Returns
    the verification trials run, finished. ``order``: ``"rank"`` keeps :func:`verify_candidates`'s
    order; ``"model"`` verifies first the candidate whose predicted values add the most
    hypervolume (:mod:`predictnas.study._promotion`; on the MNIST-1D table, 10 seeds, it measured
    no better than ``"rank"``: HV@100 0.988 vs 0.986, IQRs overlapping, at a GP fit per pick)."""
    from predictnas.evaluators import Evaluator, FunctionEvaluator
    from predictnas.executors import run_evaluation

    if order not in ("model", "rank"):
        raise InvalidSpecError(f"verify(order=...) must be \"model\" or \"rank\"; got {order!r}.")
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 0):
        raise InvalidSpecError(f"verify(n=...) must be a non-negative integer or None; got {n!r}.")
    if not isinstance(evaluator, Evaluator):
        if not callable(evaluator):
            raise InvalidSpecError(f"verify() needs an Evaluator or a function arch -> {{metric: value}}; got "
                                   f"{type(evaluator).__name__}.")
        evaluator = FunctionEvaluator(evaluator)
    queue = [t for t in study.trials if t.state is TrialState.RUNNING and VERIFIES in t.user_attrs]
    done: list[FrozenTrial] = []
    tried: set[int] = set()
    while queue or n is None or len(done) < n:
        if not queue:
            candidates = [t for t in study.verify_candidates() if t.number not in tried]
            if not candidates:
                break
            if order == "model":
                complete = [t for t in study.trials if t.state is TrialState.COMPLETE and t.cache_of is None]
                stopped = [t for t in study.trials if t.state is TrialState.STOPPED]
                candidates = by_predicted_gain(study.space, study.objectives, complete, stopped, candidates)
            tried.add(candidates[0].number)  # once per call: a verification that fails is not repeated now
            queue.append(begin(candidates[0]))
        trial = queue.pop(0)
        started = time.perf_counter()
        try:  # a stepped evaluator reports every step and is never stopped
            outcome = run_evaluation(evaluator, trial.arch, on_step=lambda step, r, t=trial: study.report(t, step, r.values) or False)
            metrics, extras = split_metrics(outcome.result.values, study.metric_names)
            study.tell(trial, metrics, cheap=outcome.result.cheap, user_attrs={**extras, **outcome.result.user_attrs},
                       duration_s=outcome.duration_s)
        except Exception as exc:  # noqa: BLE001 - a failing evaluation fails its trial, the study goes on
            logger.warning("verification trial %d failed: %s", trial.number, exc)
            study.fail(trial, f"{type(exc).__name__}: {exc}", duration_s=time.perf_counter() - started)
        done.append(study.get_trial(trial.number))
    return done
