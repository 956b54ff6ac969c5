"""The NAS-Bench-201 network of a cell (Dong & Yang, ICLR 2020), for data-free zero-cost proxies.

Macro skeleton as in the benchmark's ``TinyNetwork``: a 3x3 stem of ``C`` channels, three stages
of ``N`` cells (``C``, ``2C``, ``4C`` channels) joined by residual reduction blocks, then
BN-ReLU, global average pooling and a linear classifier. A cell has 4 nodes; node ``i`` is the
sum over ``j < i`` of ``op_j_i(node j)`` and node 3 is the output. Ops: ``none`` (zero),
``skip_connect``, ``nor_conv_1x1`` / ``nor_conv_3x3`` (ReLU-Conv-BN), ``avg_pool_3x3``.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
import torch.nn as nn

EDGES = ((0, 1), (0, 2), (1, 2), (0, 3), (1, 3), (2, 3))


class _ReLUConvBN(nn.Sequential):
    def __init__(self, c_in: int, c_out: int, kernel: int, stride: int = 1) -> None:
        super().__init__(nn.ReLU(), nn.Conv2d(c_in, c_out, kernel, stride, kernel // 2, bias=False), nn.BatchNorm2d(c_out))


def _op(name: str, channels: int) -> nn.Module | None:
    """One edge's module; ``None`` for ``none`` (the edge carries nothing)."""
    if name == "none":
        return None
    if name == "skip_connect":
        return nn.Identity()
    if name == "nor_conv_1x1":
        return _ReLUConvBN(channels, channels, 1)
    if name == "nor_conv_3x3":
        return _ReLUConvBN(channels, channels, 3)
    if name == "avg_pool_3x3":
        return nn.AvgPool2d(3, stride=1, padding=1, count_include_pad=False)
    raise ValueError(f"unknown NAS-Bench-201 op {name!r}; expected none, skip_connect, nor_conv_1x1, "
                     "nor_conv_3x3 or avg_pool_3x3")


class _Cell(nn.Module):
    def __init__(self, ops: Mapping[str, str], channels: int) -> None:
        super().__init__()
        self.edges = nn.ModuleDict()
        for src, dst in EDGES:
            module = _op(str(ops[f"op_{src}_{dst}"]), channels)
            if module is not None:
                self.edges[f"{src}_{dst}"] = module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        nodes = [x]
        for dst in (1, 2, 3):
            inputs = [self.edges[f"{src}_{dst}"](nodes[src]) for src in range(dst) if f"{src}_{dst}" in self.edges]
            nodes.append(sum(inputs[1:], inputs[0]) if inputs else torch.zeros_like(x))
        return nodes[3]


class _Reduction(nn.Module):
    """ResNet basic block with stride 2 (NB201's ``ResNetBasicblock``)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        self.conv_a, self.conv_b = _ReLUConvBN(c_in, c_out, 3, 2), _ReLUConvBN(c_out, c_out, 3)
        self.shortcut = nn.Sequential(nn.AvgPool2d(2, 2), nn.Conv2d(c_in, c_out, 1, bias=False))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv_b(self.conv_a(x)) + self.shortcut(x)


class NB201Network(nn.Module):
    """The network of one NAS-Bench-201 cell: ``(n, 3, H, W)`` images -> ``(n, classes)`` logits.

    Args:
        ops: ``op_j_i`` -> op name for the 6 edges (an ``nb201`` architecture).
        channels: Channels of the first stage (the benchmark: 16).
        cells_per_stage: Cells per stage (the benchmark: 5).
        classes: Outputs (CIFAR-10: 10).
    """

    def __init__(self, ops: Mapping[str, str], *, channels: int = 16, cells_per_stage: int = 5, classes: int = 10) -> None:
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(3, channels, 3, padding=1, bias=False), nn.BatchNorm2d(channels)]
        for stage in range(3):
            c = channels * 2 ** stage
            if stage:
                layers.append(_Reduction(c // 2, c))
            layers += [_Cell(ops, c) for _ in range(cells_per_stage)]
        c = channels * 4
        layers += [nn.BatchNorm2d(c), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, classes)]
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x)
