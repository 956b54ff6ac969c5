"""Zero-cost proxies: training-free scores of a (sub)network on one minibatch.

Each function takes a model (a supernet with an active architecture, or any ``nn.Module``), a
minibatch ``x`` ``(n, ...)`` and labels ``y`` ``(n,)`` and returns one float. They leave the
model's weights, gradients and mode as they found them. On a supernet, weights outside the
active slice get no gradient, so they contribute nothing.

References: grad_norm and snip (Abdelfattah et al., 2021, "Zero-Cost Proxies for Lightweight
NAS"), synflow (Tanaka et al., 2020), nwot (Mellor et al., 2021, "NAS without training").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import torch

from predictnas._registry import Registry
import torch.nn as nn
import torch.nn.functional as F


@contextmanager
def _clean(model: nn.Module, train: bool) -> Iterator[None]:
    was_training = model.training
    saved_grads = {p: p.grad for p in model.parameters()}
    buffers = {name: b.clone() for name, b in model.named_buffers()}
    model.train(train)
    for p in model.parameters():
        p.grad = None
    try:
        yield
    finally:
        for p, g in saved_grads.items():
            p.grad = g
        with torch.no_grad():
            for name, b in model.named_buffers():
                b.copy_(buffers[name])
        model.train(was_training)


def _loss_gradients(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``(weight, gradient)`` pairs of the cross-entropy on the batch (train-mode normalisation)."""
    F.cross_entropy(model(x), y).backward()
    return [(p, p.grad) for p in model.parameters() if p.grad is not None]


def grad_norm(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Sum over weight tensors of the L2 norm of the loss gradient."""
    with _clean(model, train=True):
        return float(sum(g.norm() for _, g in _loss_gradients(model, x, y)))


def snip(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Connection sensitivity: ``sum |w * dL/dw|``."""
    with _clean(model, train=True):
        return float(sum((w.detach() * g).abs().sum() for w, g in _loss_gradients(model, x, y)))


def synflow(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """Synaptic flow: ``sum w * dR/dw`` for ``R = sum(f(1))`` with all weights made positive.

    Computed in float64 with normalisation layers in inference mode; image inputs are replaced by
    ones, token inputs are kept (their embeddings are made positive too). Returns ``log(1 + score)``
    because the raw score spans tens of orders of magnitude.
    """
    with _clean(model, train=False):
        signs = {}
        with torch.no_grad():
            for p in model.parameters():
                signs[p] = torch.sign(p)
                p.abs_()
        model.double()
        try:
            inputs = torch.ones_like(x[:1], dtype=torch.float64) if x.is_floating_point() else x[:1]
            model(inputs).sum().backward()
            score = sum((p * p.grad).sum().item() for p in model.parameters() if p.grad is not None)
        finally:
            model.float()
            with torch.no_grad():
                for p in model.parameters():
                    p.mul_(signs[p])
    return float(torch.log1p(torch.tensor(max(score, 0.0), dtype=torch.float64)))


def nwot(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    """NASWOT: ``log det(K + I)`` of the Hamming-similarity kernel ``K`` of the samples' ReLU/GELU
    on-off codes (the identity keeps the score finite when small networks give samples equal codes)."""
    codes: list[torch.Tensor] = []

    def hook(_m: nn.Module, inputs: tuple[torch.Tensor, ...], _out: torch.Tensor) -> None:
        codes.append((inputs[0].detach() > 0).flatten(1).double())

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, (nn.ReLU, nn.GELU))]
    try:
        with _clean(model, train=True), torch.no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    if not codes:
        raise ValueError("nwot needs nn.ReLU or nn.GELU modules in the model")
    c = torch.cat(codes, dim=1)
    kernel = c @ c.T + (1 - c) @ (1 - c).T
    return float(torch.linalg.slogdet(kernel + torch.eye(len(kernel), dtype=kernel.dtype))[1])


PROXIES: Registry[Callable[[nn.Module, torch.Tensor, torch.Tensor], float]] = Registry("zero-cost proxy", {
    "synflow": synflow, "grad_norm": grad_norm, "snip": snip, "nwot": nwot,
})
