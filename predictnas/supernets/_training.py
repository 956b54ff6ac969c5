"""Supernet training: the sandwich rule with in-place distillation (BigNAS), seeded and resumable.

Each step trains the largest subnet on the labels, then the smallest and ``n_random`` random
subnets on the largest one's softened predictions, and takes one optimizer step on the summed
gradients. The subnets of step ``t`` are drawn from ``default_rng([seed, t])`` and epoch ``e``'s
order from a torch generator seeded with ``(seed, e)``, so a run resumed from a checkpoint
continues exactly as an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from predictnas._determinism import torch_threads
from predictnas.exceptions import InvalidSpecError
from predictnas.supernets._base import Supernet, weights_hash
from predictnas.supernets._task import Task

CHECKPOINT_FORMAT = "predictnas-supernet-checkpoint"


@dataclass(frozen=True)
class TrainingConfig:
    """How a supernet is trained.

    Attributes:
        epochs: Passes over the training set.
        batch_size: Minibatch size.
        lr: Peak learning rate of AdamW (cosine decay to 0).
        weight_decay: AdamW weight decay.
        n_random: Random subnets per step besides the largest and the smallest.
        temperature: Distillation temperature.
        distill: Train the smaller subnets on the largest one's predictions (in-place
            distillation, BigNAS); ``False``: every subnet on the labels.
        seed: Seed of the weights, the data order and the sampled subnets.
    """

    epochs: int = 40
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 1e-4
    n_random: int = 2
    temperature: float = 1.0
    distill: bool = True
    seed: int = 0


@dataclass(frozen=True)
class TrainingResult:
    """What :func:`train_supernet` did: the weights' hash, epochs run now, total seconds spent."""

    weights_hash: str
    epochs_run: int
    train_s: float
    checkpoint: Path | None


def train_supernet(
    supernet: Supernet,
    task: Task,
    config: TrainingConfig = TrainingConfig(),
    *,
    checkpoint: str | Path | None = None,
    show_progress: bool = False,
    threads: int | None = None,
) -> TrainingResult:
    """Trains ``supernet`` in place, resuming from (and saving after each epoch to) ``checkpoint``.

    A checkpoint of a finished run with the same configuration is loaded without training; one
    written with a different configuration or another supernet is refused (move it away).
    ``threads``: torch threads while training (``None``: torch's own setting).
    """
    with torch_threads(threads):
        return _train(supernet, task, config, checkpoint, show_progress)


def _train(supernet: Supernet, task: Task, config: TrainingConfig, checkpoint: str | Path | None,
           show_progress: bool) -> TrainingResult:
    path = Path(checkpoint) if checkpoint is not None else None
    optimizer = torch.optim.AdamW(supernet.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    start_epoch, spent = 0, 0.0
    if path is not None and path.exists():
        state = load_checkpoint(path, supernet, config, task=task)
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, spent = int(state["epoch"]), float(state["train_s"])
    else:
        supernet.reset_parameters(config.seed)
    steps_per_epoch = math.ceil(len(task.X_train) / config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    bar = _progress(config.epochs, start_epoch, show_progress)
    largest, smallest = supernet.largest_arch(), supernet.smallest_arch()
    supernet.train()
    for epoch in range(start_epoch, config.epochs):
        began = time.perf_counter()
        generator = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
        for i, (x, y) in enumerate(task.train_batches(config.batch_size, generator)):
            step = epoch * steps_per_epoch + i
            for group in optimizer.param_groups:
                group["lr"] = config.lr * 0.5 * (1 + math.cos(math.pi * step / total_steps))
            rng = np.random.default_rng([config.seed, step])
            _sandwich_step(supernet, x, y, [largest, smallest, *supernet.space.sample(config.n_random, rng=rng)], config)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        spent += time.perf_counter() - began
        if path is not None:
            save_checkpoint(path, supernet, optimizer, config, epoch + 1, spent, task=task)
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    supernet._set(largest)
    supernet.eval()
    return TrainingResult(weights_hash(supernet), config.epochs - start_epoch, spent, path)


def train_standalone(supernet: Supernet, task: Task, arch: Any, config: TrainingConfig = TrainingConfig(), *,
                     on_epoch: Callable[[int, dict[str, float]], None] | None = None) -> dict[str, float]:
    """Trains one architecture from scratch, alone, with the supernet's own layers (its slice of
    freshly initialised weights): the ground truth that inherited weights are compared with.

    Plain cross-entropy, AdamW with cosine decay over ``config.epochs``, seeded by
    ``config.seed``. Returns ``{"acc", "loss"}`` on the validation split (``supernet`` is left
    trained on ``arch``). ``on_epoch(epoch, {"acc", "loss", "seconds"})`` is called after each
    epoch (1-based) with the validation result and the seconds the epoch's training took (the
    validation pass is not counted); the training itself is the same with or without it.
    """
    for epoch, result in enumerate(standalone_epochs(supernet, task, arch, config, validate=on_epoch is not None), start=1):
        if on_epoch is not None:
            on_epoch(epoch, result)
    return _validate(supernet, task)


def standalone_epochs(supernet: Supernet, task: Task, arch: Any, config: TrainingConfig = TrainingConfig(), *,
                      validate: bool = True) -> Iterator[dict[str, float]]:
    """:func:`train_standalone` one epoch at a time: after each, ``{"acc", "loss", "seconds"}``
    (``{"seconds"}`` without ``validate``). Stop iterating to stop training early."""
    supernet.reset_parameters(config.seed)
    valid = supernet.space.validate(arch)
    supernet._set(valid)
    optimizer = torch.optim.AdamW(supernet.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    steps_per_epoch = math.ceil(len(task.X_train) / config.batch_size)
    total_steps = config.epochs * steps_per_epoch
    supernet.train()
    for epoch in range(config.epochs):
        started = time.perf_counter()
        generator = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
        for i, (x, y) in enumerate(task.train_batches(config.batch_size, generator)):
            for group in optimizer.param_groups:
                group["lr"] = config.lr * 0.5 * (1 + math.cos(math.pi * (epoch * steps_per_epoch + i) / total_steps))
            F.cross_entropy(supernet(x), y).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        seconds = time.perf_counter() - started
        yield {**(_validate(supernet, task) if validate else {}), "seconds": seconds}
        supernet.train()


def _validate(supernet: Supernet, task: Task) -> dict[str, float]:
    """``{"acc" (%), "loss"}`` of the active subnet on the validation split (eval mode)."""
    supernet.eval()
    with torch.no_grad():
        logits = supernet(task.X_val)
    return {"acc": float((logits.argmax(1) == task.y_val).float().mean()) * 100, "loss": float(F.cross_entropy(logits, task.y_val))}


def _sandwich_step(supernet: Supernet, x: torch.Tensor, y: torch.Tensor, archs: list, config: TrainingConfig) -> None:
    teacher: torch.Tensor | None = None
    for arch in archs:
        supernet._set(arch)
        logits = supernet(x)
        if teacher is None or not config.distill:
            loss = F.cross_entropy(logits, y)
            teacher = F.softmax(logits.detach() / config.temperature, dim=-1)
        else:
            log_p = F.log_softmax(logits / config.temperature, dim=-1)
            loss = F.kl_div(log_p, teacher, reduction="batchmean") * config.temperature**2
        loss.backward()


def task_fingerprint(task: Task) -> str:
    """``"<name>:<sha1 of the training data>"``: which data a checkpoint was trained on."""
    digest = hashlib.sha1(task.X_train.numpy().tobytes() + task.y_train.numpy().tobytes()).hexdigest()[:16]
    return f"{task.name}:{digest}"


def save_checkpoint(path: Path, supernet: Supernet, optimizer: torch.optim.Optimizer, config: TrainingConfig,
                    epoch: int, train_s: float, *, task: Task | None = None) -> None:
    """Writes the checkpoint atomically (temporary file, then rename)."""
    state = {
        "format": CHECKPOINT_FORMAT, "version": 1, "supernet": type(supernet).__name__,
        "space": supernet.space.name, "config": asdict(config), "epoch": epoch, "train_s": train_s,
        "task": task_fingerprint(task) if task is not None else None,
        "weights_hash": weights_hash(supernet), "model": supernet.state_dict(), "optimizer": optimizer.state_dict(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".tmp{os.getpid()}")
    torch.save(state, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | Path, supernet: Supernet, config: TrainingConfig | None = None, *,
                    task: Task | None = None) -> dict[str, Any]:
    """Loads weights into ``supernet``; checks the checkpoint's kind (and the configuration and
    training data when given: a checkpoint of other data is refused, not silently reused)."""
    path = Path(path)
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same clear message
        raise InvalidSpecError(f"Supernet checkpoint {str(path)!r} cannot be read ({type(exc).__name__}); "
                               "delete it to retrain.") from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise InvalidSpecError(f"{str(path)!r} is not a predictnas supernet checkpoint.")
    if state["supernet"] != type(supernet).__name__ or state["space"] != supernet.space.name:
        raise InvalidSpecError(f"Checkpoint {str(path)!r} belongs to {state['supernet']} on space "
                               f"{state['space']!r}, not {type(supernet).__name__} on {supernet.space.name!r}.")
    if config is not None and state["config"] != asdict(config):
        changed = sorted(k for k in state["config"] if state["config"][k] != asdict(config).get(k))
        raise InvalidSpecError(f"Checkpoint {str(path)!r} was trained with other settings ({changed}); "
                               "use another checkpoint path or delete it to retrain.")
    if task is not None and state.get("task") != task_fingerprint(task):
        found = f"on {state['task'].split(':')[0]!r} data that differs from today's" if state.get("task") else \
            "by an older predictnas that did not record its training data"
        raise InvalidSpecError(f"Checkpoint {str(path)!r} was trained {found} ({task.name!r} task); use another "
                               "checkpoint path or delete it to retrain.")
    supernet.load_state_dict(state["model"])
    supernet._set(supernet.largest_arch())
    supernet.eval()
    return state


def _progress(total: int, done: int, enabled: bool) -> Any:
    if not enabled:
        return None
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=done, desc="supernet epochs", unit="epoch")
