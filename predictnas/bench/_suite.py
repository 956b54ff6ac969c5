"""``predictnas benchmark suite``: problems x methods x seeds, one table, resumable.

The results file is rewritten (atomically) after every run, so a killed suite continues where it
stopped when given the same ``--out``; runs already in it are not repeated.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from predictnas._determinism import blas_kernels
from predictnas.bench._dispatch import missing_package, run_method
from predictnas.bench._methods import Run, parse_methods, split_methods
from predictnas.bench._names import PROPOSER_METHODS
from predictnas.bench._problems import PROBLEMS
from predictnas.bench._search import evals_to
from predictnas.evaluators import SearchProblem
from predictnas.exceptions import InvalidSpecError

BUDGETS = ("25", "50", "100")
FRACTIONS = ("0.95", "0.99")
_RUN_KEYS = {"hv_ratio", "front_recall", "evals_to", "failed_share", "ask_seconds"}
_PACKAGES = ("predictnas", "numpy", "torch", "botorch", "optuna", "pymoo", "syne-tune", "smac", "nas-bench-graph")


def score(problem: SearchProblem, run: Run, cap: float) -> dict[str, Any]:
    """One run's figures: HV ratio and front recall after 25/50/100 evaluations and at the end,
    evaluations until the HV ratio reaches 0.95 and 0.99 of ``cap`` (``None``: never), the share of
    failed evaluations and the ask seconds."""
    rows = run.rows
    points = sorted({min(int(b), len(rows)) for b in BUDGETS} | {len(rows)})
    out: dict[str, Any] = {
        "hv_ratio": {str(b): problem.hv_ratio(rows[:b]) for b in points},
        "front_recall": {str(b): problem.front_recall(rows[:b]) for b in points},
        "evals_to": evals_to(problem, rows, {f: float(f) * cap for f in FRACTIONS}),
        "failed_share": float(np.mean(run.failed)) if run.failed else 0.0,
        "ask_seconds": [round(s, 4) for s in run.ask_seconds],
    }
    return out


def run_suite(problems: Sequence[str], methods: Sequence[str], *, seeds: int, first_seed: int = 0, budget: int = 100,
              batch_size: int = 4, out: str | Path | None = None, data_dir: str | None = None,
              cache_dir: str | None = None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Runs every method on every problem for ``seeds`` seeds (continuing ``out`` if it exists)
    and returns the results document (see :func:`summarize` for what it holds)."""
    unknown = [p for p in problems if p not in PROBLEMS]
    if unknown:
        raise InvalidSpecError(f"Unknown problem(s) {unknown}; `predictnas benchmark suite --list` prints them.")
    parsed = parse_methods(methods)
    doc = _load(out, budget, batch_size)
    doc["versions"] = versions()
    doc["python_hash_seed"] = os.environ.get("PYTHONHASHSEED")
    doc["blas_kernels"] = blas_kernels()  # runs of the same seed on another CPU type propose differently
    if "smac-parego" in parsed and doc["python_hash_seed"] in (None, "random"):
        log("note: SMAC3's runs depend on Python's string-hash seed (its local search orders start points through a set); "
            "run with PYTHONHASHSEED=0 to make its rows reproducible")
    for name in problems:
        definition = PROBLEMS[name]
        try:
            problem = definition.build(data_dir, cache_dir)
        except InvalidSpecError as exc:
            doc["skipped"][name] = str(exc)
            log(f"skipping {name}: {exc}")
            continue
        entry = doc["problems"].setdefault(name, {"methods": {}})
        entry.update(about=definition.about, source=definition.source, objectives=list(definition.objectives),
                     rows=len(problem.table.rows), true_front=len(problem.front_rows),
                     failing_rows=int((~problem.feasible).sum()), cap=problem.hv_ratio(np.flatnonzero(problem.feasible).tolist()),
                     one_per_class_cap=problem.one_per_class_cap())
        for method, (base, options) in parsed.items():
            why = missing_package(base)
            if why is not None:
                doc["skipped"][method] = why
                continue
            runs = entry["methods"].setdefault(method, {"runs": {}})["runs"]
            for seed in range(first_seed, first_seed + seeds):
                if str(seed) in runs:
                    continue
                started = time.perf_counter()
                try:
                    run = run_method(problem, base, seed=seed, budget=budget, options=options or None,
                                     batch_size=batch_size if base in PROPOSER_METHODS else 1)
                except Exception as exc:  # a peer library's crash: recorded, the suite goes on (a rerun retries it)
                    doc["errors"][f"{name} / {method} / seed {seed}"] = f"{type(exc).__name__}: {exc}"
                    log(f"{name} / {method} / seed {seed}: failed: {type(exc).__name__}: {exc}")
                    continue
                doc["errors"].pop(f"{name} / {method} / seed {seed}", None)
                runs[str(seed)] = {**score(problem, run, entry["cap"]), "seconds": time.perf_counter() - started}
                end = max(runs[str(seed)]["hv_ratio"], key=int)
                log(f"{name} / {method} / seed {seed}: HV@{end} {runs[str(seed)]['hv_ratio'][end]:.4f} "
                    f"({runs[str(seed)]['seconds']:.0f} s)")
                _save(doc, out)
    summarize(doc)
    _save(doc, out)
    return doc


def summarize(doc: dict[str, Any]) -> None:
    """Adds per method (in place) ``hv_ratio[b]``, ``front_recall[b]``, ``evals_to[f]`` (one value
    per seed, in seed order), ``ask_seconds_median`` and ``ask_seconds_mean`` (over every ask),
    ``failed_share`` and ``rank`` per budget
    (1 = best median; ``first`` when no method is better by a one-sided Mann-Whitney U test at
    p < 0.05), and per method across problems (``overall``) the median rank at the last budget,
    the number of problems where it is first or tied first there (``first``) and after 50
    evaluations (``first_at_50``), and its worst problem."""
    from scipy.stats import mannwhitneyu

    overall: dict[str, list[tuple[float, str]]] = {}
    for name, entry in doc["problems"].items():
        methods = {m: r for m, r in entry["methods"].items() if r["runs"]}
        for r in methods.values():
            seeds = sorted(r["runs"], key=int)
            runs = [r["runs"][s] for s in seeds]
            r["seeds"] = [int(s) for s in seeds]
            for key in ("hv_ratio", "front_recall"):
                r[key] = {b: [x[key][b] for x in runs] for b in runs[0][key]}
            r["evals_to"] = {f: [x["evals_to"][f] for x in runs] for f in FRACTIONS}
            asks = [s for x in runs for s in x["ask_seconds"]]
            r["ask_seconds_median"] = float(np.median(asks)) if asks else None
            r["ask_seconds_mean"] = float(np.mean(asks)) if asks else None  # the amortised cost, occasional refits included
            r["failed_share"] = float(np.median([x["failed_share"] for x in runs]))
        budgets = sorted({b for r in methods.values() for b in r["hv_ratio"]}, key=int)
        for b in budgets:
            have = {m: r["hv_ratio"][b] for m, r in methods.items() if b in r["hv_ratio"]}
            medians = {m: float(np.median(v)) for m, v in have.items()}
            order = sorted(medians, key=lambda m: -medians[m])
            for m in have:
                beaten = any(len(have[o]) > 1 and len(have[m]) > 1 and medians[o] > medians[m] and
                             mannwhitneyu(have[o], have[m], alternative="greater").pvalue < 0.05 for o in have if o != m)
                methods[m].setdefault("rank", {})[b] = {"rank": order.index(m) + 1, "first": not beaten}
        for m, r in methods.items():
            if budgets and budgets[-1] in r.get("rank", {}):
                rank = r["rank"][budgets[-1]]
                half = r["rank"].get("50", {}).get("first", False)
                overall.setdefault(m, []).append((rank["rank"], name, rank["first"], half))
    doc["overall"] = {m: {"median_rank": float(np.median([k for k, *_ in ranks])), "worst_problem": max(ranks)[1],
                          "worst_rank": max(ranks)[0], "first": sum(first for _, _, first, _ in ranks),
                          "first_at_50": sum(half for *_, half in ranks), "problems": len(ranks)}
                      for m, ranks in overall.items()}


def format_suite(doc: dict[str, Any]) -> str:
    """One Markdown table per problem (medians [IQR] over seeds), then the ranks across problems."""
    lines = []
    for name, entry in doc["problems"].items():
        methods = {m: r for m, r in entry["methods"].items() if r.get("hv_ratio")}
        if not methods:
            continue
        cap = entry["cap"]
        lines += ["", f"### {name}: {', '.join(entry['objectives'])} (cap {cap:.4f}; one per class {_num(entry['one_per_class_cap'])})",
                  "", "| method | seeds | HV@25 | HV@50 | HV@end | evals→0.95 cap | evals→0.99 cap | recall@end | failed | ask s (median / mean) | rank@50 | rank@end |",
                  "|" + "---|" * 12]
        for m, r in sorted(methods.items(), key=lambda kv: kv[1]["rank"][max(kv[1]["rank"], key=int)]["rank"]):
            last = max(r["front_recall"], key=int)
            cells = [m, str(len(r["seeds"]))] + [_median_iqr(r["hv_ratio"][b]) if b in r["hv_ratio"] else "-"
                                                 for b in (*BUDGETS[:-1], last)]
            cells += [_evals(r["evals_to"][f]) for f in FRACTIONS]
            cells += [f"{np.median(r['front_recall'][last]):.2f}", f"{r['failed_share']:.2f}",
                      f"{r['ask_seconds_median']:.3f} / {r['ask_seconds_mean']:.3f}" if r["ask_seconds_median"] is not None else "-"]
            cells += [_rank(r["rank"].get(b)) for b in ("50", last)]
            lines.append("| " + " | ".join(cells) + " |")
    if doc.get("overall"):
        lines += ["", f"### Across problems (rank by median HV after {doc['budget']} evaluations; * = first or tied first)",
                  "", "| method | problems | median rank | first or tied first | first or tied first at 50 | worst problem (rank) |",
                  "|---|---|---|---|---|---|"]
        for m, o in sorted(doc["overall"].items(), key=lambda kv: kv[1]["median_rank"]):
            lines.append(f"| {m} | {o['problems']} | {o['median_rank']:g} | {o['first']} | {o['first_at_50']} | "
                         f"{o['worst_problem']} ({o['worst_rank']}) |")
    return "\n".join(lines).lstrip()


def merge_results(paths: Sequence[str | Path]) -> dict[str, Any]:
    """One results document from several files this command wrote (read as data: JSON only): the
    problems of all of them, each method's seeds pooled; ``sources`` names each file with the
    versions it recorded. Files must share ``budget`` and ``batch_size``, and a seed of a method on
    a problem may come from one file only (a clear error names both otherwise)."""
    doc: dict[str, Any] = {"problems": {}, "skipped": {}, "errors": {}, "sources": []}
    origin: dict[tuple[str, str, str], str] = {}
    for path in paths:
        part = _read(path)
        settings = (part.get("budget"), part.get("batch_size"))
        if doc["sources"] and settings != (doc["budget"], doc["batch_size"]):
            raise InvalidSpecError(f"{path} holds runs with --budget {settings[0]} --batch-size {settings[1]}, "
                                   f"{doc['sources'][0]['file']} with {doc['budget']} and {doc['batch_size']}: "
                                   "only runs of one budget and batch size compare.")
        doc["budget"], doc["batch_size"] = settings
        doc["sources"].append({"file": str(path), "versions": part.get("versions", {})})
        for name, entry in part["problems"].items():
            merged = doc["problems"].setdefault(name, {**{k: v for k, v in entry.items() if k != "methods"}, "methods": {}})
            for method, result in entry.get("methods", {}).items():
                runs = merged["methods"].setdefault(method, {"runs": {}})["runs"]
                for seed, run in result.get("runs", {}).items():
                    if not isinstance(run, dict) or not _RUN_KEYS <= run.keys():
                        raise InvalidSpecError(f"{path}: {name} / {method} / seed {seed} is not a run this command wrote "
                                               f"(it needs {sorted(_RUN_KEYS)}); rerun that seed or remove it.")
                    if (name, method, seed) in origin:
                        raise InvalidSpecError(f"{name} / {method} / seed {seed} is in both {origin[name, method, seed]} "
                                               f"and {path}: keep it in one of them.")
                    origin[name, method, seed], runs[seed] = str(path), run
    summarize(doc)
    return doc


def versions() -> dict[str, str | None]:
    """Installed versions of predictnas, the peers' libraries and the benchmark data package."""
    out: dict[str, str | None] = {}
    for package in _PACKAGES:
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = None
    return out


def list_problems() -> str:
    return "\n".join(f"{p.name:34} {len(p.objectives)} obj  {p.about}" for p in PROBLEMS.values())


def _read(path: str | Path, fix: str = "pass another file") -> dict[str, Any]:
    try:
        doc = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InvalidSpecError(f"{path} is not a results file this command wrote ({exc}); {fix}.") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("problems"), dict):
        raise InvalidSpecError(f"{path} is not a results file this command wrote; {fix}.")
    return doc


def _load(out: str | Path | None, budget: int, batch_size: int) -> dict[str, Any]:
    fresh = {"budget": budget, "batch_size": batch_size, "problems": {}, "skipped": {}, "errors": {}}
    if out is None or not Path(out).is_file():
        return fresh
    doc = _read(out, "pass another --out")
    if (doc.get("budget"), doc.get("batch_size")) != (budget, batch_size):
        raise InvalidSpecError(f"{out} holds runs with --budget {doc.get('budget')} --batch-size {doc.get('batch_size')}; "
                               "continue it with those, or pass another --out.")
    doc.setdefault("skipped", {})
    doc.setdefault("errors", {})
    return doc


def _save(doc: dict[str, Any], out: str | Path | None) -> None:
    if out is None:
        return
    tmp = Path(f"{out}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(doc, indent=1))
    tmp.replace(out)


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.4f}"


def _median_iqr(values: list[float]) -> str:
    q1, med, q3 = np.percentile(np.asarray(values, dtype=float), [25, 50, 75])
    return f"{med:.4f} [{q1:.3f}, {q3:.3f}]"


def _evals(values: list[int | None]) -> str:
    hit = [v for v in values if v is not None]
    med = float(np.median([v if v is not None else np.inf for v in values]))
    return (f"{med:g}" if np.isfinite(med) else "never") + f" ({len(hit)}/{len(values)})"


def _rank(rank: dict[str, Any] | None) -> str:
    return "-" if rank is None else f"{rank['rank']}{'*' if rank['first'] else ''}"


def main_suite(args: Any) -> int:
    """The CLI entry: list, or run, print the tables and write the JSON."""
    if args.list:
        print(list_problems())
        return 0
    if args.tables:
        print(format_suite(merge_results(args.tables)))
        return 0
    problems = [p.strip() for p in args.problems.split(",") if p.strip()] if args.problems else list(PROBLEMS)
    methods = split_methods(args.methods)
    log = lambda text: print(text, file=sys.stderr)  # noqa: E731
    doc = run_suite(problems, methods, seeds=args.seeds, first_seed=args.first_seed, budget=args.budget,
                    batch_size=args.batch_size, out=args.out, data_dir=args.data_dir, cache_dir=args.cache_dir, log=log)
    print(format_suite(doc))
    for what, why in doc["skipped"].items():
        print(f"skipped {what}: {why}", file=sys.stderr)
    for what, why in doc["errors"].items():
        print(f"failed {what}: {why} (run the same command again to retry it)", file=sys.stderr)
    if args.out:
        log(f"results written to {args.out}")
    return 0
