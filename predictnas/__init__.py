"""predictnas: predictor-driven multi-objective neural architecture search.

Importing this package is cheap: torch, botorch, xgboost and pymoo load only when used.

OpenMP threads wait passively unless ``OMP_WAIT_POLICY`` is already set: torch's default is to
spin, and on a machine whose other cores are busy a 2-thread training step then ran 30x slower
than with one thread (passive waiting: 2x). This takes effect when predictnas is imported before
torch, as the command line always does.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from predictnas._version import __version__

# public name -> module that defines it (imported on first access)
_LAZY = {
    "Arch": "predictnas.spaces",
    "SearchSpace": "predictnas.spaces",
    "load_space": "predictnas.spaces",
    "list_spaces": "predictnas.spaces",
    "space_from_spec": "predictnas.spaces",
    "Encoder": "predictnas.encoders",
    "TabularEncoder": "predictnas.encoders",
    "GraphEncoder": "predictnas.encoders",
    "PathEncoder": "predictnas.encoders",
    "SequenceEncoder": "predictnas.encoders",
    "make_encoder": "predictnas.encoders",
    "create_study": "predictnas.study",
    "load_study": "predictnas.study",
    "Study": "predictnas.study",
    "FrozenTrial": "predictnas.study",
    "TrialState": "predictnas.study",
    "Objective": "predictnas.study",
    "Proposer": "predictnas.proposers",
    "ProposalContext": "predictnas.proposers",
    "Evaluator": "predictnas.evaluators",
    "EvalResult": "predictnas.evaluators",
    "FunctionEvaluator": "predictnas.evaluators",
    "SteppedEvaluator": "predictnas.evaluators",
    "TableEvaluator": "predictnas.evaluators",
    "Supernet": "predictnas.supernets",
    "SupernetEvaluator": "predictnas.supernets",
    "StandaloneEvaluator": "predictnas.supernets",
    "train_supernet": "predictnas.supernets",
    "plot_pareto_front": "predictnas.report",
    "plot_hypervolume_history": "predictnas.report",
    "plot_param_importances": "predictnas.report",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'predictnas' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
