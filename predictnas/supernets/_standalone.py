"""``StandaloneEvaluator``: candidates that cost training, one epoch per step."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
import torch

from predictnas.evaluators import EvalResult, SteppedEvaluator
from predictnas.spaces import Arch
from predictnas._determinism import torch_threads
from predictnas.supernets._base import Supernet, profile
from predictnas.supernets._task import Task
from predictnas.supernets._training import TrainingConfig, standalone_epochs


class StandaloneEvaluator(SteppedEvaluator):
    """Trains each architecture from scratch, alone (the supernet's layers, fresh weights seeded
    by ``config.seed``; see :func:`~predictnas.supernets.train_standalone`), one epoch per step.

    Each step yields ``acc`` (validation accuracy after that epoch, %), ``macs`` (millions) and
    ``params`` (thousands); ``user_attrs["epoch_seconds"]`` is the epoch's training time. With a
    stopper a hopeless architecture stops between two epochs; ``macs`` and ``params`` are cheap
    statistics (known before training).

    Args:
        supernet: Supplies the layers (its weights are re-initialised per architecture).
        task: The data.
        config: Training settings (``epochs`` is the target fidelity).
        threads: torch threads while training (``None``: torch's own setting).
    """

    def __init__(self, supernet: Supernet, task: Task, config: TrainingConfig, *, threads: int | None = None) -> None:
        self.supernet, self.task, self.config, self.threads = supernet, task, config, threads

    def steps(self, arch: Arch) -> Iterator[EvalResult]:
        static = self.cheap_statistics(arch)
        epochs = standalone_epochs(self.supernet, self.task, arch, self.config)
        while True:
            with torch_threads(self.threads):  # per epoch: never held across a yield
                result = next(epochs, None)
            if result is None:
                return
            yield EvalResult({"acc": result["acc"], **static}, user_attrs={"epoch_seconds": round(result["seconds"], 4)})

    def cheap_statistics(self, arch: Arch) -> Mapping[str, float]:
        with self.supernet.activate(arch), torch.no_grad():
            params, macs = profile(self.supernet, self.task.X_val[:1])
        return {"macs": macs / 1e6, "params": params / 1e3}

    def __repr__(self) -> str:
        return f"StandaloneEvaluator({type(self.supernet).__name__}, epochs={self.config.epochs})"
