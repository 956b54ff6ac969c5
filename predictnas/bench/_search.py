"""``predictnas benchmark search``: every method on the same table, scored exactly."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from predictnas.bench._dispatch import missing_package, run_method
from predictnas.bench._methods import CHEAP_AWARE, Run, parse_methods, split_methods
from predictnas.evaluators import SearchProblem

BUDGETS = (25, 50, 100, 200)
THRESHOLDS = ("0.95", "0.99", "0.999")


def score_run(problem: SearchProblem, run: Run, budget: int) -> dict[str, Any]:
    """The issue's metrics of one run: HV ratio and front recall at the standard budgets,
    evaluations to each HV-ratio threshold (``None``: not reached), or to the optimum."""
    rows = run.rows[:budget]
    out: dict[str, Any] = {
        "hv_ratio": {b: problem.hv_ratio(rows[:b]) for b in BUDGETS if b <= budget},
        "front_recall": {b: problem.front_recall(rows[:b]) for b in BUDGETS if b <= budget},
    }
    if budget not in out["hv_ratio"]:
        out["hv_ratio"][budget] = problem.hv_ratio(rows)
        out["front_recall"][budget] = problem.front_recall(rows)
    if problem.optimum is not None:
        best = next((k + 1 for k, r in enumerate(rows) if r >= 0 and problem.feasible[r] and problem.F[r, 0] <= problem.optimum), None)
        out["evals_to_optimum"] = best
    out["evals_to_hv"] = evals_to(problem, rows, {t: float(t) for t in THRESHOLDS})
    if problem.failures is not None:  # share of failed evaluations after the first k
        out["failed_share_after"] = {k: float(np.mean(run.failed[k:budget])) for k in (10, 30) if k < min(budget, len(run.failed))}
    return out


def evals_to(problem: SearchProblem, rows: list[int], targets: dict[str, float]) -> dict[str, int | None]:
    """Per target HV ratio, the number of evaluations after which ``rows`` first reach it
    (``None``: never); evaluations that add no new row are skipped (they change no HV)."""
    reached: dict[str, int | None] = {name: None for name in targets}
    seen: set[int] = set()
    for k, row in enumerate(rows, start=1):
        if all(v is not None for v in reached.values()):
            break
        if row in seen:
            continue
        seen.add(row)
        ratio = problem.hv_ratio(rows[:k])
        for name, target in targets.items():
            if reached[name] is None and ratio >= target - 1e-12:
                reached[name] = k
    return reached


def run_benchmark(problem: SearchProblem, *, methods: Sequence[str], budget: int, seeds: int, batch_size: int = 1,
                  first_seed: int = 0, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Runs every method on every seed; with cheap columns, the cheap-aware methods run twice:
    all objectives black-box (``name``) and cheap objectives declared (``name+cheap``).

    Returns:
        The JSON document: ``methods.<name>.hv_ratio.<budget>`` (list over seeds) etc.
    """
    parsed = [(spec, *method) for spec, method in parse_methods(methods).items()]
    results: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for spec, method, options in parsed:
        why = missing_package(method)
        if why is not None:
            skipped[spec] = why
            log(f"skipping {spec}: {skipped[spec]}")
            continue
        modes = [False, True] if problem.cheap and method in CHEAP_AWARE else [False]
        for use_cheap in modes:
            name = f"{spec}+cheap" if use_cheap else spec
            per_seed, asks, started = [], [], time.perf_counter()
            for seed in range(first_seed, first_seed + seeds):
                run = run_method(problem, method, seed=seed, budget=budget, batch_size=batch_size, use_cheap=use_cheap,
                                 options=options)
                per_seed.append(score_run(problem, run, budget))
                asks += run.ask_seconds
            results[name] = _collect(per_seed)
            results[name]["ask_seconds_median"] = float(np.median(asks)) if asks else None
            results[name]["wall_seconds"] = time.perf_counter() - started
            log(f"{name}: {seeds} seeds in {results[name]['wall_seconds']:.0f} s")
    return {
        "problem": {"objectives": [f"{c}:{'max' if d == 'maximize' else 'min'}" for c, d in problem.objectives],
                    "cheap": problem.cheap, "features": problem.features, "constraints": [str(c) for c in problem.constraints],
                    "rows": len(problem.table.rows), "true_front_rows": len(problem.front_rows),
                    "one_per_class_hv_ratio_cap": problem.one_per_class_cap(),
                    "failing_rows": int(problem.failures.sum()) if problem.failures is not None else 0,
                    "working_rows_hv_ratio_cap": problem.working_rows_cap(),
                    "table": str(problem.table.path)},
        "budget": budget, "seeds": seeds, "batch_size": batch_size, "methods": results, "skipped": skipped,
    }


def _collect(per_seed: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("hv_ratio", "front_recall", "evals_to_hv", "failed_share_after"):
        if key in per_seed[0]:
            out[key] = {str(b): [r[key][b] for r in per_seed] for b in per_seed[0][key]}
    if "evals_to_optimum" in per_seed[0]:
        out["evals_to_optimum"] = [r["evals_to_optimum"] for r in per_seed]
    return out


def format_table(doc: dict[str, Any]) -> str:
    """Medians [IQR] over seeds; ``evals to`` counts seeds that never reached as the budget + 1
    for the median (shown as ``>N`` when the median is not reached)."""
    budget = doc["budget"]
    budgets = [str(b) for b in (*BUDGETS, budget) if b <= budget]
    budgets = list(dict.fromkeys(budgets))
    single = any("evals_to_optimum" in r for r in doc["methods"].values())
    head = ["method", *[f"HV@{b}" for b in budgets], "evals→0.99", "evals→0.999", f"recall@{budgets[-1]}", "ask s"]
    if single:
        head.insert(-1, "evals→optimum")
    failures = any("failed_share_after" in r for r in doc["methods"].values())
    if failures:
        head.insert(-1, "failed after 30")
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, r in doc["methods"].items():
        cells = [name] + [_median_iqr(r["hv_ratio"][b], 4) for b in budgets]
        cells += [_evals(r["evals_to_hv"][t], budget) for t in ("0.99", "0.999")]
        cells.append(_median_iqr(r["front_recall"][budgets[-1]], 2))
        if single:
            cells.append(_evals(r["evals_to_optimum"], budget))
        if failures:
            cells.append(_median_iqr(r["failed_share_after"]["30"], 2) if "30" in r.get("failed_share_after", {}) else "-")
        cells.append(f"{r['ask_seconds_median']:.3f}" if r["ask_seconds_median"] is not None else "-")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _median_iqr(values: list[float], digits: int) -> str:
    a = np.asarray(values, dtype=float)
    q1, med, q3 = np.percentile(a, [25, 50, 75])
    return f"{med:.{digits}f} [{q1:.{digits}f}, {q3:.{digits}f}]"


def _evals(values: list[int | None], budget: int) -> str:
    a = np.array([v if v is not None else budget + 1 for v in values], dtype=float)
    med = float(np.median(a))
    hit = sum(v is not None for v in values)
    return (f">{budget}" if med > budget else f"{med:g}") + f" ({hit}/{len(values)})"


def main_search(args: Any) -> int:
    """The CLI entry: parse, run, print the table, write the JSON."""
    from predictnas.spaces import load_space

    space = load_space(args.space)
    problem = SearchProblem.from_args(space, args.table, args.objective, args.cheap or [], args.constraint or [],
                                      failures=args.failures, features=args.feature)
    methods = split_methods(args.methods)
    log = lambda text: print(text, file=sys.stderr)  # noqa: E731
    log(f"{len(problem.table.rows)} rows, true front: {len(problem.front_rows)} rows; methods {methods}")
    doc = run_benchmark(problem, methods=methods, budget=args.budget, seeds=args.seeds, batch_size=args.batch_size,
                        first_seed=args.first_seed, log=log)
    print(format_table(doc))
    cap = doc["problem"]["one_per_class_hv_ratio_cap"]
    if cap is not None:
        print(f"\nOne evaluation per functionally distinct architecture can reach an HV ratio of {cap:.5f} here "
              "(equivalent rows of the table differ by training noise or by dead ops that still cost latency).")
    working = doc["problem"]["working_rows_hv_ratio_cap"]
    if working is not None:
        print(f"The {doc['problem']['failing_rows']:,} failing rows leave an HV ratio of {working:.5f} within reach "
              "(every other row evaluated).")
    if args.out:
        Path(args.out).write_text(json.dumps(doc, indent=1))
        log(f"results written to {args.out}")
    return 0
