"""The ``predictnas`` command line. Heavy modules are imported inside each command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from predictnas._version import __version__
from predictnas.exceptions import PredictNASError


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
    from predictnas._demo import run_demo

    run_demo(seed=args.seed)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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

    p = sub.add_parser("demo", help="run the demo (the main job of `make demo`)", description="Run the built-in demo.")
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
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
        print("predictnas: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
