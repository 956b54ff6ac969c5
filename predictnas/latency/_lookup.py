"""A supernet's latency from a per-block lookup table (FBNet / ProxylessNAS / OFA style): each
block configuration is timed once, a subnet's latency is the sum along its blocks, calibrated on a
few end-to-end measurements."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import torch
import torch.nn as nn

from predictnas.exceptions import InvalidValuesError

from predictnas.supernets import Supernet, measure_latency
from predictnas.types import as_real

Key = str  # "block name|input shape|active configuration"


class BlockLatencyTable:
    """Per-block latency lookup table of a supernet on this machine, with a linear calibration.

    Blocks are the supernet's children, looking through ``ModuleList`` / ``ModuleDict``
    containers (e.g. each ``ConvBlock1d`` of a stage, each exit head). A block's entry is keyed by
    its name, input shape and the ``active_*`` attributes of its layers, and holds the median time
    (ms) of that block alone on that input. Work outside the blocks (pooling, the framework's
    per-call overhead) is what :meth:`calibrate` learns: ``measured = a + b * sum of entries``
    (Theil-Sen: the median of pairwise slopes, robust to a timing spike).

    Args:
        supernet: The supernet (any :class:`~predictnas.supernets.Supernet`).
        example: One input batch, e.g. ``(1, 1, 40)`` for batch-1 latency.
        repeats: Timed runs per entry (the median is kept); ``warmup`` untimed runs first.
    """

    def __init__(self, supernet: Supernet, example: torch.Tensor, *, repeats: int = 20, warmup: int = 3) -> None:
        self.supernet, self.example, self.repeats, self.warmup = supernet.eval(), example, repeats, warmup
        self.entries: dict[Key, float] = {}
        self.intercept, self.slope = 0.0, 1.0

    def blocks(self) -> list[tuple[str, nn.Module]]:
        """``(name, module)`` of every block, in registration order."""
        out: list[tuple[str, nn.Module]] = []

        def walk(prefix: str, module: nn.Module) -> None:
            for name, child in module.named_children():
                full = f"{prefix}{name}"
                if isinstance(child, (nn.ModuleList, nn.ModuleDict)):
                    walk(full + ".", child)
                else:
                    out.append((full, child))

        walk("", self.supernet)
        return out

    def build(self, archs: Iterable[Mapping[str, Any]]) -> BlockLatencyTable:
        """Times every block configuration that ``archs`` run and the table lacks."""
        for arch in archs:
            self._keys(arch, measure=True)
        return self

    def raw(self, arch: Mapping[str, Any]) -> float:
        """The sum of ``arch``'s block entries (ms), timing any missing one now."""
        return float(sum(self.entries[k] for k in self._keys(arch, measure=True)))

    def calibrate(self, archs: Sequence[Mapping[str, Any]], measured_ms: Sequence[float]) -> BlockLatencyTable:
        """Fits ``measured = a + b * raw`` on end-to-end measurements of ``archs`` (at least 2)."""
        y = np.asarray(measured_ms, dtype=np.float64)
        if len(archs) != len(y) or len(y) < 2 or not np.isfinite(y).all() or (y <= 0).any():
            raise InvalidValuesError(f"calibrate(): needs >= 2 architectures with as many finite latencies > 0 (ms); got "
                                     f"{len(archs)} and {y.tolist()!r}.")
        from scipy.stats import theilslopes

        x = np.array([self.raw(a) for a in archs])
        if np.ptp(x) > 0:
            slope, intercept = theilslopes(y, x)[:2]  # robust: one timing spike does not tilt the line
            self.slope, self.intercept = float(slope), float(intercept)
        else:
            self.slope, self.intercept = 1.0, float(np.median(y - x))
        return self

    def spread(self, archs: Sequence[Mapping[str, Any]], k: int) -> list[Mapping[str, Any]]:
        """``k`` of ``archs`` evenly spread over their sums of entries, smallest and largest included:
        the subnets worth measuring end to end for :meth:`calibrate`."""
        if not isinstance(k, int) or isinstance(k, bool) or not 2 <= k <= len(archs):
            raise InvalidValuesError(f"spread(): k must be an integer in 2..{len(archs)} (the architectures given); got {k!r}.")
        order = sorted(archs, key=self.raw)
        return [order[i] for i in np.linspace(0, len(order) - 1, k).astype(int)]

    def predict(self, arch: Mapping[str, Any]) -> float:
        """Calibrated latency (ms) of ``arch``."""
        return self.intercept + self.slope * self.raw(arch)

    def _keys(self, arch: Mapping[str, Any], *, measure: bool) -> list[Key]:
        """The entry keys of the blocks ``arch`` runs (one forward pass), timing missing ones if ``measure``."""
        named = self.blocks()
        calls: list[tuple[Key, nn.Module, torch.Tensor]] = []

        def hook(name: str):
            def record(module: nn.Module, inputs: tuple[torch.Tensor, ...]) -> None:
                calls.append((_key(name, module, inputs[0]), module, inputs[0].detach().clone()))
            return record

        handles = [m.register_forward_pre_hook(hook(name)) for name, m in named]
        with self.supernet.activate(arch), torch.inference_mode():
            try:
                self.supernet(self.example)
            finally:  # before timing: the timed forward passes must not add calls to this pass
                for h in handles:
                    h.remove()
            for key, module, x in calls:
                if measure and key not in self.entries:
                    self.entries[key] = measure_latency(module, x, repeats=self.repeats, warmup=self.warmup)
        return [key for key, _, _ in calls]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the entries and the calibration (data only)."""
        return {"entries": dict(self.entries), "intercept": self.intercept, "slope": self.slope}

    def load_dict(self, data: Mapping[str, Any]) -> BlockLatencyTable:
        """Restores :meth:`to_dict`'s output (numbers only; anything else is refused)."""
        entries = data.get("entries") if isinstance(data, Mapping) else None
        if not isinstance(entries, Mapping) or not all(isinstance(k, str) and _number(v) for k, v in entries.items()) \
                or not _number(data.get("intercept")) or not _number(data.get("slope")):
            raise InvalidValuesError("A block latency table is {\"entries\": {key: ms}, \"intercept\": number, \"slope\": number}.")
        self.entries = {k: float(v) for k, v in entries.items()}
        self.intercept, self.slope = float(data["intercept"]), float(data["slope"])
        return self


def _key(name: str, module: nn.Module, x: torch.Tensor) -> Key:
    config = sorted((f"{sub}.{attr}" if sub else attr, value) for sub, m in module.named_modules()
                    for attr, value in vars(m).items() if attr.startswith("active_") and isinstance(value, (int, float, str)))
    return f"{name}|{tuple(x.shape)}|{config}"


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and as_real(v) is not None  # a JSON number (not a string that parses as one)



