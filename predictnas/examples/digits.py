"""Digits CNNs: build a MobileNetV3-like network of the ``digits_cnn`` space and train it briefly.

Used by the demo as a real (if small) evaluation that needs no download: scikit-learn ships the
8x8 digits. ``train_and_evaluate(arch)`` is a function evaluator: validation accuracy (%), MACs and
parameter count of the network trained from scratch for a few epochs on the CPU.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

STEM_WIDTH = 8
N_STAGES = 3
STAGE_STRIDES = (1, 2, 2)


def build_network(arch: Mapping[str, Any]) -> nn.Module:
    """The torch module for an architecture of ``digits_cnn`` (input ``(n, 1, 8, 8)``, 10 logits)."""

    def block(c_in: int, c_out: int, kernel: int, expand: int, stride: int) -> nn.Module:
        hidden = c_in * expand
        return Residual(nn.Sequential(
            nn.Conv2d(c_in, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            nn.BatchNorm2d(hidden), nn.ReLU(inplace=True),
            nn.Conv2d(hidden, c_out, 1, bias=False), nn.BatchNorm2d(c_out),
        ), use_skip=(stride == 1 and c_in == c_out))

    layers: list[nn.Module] = [nn.Conv2d(1, STEM_WIDTH, 3, 1, 1, bias=False), nn.BatchNorm2d(STEM_WIDTH), nn.ReLU(inplace=True)]
    c_in = STEM_WIDTH
    for s in range(1, N_STAGES + 1):
        width = int(arch[f"s{s}_width"])
        for layer in range(int(arch[f"s{s}_depth"])):
            stride = STAGE_STRIDES[s - 1] if layer == 0 else 1
            layers.append(block(c_in, width, int(arch[f"s{s}_l{layer}_kernel"]), int(arch[f"s{s}_l{layer}_expand"]), stride))
            c_in = width
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c_in, 10)]
    return nn.Sequential(*layers)


class Residual(nn.Module):
    """``x + body(x)`` when shapes allow (stride 1, same width), else ``body(x)``."""

    def __init__(self, body: nn.Module, use_skip: bool) -> None:
        super().__init__()
        self.body, self.use_skip = body, use_skip

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) if self.use_skip else self.body(x)


def count_macs(model: nn.Module, input_shape: tuple[int, ...] = (1, 1, 8, 8)) -> int:
    """Multiply-accumulates of one forward pass (convolutions and linear layers)."""

    total = 0

    def conv_hook(m: nn.Conv2d, _inp: Any, out: torch.Tensor) -> None:
        nonlocal total
        total += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m: nn.Linear, _inp: Any, out: torch.Tensor) -> None:
        nonlocal total
        total += m.in_features * m.out_features

    handles = [m.register_forward_hook(conv_hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    handles += [m.register_forward_hook(linear_hook) for m in model.modules() if isinstance(m, nn.Linear)]
    was_training = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(input_shape))
    model.train(was_training)
    for h in handles:
        h.remove()
    return total


@lru_cache(maxsize=1)
def digits_splits(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(X_train, y_train, X_val, y_val)``: the split the digits supernet uses (1,297 / 500 images)."""
    from predictnas.supernets import digits_task

    task = digits_task(seed)
    return task.X_train.numpy(), task.y_train.numpy(), task.X_val.numpy(), task.y_val.numpy()


def train_and_evaluate(arch: Mapping[str, Any], *, epochs: int = 3, seed: int = 0, batch_size: int = 64) -> dict[str, float]:
    """Trains the network from scratch (AdamW with cosine decay, ``epochs`` passes) and returns
    ``{"acc": validation accuracy %, "loss": validation cross-entropy, "macs": MACs (millions),
    "params": parameters (thousands)}``."""

    torch.manual_seed(seed)
    X_tr, y_tr, X_va, y_va = (torch.from_numpy(a) for a in digits_splits())
    model = build_network(arch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    generator = torch.Generator().manual_seed(seed)
    total = epochs * -(-len(X_tr) // batch_size)
    step = 0
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(X_tr), generator=generator).split(batch_size):
            for group in optimizer.param_groups:  # cosine decay to 0, as in supernet training
                group["lr"] = 3e-3 * 0.5 * (1 + math.cos(math.pi * step / total))
            step += 1
            optimizer.zero_grad()
            F.cross_entropy(model(X_tr[idx]), y_tr[idx]).backward()
            optimizer.step()
    model.eval()
    with torch.no_grad():
        logits = model(X_va)
    return {
        "acc": (logits.argmax(1) == y_va).float().mean().item() * 100,
        "loss": F.cross_entropy(logits, y_va).item(),
        "macs": count_macs(model) / 1e6,
        "params": sum(p.numel() for p in model.parameters()) / 1e3,
    }
