"""The evaluator registry: each ``type`` of a study definition's ``[evaluator]`` reads its settings
(plain data, stored in the study file) and rebuilds the evaluator from them on ``run`` and
``resume``. The supernet type is registered lazily (it lives in :mod:`predictnas.supernets` and is
imported when a study uses it), so evaluators stay torch-free."""

from __future__ import annotations

import abc
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from predictnas._registry import Registry, load_entry_point
from predictnas._validation import SpecReader
from predictnas.evaluators._base import Evaluator
from predictnas.evaluators._function import FunctionEvaluator
from predictnas.evaluators._table import TableEvaluator
from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import SearchSpace

#: A path as written in a definition -> an absolute path.
Resolve = Callable[[str], Path]


class EvaluatorType(abc.ABC):
    """One ``[evaluator] type``: :meth:`read` its settings, :meth:`build` the evaluator."""

    @abc.abstractmethod
    def read(self, node: SpecReader, resolve: Resolve) -> dict[str, Any]:
        """The settings to store (JSON data; paths made absolute with ``resolve``); reads every key
        of ``node`` it knows (the caller refuses the rest)."""

    @abc.abstractmethod
    def build(self, config: Mapping[str, Any], space: SearchSpace, *, show_progress: bool = False) -> Evaluator:
        """The evaluator the stored ``config`` describes."""


class TableType(EvaluatorType):
    """``type = "table"``: a CSV with one row per architecture (:class:`TableEvaluator`)."""

    def read(self, node: SpecReader, resolve: Resolve) -> dict[str, Any]:
        return {"path": str(resolve(node.get("path", str, required=True))), "metrics": dict(node.get("metrics", dict, required=True)),
                "cheap": list(node.get("cheap", list, default=[])), "arch_column": node.get("arch_column", str)}

    def build(self, config: Mapping[str, Any], space: SearchSpace, *, show_progress: bool = False) -> Evaluator:
        return TableEvaluator(config["path"], space, config["metrics"], cheap=config.get("cheap", ()),
                              arch_column=config.get("arch_column"))


class FunctionType(EvaluatorType):
    """``type = "function"``: ``entry_point = "module:function"`` (or an ``Evaluator`` class or
    instance) with keyword ``options``; a module beside the definition is importable."""

    def read(self, node: SpecReader, resolve: Resolve) -> dict[str, Any]:
        return {"entry_point": node.get("entry_point", str, required=True),
                "options": dict(node.get("options", dict, default={})), "folder": str(resolve("."))}

    def build(self, config: Mapping[str, Any], space: SearchSpace, *, show_progress: bool = False) -> Evaluator:
        folder = config.get("folder")
        if folder and folder not in sys.path:  # a module beside the study definition, on run and on resume
            sys.path.insert(0, folder)
        target = load_entry_point(config["entry_point"], "evaluator")
        options = dict(config.get("options") or {})
        if isinstance(target, Evaluator):
            return target
        if isinstance(target, type) and issubclass(target, Evaluator):
            return target(**options)
        if options:
            return FunctionEvaluator(lambda arch: target(arch, **options))
        return FunctionEvaluator(target)


EVALUATORS: Registry[EvaluatorType] = Registry(
    "evaluator type", {"table": TableType(), "function": FunctionType()},
    lazy={"supernet": "predictnas.supernets._registry:SUPERNET_EVALUATOR",
          "training": "predictnas.supernets._registry:TRAINING_EVALUATOR"})  # torch only when a study uses it


def read_evaluator(node: SpecReader, resolve: Resolve) -> dict[str, Any]:
    """``{"type": ..., **settings}`` of an ``[evaluator]`` table (an unknown type is one clear error)."""
    kind = node.get("type", str, required=True)
    if kind not in EVALUATORS:
        node.fail(f"unknown evaluator type {kind!r}; use one of {sorted(EVALUATORS)}", "type")
    config = {"type": kind, **EVALUATORS[kind].read(node, resolve)}
    node.done()
    return config


def build_evaluator(config: Mapping[str, Any] | None, space: SearchSpace, *, show_progress: bool = False) -> Evaluator:
    """Rebuilds the evaluator recorded in a study definition (a supernet is trained or loaded first)."""
    if not config:
        raise InvalidSpecError("This study records no evaluator; drive it from Python with study.optimize(evaluator).")
    kind = EVALUATORS.get(config.get("type"))  # type: ignore[arg-type]
    if kind is None:
        raise InvalidSpecError(f"The study records an evaluator of unknown type {config.get('type')!r}; "
                               f"known: {sorted(EVALUATORS)}.")
    return kind.build(config, space, show_progress=show_progress)
