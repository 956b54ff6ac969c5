"""Built-in supernets by name, and building a ``SupernetEvaluator`` from a study definition's settings."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, NamedTuple

from predictnas._registry import Registry
from predictnas._validation import SpecReader
from predictnas.evaluators import Evaluator, EvaluatorType
from predictnas.exceptions import InvalidSpecError
from predictnas.spaces import SearchSpace
from predictnas.supernets._base import Supernet
from predictnas.supernets._builtin import DigitsSupernet, Mnist1dSupernet, SequenceTransformerSupernet
from predictnas.supernets._evaluator import SupernetEvaluator
from predictnas.supernets._standalone import StandaloneEvaluator
from predictnas.supernets._task import Task, digits_task, mnist1d_task, recurrence_task
from predictnas.supernets._training import TrainingConfig, train_supernet


class BuiltinSupernet(NamedTuple):
    """A supernet class, the task it learns, its default training settings, and the torch threads
    it trains and evaluates on (``None``: torch's own setting; the small built-ins use one)."""

    make: Callable[[], Supernet]
    task: Callable[[], Task]
    training: TrainingConfig
    threads: int | None = None


BUILTIN_SUPERNETS: Registry[BuiltinSupernet] = Registry("supernet", {
    "mnist1d_cnn": BuiltinSupernet(Mnist1dSupernet, mnist1d_task, TrainingConfig(epochs=60, batch_size=128, lr=3e-3, n_random=4), 1),
    "digits_cnn": BuiltinSupernet(DigitsSupernet, digits_task, TrainingConfig(epochs=40, lr=3e-3), 1),
    "seq_transformer": BuiltinSupernet(SequenceTransformerSupernet, recurrence_task, TrainingConfig(epochs=20, lr=1e-3), 1),
})


def resolve_supernet(name: str) -> BuiltinSupernet:
    """A built-in name, or ``"package.module:factory"`` where ``factory()`` returns a ``BuiltinSupernet``."""
    target = BUILTIN_SUPERNETS.resolve(name)
    built = target() if callable(target) and not isinstance(target, BuiltinSupernet) else target
    if not isinstance(built, BuiltinSupernet):
        raise InvalidSpecError(f"Supernet entry point {name!r} must give a BuiltinSupernet(make, task, training); "
                               f"got {type(built).__name__}.")
    return built


def training_config(base: TrainingConfig, overrides: Mapping[str, Any], source: str = "training") -> TrainingConfig:
    """``base`` with the given fields replaced; unknown keys are an error naming the allowed ones."""
    allowed = {f.name for f in fields(TrainingConfig)}
    unknown = sorted(set(overrides) - allowed)
    if unknown:
        raise InvalidSpecError(f"{source}: unknown setting(s) {unknown}; allowed: {sorted(allowed)}.")
    return replace(base, **overrides)


def build_supernet_evaluator(config: Mapping[str, Any], *, show_progress: bool = False) -> SupernetEvaluator:
    """Trains (or loads / resumes from ``config["checkpoint"]``) the supernet and wraps it in an evaluator.

    ``config``: ``supernet`` (name or entry point), ``checkpoint`` (path, optional), ``training``
    (``TrainingConfig`` overrides) and ``options`` (``SupernetEvaluator`` keyword arguments).
    """
    _import_folder(config)
    builtin = resolve_supernet(str(config["supernet"]))
    training = training_config(builtin.training, config.get("training", {}))
    supernet, task = builtin.make(), builtin.task()
    checkpoint = config.get("checkpoint")
    train_supernet(supernet, task, training, checkpoint=Path(checkpoint) if checkpoint else None,
                   show_progress=show_progress, threads=builtin.threads)
    try:
        return SupernetEvaluator(supernet, task, **{"threads": builtin.threads, **dict(config.get("options", {}))})
    except TypeError as exc:
        raise InvalidSpecError(f"evaluator options: {exc}") from None


def build_standalone_evaluator(config: Mapping[str, Any]) -> StandaloneEvaluator:
    """Each candidate trained from scratch: ``supernet`` (name or entry point) supplies the layers,
    ``training`` overrides its standalone settings (by default the supernet's own training settings;
    ``epochs`` is the target fidelity)."""
    _import_folder(config)
    builtin = resolve_supernet(str(config["supernet"]))
    training = training_config(builtin.training, config.get("training", {}))
    return StandaloneEvaluator(builtin.make(), builtin.task(), training, threads=builtin.threads)


def _import_folder(config: Mapping[str, Any]) -> None:
    """A supernet module beside the study definition (``supernet = "mymodule:factory"``) is importable,
    as a function evaluator's is: the definition's folder goes on ``sys.path``."""
    folder = config.get("folder")
    if folder and folder not in sys.path:
        sys.path.insert(0, folder)


def _read_supernet(node: SpecReader, resolve: Callable[[str], Path]) -> dict[str, Any]:
    """``supernet`` and, for an entry point, the definition's folder (to import it from)."""
    name = node.get("supernet", str, required=True)
    return {"supernet": name, **({"folder": str(resolve("."))} if ":" in name else {})}


class SupernetType(EvaluatorType):
    """``type = "supernet"``: a weight-sharing supernet, trained or loaded from ``checkpoint``."""

    def read(self, node: SpecReader, resolve: Callable[[str], Path]) -> dict[str, Any]:
        checkpoint = node.get("checkpoint", str)
        return {**_read_supernet(node, resolve), "checkpoint": str(resolve(checkpoint)) if checkpoint else None,
                "training": dict(node.get("training", dict, default={})), "options": dict(node.get("options", dict, default={}))}

    def build(self, config: Mapping[str, Any], space: SearchSpace, *, show_progress: bool = False) -> Evaluator:
        evaluator = build_supernet_evaluator(config, show_progress=show_progress)
        if evaluator.supernet.space.name != space.name:
            raise InvalidSpecError(f"Supernet {config['supernet']!r} covers space {evaluator.supernet.space.name!r}, "
                                   f"but the study searches {space.name!r}.")
        return evaluator


SUPERNET_EVALUATOR = SupernetType()


class TrainingType(EvaluatorType):
    """``type = "training"``: every candidate trained from scratch, one epoch per step (with a
    ``[stopper]``, hopeless ones stop early); ``supernet`` names the model family, ``training``
    its settings (e.g. ``{ epochs = 15 }``)."""

    def read(self, node: SpecReader, resolve: Callable[[str], Path]) -> dict[str, Any]:
        return {**_read_supernet(node, resolve), "training": dict(node.get("training", dict, default={}))}

    def build(self, config: Mapping[str, Any], space: SearchSpace, *, show_progress: bool = False) -> Evaluator:
        evaluator = build_standalone_evaluator(config)
        if evaluator.supernet.space.name != space.name:
            raise InvalidSpecError(f"Supernet {config['supernet']!r} covers space {evaluator.supernet.space.name!r}, "
                                   f"but the study searches {space.name!r}.")
        return evaluator


TRAINING_EVALUATOR = TrainingType()
