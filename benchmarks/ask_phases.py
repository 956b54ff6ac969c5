"""Where one suite run's asks spend their time, ask by ask (the figures behind docs/search.md's
"what is left" of the ask target).

    python benchmarks/ask_phases.py [--problem nbg-citeseer-latency-canonical] [--seed 0] [--budget 200]
                                    [--every 4] [--data-dir DIR] [--cache-dir DIR] [--out r.json]

Runs the default proposer on a suite problem (``predictnas benchmark suite --list``), asking for
batches of 4 as the suite does, and prints, for every ``--every``-th ask, the complete trials
before it, the ask's seconds and the ``phase_seconds`` the proposal records (fit, pool,
shortlist, acquisition) with its acquisition function. Time it as the suite is timed
(``OMP_NUM_THREADS=1``, the other core busy).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from predictnas.bench import PROBLEMS
from predictnas.bench._methods import PROPOSER_METHODS, lookup
from predictnas.exceptions import PredictNASError
from predictnas.study import TrialState, create_study

PHASES = ("fit", "pool", "shortlist", "acquisition")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problem", default="nbg-citeseer-latency-canonical", choices=sorted(PROBLEMS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--every", type=int, default=4, help="print every k-th ask (all are in --out)")
    parser.add_argument("--data-dir", help="NAS-Bench-201 tables (default: $PREDICTNAS_DATA_DIR, ../shared/benchdata)")
    parser.add_argument("--cache-dir", help="where the suite writes NAS-Bench-Graph tables")
    parser.add_argument("--out", help="JSON results file")
    args = parser.parse_args()
    try:
        problem = PROBLEMS[args.problem].build(args.data_dir, args.cache_dir)
    except PredictNASError as exc:
        sys.exit(f"ask_phases.py: {exc}")
    study = create_study(space=problem.space, objectives=problem.study_objectives(use_cheap=False),
                         proposer=PROPOSER_METHODS["predictnas"], seed=args.seed)
    asks, told = [], 0
    print(f"| complete trials | ask s | {' | '.join(PHASES)} | acquisition function |\n|---|---|---|---|---|---|---|")
    while told < args.budget:
        started = time.perf_counter()
        trials = study.ask(min(args.batch_size, args.budget - told))
        seconds = time.perf_counter() - started
        proposal = study.proposals[-1]
        asks.append({"complete": told, "seconds": seconds, "phase_seconds": proposal.get("phase_seconds", {}),
                     "acquisition": proposal.get("acquisition", proposal.get("model"))})
        for trial in trials:
            told += 1
            if trial.state is not TrialState.RUNNING:
                continue
            _, values = lookup(problem, trial.arch)
            if values is None:
                study.tell(trial, state="failed", error="no answer in the table")
            else:
                study.tell(trial, values)
        if (len(asks) - 1) % args.every == 0:
            a = asks[-1]
            phases = " | ".join(f"{a['phase_seconds'][p]:.2f}" if p in a["phase_seconds"] else "-" for p in PHASES)
            print(f"| {a['complete']} | {a['seconds']:.2f} | {phases} | {a['acquisition']} |", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({"problem": args.problem, "seed": args.seed, "asks": asks}, indent=1))


if __name__ == "__main__":
    main()
