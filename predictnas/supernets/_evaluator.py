"""``SupernetEvaluator``: score subnets with inherited weights (BN recalibrated per subnet)."""

from __future__ import annotations

import logging

import statistics
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F

from predictnas._determinism import torch_threads
from predictnas.evaluators import EvalResult, Evaluator
from predictnas.spaces import Arch
from predictnas.supernets._base import Supernet, profile, weights_hash
from predictnas.supernets._proxies import PROXIES
from predictnas.supernets._task import Task


logger = logging.getLogger("predictnas.supernets")


class SupernetEvaluator(Evaluator):
    """Evaluates an architecture as the active subnet of a trained supernet.

    Values: ``acc`` (validation accuracy, %), ``loss`` (validation cross-entropy), ``params``
    (thousands), ``macs`` (millions, per sample) and, with ``latency=True``, ``latency_ms`` (median
    CPU time of a batch-1 forward pass, warm-up excluded). Cheap statistics (no training needed):
    ``params``, ``macs`` and the zero-cost ``proxies`` of the subnet at initialisation. Each result
    records the checkpoint (``supernet_checkpoint``, a hash of the weights) that produced it.

    Args:
        supernet: A trained supernet (its weights are used as they are).
        task: The data: validation split for scoring, training batches for BN recalibration.
        recalibration_batches: Training batches that re-estimate batch-norm statistics per subnet
            (0 disables recalibration; the supernet's running statistics are then used).
        batch_size: Batch size of recalibration and validation.
        latency: Also measure CPU latency.
        latency_repeats: Timed repetitions for the latency median.
        proxies: Zero-cost proxies to compute in :meth:`cheap_statistics` (names in ``PROXIES`` or
            entry points); none by default: a proxy costs a forward and backward pass per
            candidate, so only the ones a study names are computed. One that cannot be computed
            for this supernet (e.g. ``nwot`` without ReLU modules) is left out with a warning,
            never a failed trial.
        proxy_seed: Seed of the initialisation the proxies score.
        threads: torch threads while evaluating (``None``: torch's own setting).
    """

    def __init__(self, supernet: Supernet, task: Task, *, recalibration_batches: int = 4, batch_size: int = 256,
                 latency: bool = False, latency_repeats: int = 20, proxies: Sequence[str] = (),
                 proxy_seed: int = 0, threads: int | None = None) -> None:
        self._proxies = {name: PROXIES.resolve(name) for name in proxies}  # names or "package.module:function"
        self.supernet, self.task = supernet, task
        self.recalibration_batches, self.batch_size = recalibration_batches, batch_size
        self.latency, self.latency_repeats = latency, latency_repeats
        self.proxies, self.proxy_seed, self.threads = tuple(proxies), proxy_seed, threads
        self.checkpoint = weights_hash(supernet)
        generator = torch.Generator().manual_seed(proxy_seed)
        self._recalibration = task.train_batches(batch_size, generator)[:recalibration_batches]
        self._proxy_batch = task.train_batches(64, torch.Generator().manual_seed(proxy_seed + 1))[0]
        self._init_net: Supernet | None = None
        self._proxy_warned: set[str] = set()

    def evaluate(self, arch: Arch) -> EvalResult:
        with torch_threads(self.threads):
            return self._evaluate(arch)

    def _evaluate(self, arch: Arch) -> EvalResult:
        net = self.supernet
        with net.activate(arch), recalibrated_batchnorm(net, [x for x, _ in self._recalibration]):
            loss, acc = 0.0, 0
            with torch.no_grad():
                for i in range(0, len(self.task.X_val), self.batch_size):
                    x, y = self.task.X_val[i:i + self.batch_size], self.task.y_val[i:i + self.batch_size]
                    logits = net(x)
                    loss += F.cross_entropy(logits, y, reduction="sum").item()
                    acc += int((logits.argmax(-1) == y).sum())
            n = len(self.task.X_val)
            values: dict[str, float] = {"acc": 100.0 * acc / n, "loss": loss / n}
            params, macs = profile(net, self.task.X_val[:1])
            values.update(params=params / 1e3, macs=macs / 1e6)
            if self.latency:
                values["latency_ms"] = measure_latency(net, self.task.X_val[:1], repeats=self.latency_repeats)
        return EvalResult(values=values, cheap=self.cheap_statistics(arch),
                          user_attrs={"supernet_checkpoint": self.checkpoint})

    def cheap_statistics(self, arch: Arch) -> Mapping[str, float]:
        """``params`` (K), ``macs`` (M) and the zero-cost proxies of ``arch`` at initialisation."""
        if self._init_net is None:
            self._init_net = self.supernet.reinitialised(self.proxy_seed)
        net = self._init_net
        x, y = self._proxy_batch
        with net.activate(arch):
            params, macs = profile(net, x[:1])
            stats = {"params": params / 1e3, "macs": macs / 1e6}
            for name in self.proxies:
                try:
                    stats[name] = float(self._proxies[name](net, x, y))
                except Exception as exc:  # a proxy this supernet does not support: a missing value, not a failure
                    if name not in self._proxy_warned:
                        self._proxy_warned.add(name)
                        logger.warning("zero-cost proxy %r cannot be computed for %s (%s: %s); it is left out of the "
                                       "cheap statistics", name, type(net).__name__, type(exc).__name__, exc)
        return stats


@contextmanager
def recalibrated_batchnorm(model: nn.Module, batches: Sequence[torch.Tensor]) -> Iterator[None]:
    """Inside the block, batch-norm statistics are re-estimated on ``batches`` for the active subnet
    (cumulative average) and the model is in eval mode; the previous statistics come back after."""
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    saved = [(m.momentum, m.running_mean.clone(), m.running_var.clone(), m.num_batches_tracked.clone()) for m in norms]
    was_training = model.training
    try:
        if batches and norms:
            for m in norms:
                m.reset_running_stats()
                m.momentum = None
            model.train()
            with torch.no_grad():
                for x in batches:
                    model(x)
        model.eval()
        yield
    finally:
        for m, (momentum, mean, var, count) in zip(norms, saved):
            m.momentum = momentum
            with torch.no_grad():
                m.running_mean.copy_(mean)
                m.running_var.copy_(var)
                m.num_batches_tracked.copy_(count)
        model.train(was_training)


def measure_latency(model: nn.Module, example: torch.Tensor, *, repeats: int = 20, warmup: int = 3) -> float:
    """Median wall time (ms) of ``model(example)`` over ``repeats`` runs after ``warmup`` runs."""
    return statistics.median(run_times(model, example, repeats=repeats, warmup=warmup))


def run_times(model: Callable[[torch.Tensor], Any], example: torch.Tensor, *, repeats: int = 20, warmup: int = 3) -> list[float]:
    """Wall time (ms) of each of ``repeats`` calls ``model(example)`` after ``warmup`` untimed ones."""
    times = []
    with torch.inference_mode():
        for i in range(warmup + repeats):
            start = time.perf_counter()
            model(example)
            if i >= warmup:
                times.append((time.perf_counter() - start) * 1e3)
    return times

