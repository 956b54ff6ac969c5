"""The supernet protocol: a weight-sharing network that can become any architecture of its space."""

from __future__ import annotations

import abc
import copy
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import torch
import torch.nn as nn

from predictnas.exceptions import InvalidArchitectureError
from predictnas.spaces import Arch, SearchSpace


class Supernet(nn.Module, abc.ABC):
    """A network whose forward pass runs the *active* architecture of ``space``.

    Implement :meth:`configure` (set the ``active_*`` attributes of your elastic layers for an
    architecture). Everything else — :meth:`activate`, :func:`profile`, training, evaluation and
    zero-cost proxies — works on any subclass built from :mod:`predictnas.supernets` elastic layers
    or standard torch layers.

    Args:
        space: The search space the supernet covers.
    """

    def __init__(self, space: SearchSpace) -> None:
        super().__init__()
        self.space = space
        self.active_arch: Arch | None = None

    @abc.abstractmethod
    def configure(self, arch: Arch) -> None:
        """Makes ``arch`` (a valid architecture of ``self.space``) the active subnet."""

    @contextmanager
    def activate(self, arch: Mapping[str, Any]) -> Iterator[Arch]:
        """Runs the block with ``arch`` active, then restores the previous architecture."""
        valid = self.space.validate(arch)
        previous = self.active_arch
        self._set(valid)
        try:
            yield valid
        finally:
            self._set(previous if previous is not None else self.largest_arch())

    def _set(self, arch: Arch) -> None:
        self.configure(arch)
        self.active_arch = arch

    def largest_arch(self) -> Arch:
        """Every numeric parameter at its largest choice (override for other spaces)."""
        return self._extreme(max)

    def smallest_arch(self) -> Arch:
        """Every numeric parameter at its smallest choice (override for other spaces)."""
        return self._extreme(min)

    def _extreme(self, pick: Any) -> Arch:
        values = {}
        for p in self.space.params:
            if not p.is_numeric:
                raise InvalidArchitectureError(
                    f"Parameter {p.name!r} of space {self.space.name!r} is not numeric; override "
                    f"{type(self).__name__}.largest_arch()/smallest_arch()."
                )
            values[p.name] = pick(p.choices)
        return self.space.make_arch(values)

    def reset_parameters(self, seed: int) -> None:
        """Re-initialises every layer from ``seed`` (the global torch RNG is left as it was)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            for module in self.modules():
                if module is not self and hasattr(module, "reset_parameters"):
                    module.reset_parameters()

    def reinitialised(self, seed: int) -> Supernet:
        """A copy with freshly initialised weights (for zero-cost proxies at initialisation)."""
        clone = copy.deepcopy(self)
        clone.reset_parameters(seed)
        return clone


def weights_hash(module: nn.Module) -> str:
    """A short SHA-256 of the module's parameters and buffers (names, shapes and bytes)."""
    digest = hashlib.sha256()
    for name, tensor in module.state_dict().items():
        t = tensor.detach().cpu().contiguous()
        digest.update(f"{name}:{tuple(t.shape)}:{t.dtype};".encode())
        digest.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())
    return digest.hexdigest()[:16]


def profile(model: nn.Module, example: torch.Tensor) -> tuple[int, int]:
    """``(params, macs)`` of one forward pass of ``model`` (its active subnet) per input sample.

    Counts only what the pass touches: elastic layers report their active slice (``count``),
    standard convolutions, linear, normalisation and embedding layers are counted from their
    shapes, and layers that did not run (skipped depth) count nothing.
    """
    params = 0
    macs = 0
    seen: set[int] = set()

    def hook(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> None:
        nonlocal params, macs
        p, m = _count(module, inputs, output)
        if id(module) not in seen:
            seen.add(id(module))
            params += p
        macs += m

    leaves = [m for m in model.modules() if hasattr(m, "count") or isinstance(m, _STANDARD)]
    handles = [m.register_forward_hook(hook) for m in leaves]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return params, macs


_STANDARD = (nn.Conv2d, nn.Linear, nn.modules.batchnorm._BatchNorm, nn.LayerNorm, nn.Embedding)


def _count(module: nn.Module, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> tuple[int, int]:
    """``(params, macs per sample)`` of one call."""
    if hasattr(module, "count"):
        return module.count(inputs, output)
    if isinstance(module, nn.Conv2d):
        per_out = module.in_channels // module.groups * module.kernel_size[0] * module.kernel_size[1]
        bias = module.out_channels if module.bias is not None else 0
        return module.weight.numel() + bias, output[0].numel() * per_out
    if isinstance(module, nn.Linear):
        return sum(p.numel() for p in module.parameters()), output[0].numel() * module.in_features
    if isinstance(module, (nn.modules.batchnorm._BatchNorm, nn.LayerNorm)):
        width = inputs[0].shape[1] if isinstance(module, nn.modules.batchnorm._BatchNorm) else inputs[0].shape[-1]
        return (2 * width if module.weight is not None else 0), 0
    if isinstance(module, nn.Embedding):
        return module.num_embeddings * output.shape[-1], 0
    return 0, 0
