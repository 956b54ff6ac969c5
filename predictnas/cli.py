"""The ``predictnas`` command line. Heavy modules are imported inside each command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from predictnas._cli_bench import add_benchmark_commands
from predictnas._cli_latency import add_latency_commands
from predictnas._validation import key_values
from predictnas._version import __version__
from predictnas.exceptions import InvalidSpecError, PredictNASError, StudyFileDamagedError


def _cmd_spaces(args: argparse.Namespace) -> int:
    from predictnas.spaces import list_spaces, load_space

    for name in list_spaces():
        space = load_space(name)
        print(f"{name:22s} {len(space.params):3d} params  {space.spec.get('description', '')}")
    return 0


def _cmd_space(args: argparse.Namespace) -> int:
    from predictnas._demo import describe_space
    from predictnas.spaces import load_space

    describe_space(load_space(args.space), n_samples=args.samples, seed=args.seed)
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from predictnas._demo import run_demo, run_fidelity_demo

    if args.fidelity:
        run_fidelity_demo(seed=args.seed)
    else:
        run_demo(seed=args.seed)
    return 0


def _write_report(study: Any) -> None:
    """Ends a run with its HTML report beside the study file (when there is something to show)."""
    from predictnas.report import ReportError, report_beside

    try:
        out = report_beside(study)
        if out is not None:
            print(f"report: {out}", file=sys.stderr)
    except ReportError as exc:
        print(f"no report: {exc}", file=sys.stderr)


def _cmd_report(args: argparse.Namespace) -> int:
    from predictnas.report import report
    from predictnas.study import load_study

    study = load_study(args.storage, readonly=True)
    compare = load_study(args.compare, readonly=True) if args.compare else None
    output = args.output
    if output is None and args.format == "html":
        output = str(Path(args.storage).with_suffix(".html"))
    text = report(study, output, format=args.format, compare=compare, figures=args.figures)
    if output is None:
        sys.stdout.write(text)
    else:
        print(f"report written to {output}", file=sys.stderr)
    return 0


def _execution(args: argparse.Namespace) -> dict[str, Any]:
    """``optimize()`` keywords from --workers / --scheduler / --timeout / --retries."""
    if args.workers is not None and args.workers < 1:
        raise InvalidSpecError(f"--workers must be a positive integer; got {args.workers}.")
    if args.timeout is not None and not args.timeout > 0:
        raise InvalidSpecError(f"--timeout must be a positive number of seconds; got {args.timeout}.")
    if args.retries < 0:
        raise InvalidSpecError(f"--retries must be a non-negative integer; got {args.retries}.")
    options: dict[str, Any] = {"n_workers": args.workers, "timeout": args.timeout, "retries": args.retries}
    if args.scheduler:
        from predictnas.executors import dask_client

        options["executor"] = dask_client(args.scheduler)
    return options


def _add_execution_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("parallel evaluation")
    g.add_argument("--workers", type=int, metavar="K", help="evaluations in flight (default 1; >1 without --scheduler: "
                   "local worker processes)")
    g.add_argument("--scheduler", metavar="ADDRESS", help="evaluate on a Dask cluster, e.g. tcp://host:8786 "
                   "(pip install 'predictnas[dask]')")
    g.add_argument("--timeout", type=float, metavar="S", help="seconds per evaluation; longer ones fail")
    g.add_argument("--retries", type=int, default=0, metavar="R", help="re-run a failed evaluation up to R times (default 0)")


def _cmd_run(args: argparse.Namespace) -> int:
    from predictnas.report import format_front
    from predictnas.study import run_definition

    execution = _execution(args)  # an unreachable scheduler fails before the study file is made
    study, evaluator = run_definition(args.study, storage=args.storage, budget=args.budget, seed=args.seed, table=args.table,
                                      proposer=args.proposer, proposer_options=key_values(args.proposer_option or [], where="--proposer-option"),
                                      batch_size=args.batch_size, show_progress=not args.no_progress,
                                      overwrite=args.overwrite)
    print(f"study file: {study.path}", file=sys.stderr)
    args.study_path = study.path
    with study:
        study.optimize(evaluator, show_progress=not args.no_progress, **execution)
        study.check_saved()
        print(format_front(study))
    _write_report(study)
    return 0


def _cmd_resume(args: argparse.Namespace) -> int:
    from predictnas.report import format_front
    from predictnas.study import build_evaluator, load_study

    execution = _execution(args)
    args.study_path = args.storage
    with load_study(args.storage, trust=args.trust) as study:
        evaluator = build_evaluator(study.definition.get("evaluator"), study.space, show_progress=not args.no_progress)
        if args.budget is not None and args.budget != study.budget:
            study.set_budget(args.budget)
        study.optimize(evaluator, show_progress=not args.no_progress, **execution)
        study.check_saved()
        print(format_front(study))
    _write_report(study)
    return 0


def _cmd_verify(args: argparse.Namespace) -> int:
    from predictnas.report import format_front
    from predictnas.study import build_evaluator, load_study

    with load_study(args.storage, trust=args.trust) as study:
        candidates = study.verify_candidates()
        print(f"{len(candidates)} trial(s) stopped early could be on the front: {[t.number for t in candidates]}", file=sys.stderr)
        if candidates or any("verifies" in t.user_attrs and t.state.value == "running" for t in study.trials):
            evaluator = build_evaluator(study.definition.get("evaluator"), study.space, show_progress=False)
            for trial in study.verify(evaluator, n=args.n):
                print(f"trial {trial.number} verifies trial {trial.user_attrs['verifies']}: {trial.state.value} "
                      f"{trial.values or trial.error}", file=sys.stderr)
        study.check_saved()
        print(format_front(study))
    _write_report(study)
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from predictnas.report import make_server

    server = make_server(args.storage, host=args.host, port=args.port, interval_s=args.interval)
    host, port = server.server_address[:2]
    print(f"dashboard of {args.storage}: http://{host}:{port}/  (read-only; Ctrl-C stops it)"
          + ("" if host in ("127.0.0.1", "localhost", "::1") else f"; bound to {host}: anyone who reaches it can read the study"),
          file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


def _cmd_proposers(args: argparse.Namespace) -> int:
    from predictnas.proposers import PROPOSERS, proposer_options

    for name, cls in PROPOSERS.items():
        summary = (cls.__doc__ or "").strip().splitlines()[0]
        print(f"{name}  ({cls.__name__})\n    {summary}\n    use it: {getattr(cls, 'use_when', '-')}")
        options = proposer_options(cls)
        for key, default in options.items():
            print(f"    --proposer-option {key}={default!r}")
        if not options:
            print("    (no options)")
    print("\nYour own: a Proposer subclass, by entry point: --proposer package.module:Class")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from predictnas.report import format_front, format_status
    from predictnas.study import load_study

    with load_study(args.storage, readonly=True) as study:
        print(format_status(study))
        if args.front:
            print(format_front(study))
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from predictnas.report import export_trials
    from predictnas.study import load_study

    try:
        study = load_study(args.storage, readonly=True)
    except StudyFileDamagedError as exc:
        study = load_study(args.storage, salvage=True)  # a damaged file: export what survived
        print(f"predictnas: warning: {args.storage} is damaged ({study.damage or exc}); exporting the "
              f"{len(study.trials)} intact trials.", file=sys.stderr)
        for line in study.lost:
            print(f"predictnas: lost: {line}", file=sys.stderr)
    with study:
        if args.format == "optuna":
            from predictnas.interop import to_optuna

            if not args.output:
                raise InvalidSpecError("--format optuna needs -o STORAGE, an Optuna storage URL such as sqlite:///optuna.db.")
            to_optuna(study, args.output)
            print(f"{len(study.trials)} trials written to Optuna study {study.name!r} in {args.output} "
                  f"(optuna-dashboard {args.output})", file=sys.stderr)
            return 0
        text = export_trials(study, args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8", newline="") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


def _cmd_repair(args: argparse.Namespace) -> int:
    from predictnas.study import repair_study

    state, lost = repair_study(args.storage, args.output)
    for line in lost:
        print(f"left out: {line}", file=sys.stderr)
    done = sum(t.state.value != "running" for t in state.trials.values())
    print(f"repaired study written to {args.output}: {len(state.trials)} trials ({done} finished), "
          f"{len(lost)} damaged or dependent event(s) left out; continue it with `predictnas resume {args.output}`.",
          file=sys.stderr)
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with the likely option named for a mistyped one (``--budgt`` -> ``--budget``)."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        import difflib
        import re

        unknown = re.search(r"unrecognized arguments: (.*)", message)
        if unknown:
            known = sorted(_option_strings(self))
            hints = [f"{match[0]} for {arg}" for arg in unknown.group(1).split() if arg.startswith("-")
                     and (match := difflib.get_close_matches(arg.split("=")[0], known, n=1, cutoff=0.6))]
            if hints:
                message += f" (did you mean {', '.join(hints)}?)"
        super().error(message)


def _option_strings(parser: argparse.ArgumentParser) -> set[str]:
    """Every ``--option`` of ``parser`` and of its sub-commands."""
    out: set[str] = set()
    for action in parser._actions:
        out.update(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                out |= _option_strings(sub)
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="predictnas",
        description="Predictor-driven multi-objective neural architecture search.",
    )
    parser.add_argument("--version", action="version", version=f"predictnas {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser("spaces", help="list the built-in search spaces", description="List the built-in search spaces.")
    p.set_defaults(func=_cmd_spaces)

    p = sub.add_parser(
        "space", help="describe one space: size, samples, encodings",
        description="Load a space (built-in name or .toml path) and print its size, a few samples and their encodings.",
    )
    p.add_argument("space", help="built-in space name (see `predictnas spaces`) or path to a .toml spec")
    p.add_argument("--samples", type=int, default=3, help="number of samples to show (default 3)")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.set_defaults(func=_cmd_space)

    p = sub.add_parser(
        "run", help="run a study definition (studies/*.toml)",
        description="Create the study a definition file describes and run it to its budget. "
        "Relative paths in the definition resolve against its own folder.",
    )
    p.add_argument("study", help="study definition (.toml)")
    p.add_argument("--storage", help="study file to create (default: the definition's storage)")
    p.add_argument("--budget", type=int, help="total number of trials (default: the definition's budget)")
    p.add_argument("--seed", type=int, help="random seed (default: the definition's seed)")
    p.add_argument("--table", help="CSV table for a table evaluator (overrides the definition's path)")
    p.add_argument("--proposer", metavar="NAME", help="proposer (see `predictnas proposers`; replaces the definition's "
                   "proposer and its options)")
    p.add_argument("--proposer-option", action="append", metavar="KEY=VALUE", help="a proposer option (repeat), e.g. "
                   "n_initial=6")
    p.add_argument("--batch-size", type=int, metavar="N", help="trials per proposal step (default: the definition's)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing study file (its trials are deleted), "
                   "e.g. after a first run with a mistake in the definition")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_execution_options(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("proposers", help="list the proposers, their options and when to use each",
                       description="List the built-in proposers with their options (and defaults).")
    p.set_defaults(func=_cmd_proposers)

    p = sub.add_parser("resume", help="continue a study file to its budget",
                       description="Continue a study where its file stops (trials left running are re-run).")
    p.add_argument("storage", help="study file (.db)")
    p.add_argument("--budget", type=int, help="new total number of trials (default: the stored budget)")
    p.add_argument("--trust", action="store_true", help="run the code this file names (entry points, an import folder, "
                   "a checkpoint outside its folder; `status` lists them): only for a file whose writer you trust")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_execution_options(p)
    p.set_defaults(func=_cmd_resume)

    p = sub.add_parser("verify", help="train the trials stopped early that could be on the front to the end",
                       description="Train, each as a new trial at the target fidelity, the trials a stopping rule ended "
                       "early that are on the first two fronts of what every trial reported at their step (most promising "
                       "first), with the study's own evaluator; then print the front.")
    p.add_argument("storage", help="study file (.db)")
    p.add_argument("--n", type=int, metavar="N", help="verify at most N (default: every candidate)")
    p.add_argument("--trust", action="store_true", help="run the code this file names (see `resume --trust`)")
    p.set_defaults(func=_cmd_verify)

    p = sub.add_parser("status", help="summarise a study file", description="Print a short summary of a study file (read-only).")
    p.add_argument("storage", help="study file (.db)")
    p.add_argument("--front", action="store_true", help="also print the Pareto front")
    p.set_defaults(func=_cmd_status)

    p = sub.add_parser("dashboard", help="a live, read-only web page of a study file (safe while it runs)",
                       description="Serve a page that follows the study file as it grows: front, hypervolume, predictor "
                       "quality, trials. Read-only; bound to localhost unless --host says otherwise.")
    p.add_argument("storage", help="the study file")
    p.add_argument("--port", type=int, default=8050, help="port (default 8050; 0: a free one)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--interval", type=float, default=2.0, help="seconds between the page's refreshes (default 2)")
    p.set_defaults(func=_cmd_dashboard)

    p = sub.add_parser("export", help="export all trials as CSV or JSONL, or into an Optuna storage",
                       description="Export one row per trial: number, state, parameters, objectives, ... (read-only; "
                       "of a damaged file, the trials recorded before the damage).")
    p.add_argument("storage", help="study file (.db)")
    p.add_argument("--format", choices=("csv", "jsonl", "optuna"), default="csv", help="output format (default csv; optuna: "
                   "a new study in the Optuna storage -o names, e.g. sqlite:///optuna.db)")
    p.add_argument("-o", "--output", help="output file (default: stdout), or the Optuna storage URL")
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("repair", help="write a new study file from what survives in a damaged one",
                       description="Read a damaged study file (never changed) and write every intact event into a new "
                       "study file that `resume` can continue. Prints what was left out.")
    p.add_argument("storage", help="the damaged study file (.db)")
    p.add_argument("-o", "--output", required=True, help="the new study file to write")
    p.set_defaults(func=_cmd_repair)

    p = sub.add_parser("report", help="write a Pareto-front report (HTML or Markdown)",
                       description="Write a self-contained HTML report (or a Markdown summary) of a study file (read-only).")
    p.add_argument("storage", help="study file (.db)")
    p.add_argument("-o", "--output", help="output file (default: <study>.html beside the study; Markdown: stdout)")
    p.add_argument("--format", choices=("html", "md"), default="html", help="html (default) or md")
    p.add_argument("--compare", metavar="OTHER.db", help="a baseline study: both hypervolume curves on one plot")
    p.add_argument("--figures", metavar="DIR", help="also write PNG and SVG figures into DIR")
    p.set_defaults(func=_cmd_report)

    add_benchmark_commands(sub)
    add_latency_commands(sub)

    p = sub.add_parser("demo", help="run the demo (the main job of `make demo`)", description="Run the built-in demo.")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--fidelity", action="store_true", help="the second demo: subnets trained from scratch with early "
                   "stopping and a verified front (about 3 minutes, no supernet)")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``predictnas`` console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except PredictNASError as exc:
        print(f"predictnas: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        path = getattr(args, "study_path", None)
        print("predictnas: interrupted" + (f"; every finished trial is in {path}: continue with `predictnas resume {path}`"
                                           if path else ""), file=sys.stderr)
        return 130
    except BrokenPipeError:  # `predictnas export X.db | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
