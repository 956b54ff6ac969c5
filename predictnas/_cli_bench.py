"""``predictnas benchmark search|suite``: search methods scored on fully known tables."""

from __future__ import annotations

import argparse
from typing import Any

from predictnas.bench import METHODS, SUITE_METHODS


def add_benchmark_commands(sub: Any) -> None:
    """Adds ``benchmark search`` and ``benchmark suite`` to the ``predictnas`` subcommands ``sub``."""
    p = sub.add_parser("benchmark", help="benchmark search strategies on a fully known table",
                       description="Benchmarks on tables whose every row is known (e.g. NAS-Bench-201).")
    bench = p.add_subparsers(dest="benchmark", metavar="KIND", required=True)
    p = bench.add_parser(
        "search", help="HV ratio, front recall and evaluations-to-target of search methods on one table",
        description="Run every method on the same table for several seeds; print medians [IQR] and write JSON. "
        "Objectives are min-max normalised over the whole table (minimisation, reference point 1.1).",
    )
    p.add_argument("--space", required=True, help="built-in space name or .toml spec whose parameters name table columns")
    p.add_argument("--table", required=True, help="CSV with one row per architecture")
    p.add_argument("--objective", action="append", required=True, metavar="COL:max|min", help="an objective (repeat)")
    p.add_argument("--cheap", action="append", metavar="COL", help="a column known before evaluation (repeat); "
                   "cheap-aware methods then also run as METHOD+cheap")
    p.add_argument("--feature", action="append", metavar="COL", help="a column known before evaluation that is no "
                   "objective (e.g. a zero-cost proxy; repeat): predictnas methods may use it as a model input, "
                   "e.g. predictnas{features=COL}")
    p.add_argument("--constraint", action="append", metavar="COL<=V", help="an outcome constraint (repeat)")
    p.add_argument("--failures", metavar="SPEC", help="inject failed evaluations: random:RATE[:SEED] (a fixed, seeded "
                   "share of the rows) or op:NAME>=K (rows using op NAME on K or more edges)")
    p.add_argument("--budget", type=int, default=200, help="evaluations per run (default 200)")
    p.add_argument("--seeds", type=int, default=10, help="seeds per method (default 10)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--batch-size", type=int, default=1, help="trials per ask for predictnas methods (default 1)")
    p.add_argument("--methods", default="predictnas,random,nsga2,optuna-tpe,optuna-nsga2",
                   help="comma-separated, from: " + ", ".join(METHODS) + "; predictnas proposers take "
                   "options as NAME{key=value,...}, e.g. predictnas{exhaustive_limit=0}")
    p.add_argument("--out", help="JSON results file")
    p.set_defaults(func=_search)
    p = bench.add_parser(
        "suite", help="the public problem suite: NAS-Bench-201 and NAS-Bench-Graph problems x methods x seeds",
        description="Run every method on every problem of the suite (real benchmark data, read at run time) and print "
        "one table per problem and the ranks across problems; with --out, a killed suite continues where it stopped.",
    )
    p.add_argument("--list", action="store_true", help="print the problems and exit")
    p.add_argument("--tables", nargs="+", metavar="RESULTS", help="print the tables of results files (runs pooled "
                   "across files, ranks across all their problems) and exit; runs nothing")
    p.add_argument("--problems", help="comma-separated problem names (default: all; see --list)")
    p.add_argument("--methods", default=",".join(SUITE_METHODS),
                   help="comma-separated, from: " + ", ".join(METHODS) + "; predictnas proposers take options: NAME{key=value,...}")
    p.add_argument("--seeds", type=int, default=10, help="seeds per method and problem (default 10)")
    p.add_argument("--first-seed", type=int, default=0, help="first seed (default 0)")
    p.add_argument("--budget", type=int, default=100, help="evaluations per run (default 100)")
    p.add_argument("--batch-size", type=int, default=4, help="trials per ask for predictnas methods (default 4)")
    p.add_argument("--out", help="JSON results file (continued if it exists)")
    p.add_argument("--data-dir", help="folder of the NAS-Bench-201 tables (default: $PREDICTNAS_DATA_DIR or ../shared/benchdata)")
    p.add_argument("--cache-dir", help="where NAS-Bench-Graph tables are written (default: $PREDICTNAS_CACHE_DIR or "
                   "~/.cache/predictnas)")
    p.set_defaults(func=_suite)


def _search(args: argparse.Namespace) -> int:
    from predictnas.bench import main_search

    return main_search(args)


def _suite(args: argparse.Namespace) -> int:
    from predictnas.bench import main_suite

    return main_suite(args)
