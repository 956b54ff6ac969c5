"""Elastic layers with weight entanglement: every active configuration uses a slice of the largest weights.

Input widths follow the incoming tensor; output widths, kernel sizes and heads are set by the
owning supernet's ``configure`` (``active_*`` attributes). Each layer also reports what one call
costs (``count(inputs, output) -> (params, macs)`` per sample), which :func:`profile` sums.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F


class ElasticLinear(nn.Module):
    """``y = x W[:out, :in]^T + b[:out]`` with ``in = x.shape[-1]`` and ``out = active_out``.

    Args:
        max_in: Largest input width.
        max_out: Largest output width (the default active width).
        bias: Whether there is a bias.
    """

    def __init__(self, max_in: int, max_out: int, *, bias: bool = True) -> None:
        super().__init__()
        self.max_in, self.max_out = max_in, max_out
        self.weight = nn.Parameter(torch.empty(max_out, max_in))
        self.bias = nn.Parameter(torch.empty(max_out)) if bias else None
        self.active_out = max_out
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            nn.init.uniform_(self.bias, -1 / math.sqrt(self.max_in), 1 / math.sqrt(self.max_in))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d_in, d_out = x.shape[-1], self.active_out
        return F.linear(x, self.weight[:d_out, :d_in], None if self.bias is None else self.bias[:d_out])

    def count(self, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> tuple[int, int]:
        d_in, d_out = inputs[0].shape[-1], output.shape[-1]
        rows = output[0].numel() // d_out  # tokens per sample
        return d_in * d_out + (d_out if self.bias is not None else 0), rows * d_in * d_out


class _ElasticKernel(nn.Module):
    """The part the 1-D and 2-D elastic convolutions share: odd kernel sizes, the largest
    kernel's weights, and Once-for-All's kernel transformation: a smaller kernel is the centre of
    the next larger one passed through a learned ``k^d x k^d`` transform shared by all channels,
    so a small-kernel subnet is not forced to reuse the larger centre as is."""

    dims = 2

    def __init__(self, max_in: int, max_out: int, kernel_sizes: Sequence[int], weight_in: int, stride: int) -> None:
        super().__init__()
        sizes = sorted({int(k) for k in kernel_sizes}, reverse=True)
        if any(k % 2 == 0 for k in sizes):
            raise ValueError(f"kernel sizes must be odd; got {sizes}")
        self.kernel_sizes, self.stride, self.max_in, self.max_out = tuple(sizes), stride, max_in, max_out
        self.weight = nn.Parameter(torch.empty(max_out, weight_in, *([sizes[0]] * self.dims)))
        self.kernel_transforms = nn.ParameterList([nn.Parameter(torch.eye(k**self.dims)) for k in sizes[1:]])
        self.active_out, self.active_kernel = max_out, sizes[0]
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.kaiming_normal_(self.weight, mode="fan_out")
        with torch.no_grad():
            for t in self.kernel_transforms:
                t.copy_(torch.eye(t.shape[0]))

    def _kernel(self, w: torch.Tensor) -> torch.Tensor:
        """``w`` (channels already sliced) cut down to the active kernel size."""
        if self.active_kernel not in self.kernel_sizes:
            raise ValueError(f"kernel size {self.active_kernel} is not one of {self.kernel_sizes}")
        for size, transform in zip(self.kernel_sizes[1:], self.kernel_transforms):
            if size < self.active_kernel:
                break
            start = (w.shape[-1] - size) // 2
            centre = w[(..., *[slice(start, start + size)] * self.dims)]
            w = (centre.reshape(-1, size**self.dims) @ transform).reshape(*centre.shape)
        return w


class ElasticConv2d(_ElasticKernel):
    """A convolution with elastic output channels and kernel size (input channels follow ``x``);
    see :class:`_ElasticKernel` for the kernel transformation.

    Args:
        max_in: Largest input channels (ignored for depthwise).
        max_out: Largest output channels.
        kernel_sizes: The allowed odd kernel sizes.
        stride: Stride.
        depthwise: One filter per channel (``groups = channels``; output channels follow ``x``).
    """

    dims = 2

    def __init__(self, max_in: int, max_out: int, kernel_sizes: Sequence[int] = (3,), *, stride: int = 1,
                 depthwise: bool = False) -> None:
        self.depthwise = depthwise
        super().__init__(max_in, max_out, kernel_sizes, 1 if depthwise else max_in, stride)

    def active_weight(self, in_channels: int) -> torch.Tensor:
        """The ``(out, in/groups, k, k)`` weight of the active configuration."""
        out = in_channels if self.depthwise else self.active_out
        return self._kernel(self.weight[:out, : (1 if self.depthwise else in_channels)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c_in = x.shape[1]
        w = self.active_weight(c_in)
        return F.conv2d(x, w, None, self.stride, w.shape[-1] // 2, 1, c_in if self.depthwise else 1)

    def count(self, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> tuple[int, int]:
        c_in = inputs[0].shape[1]
        k = self.active_kernel
        per_out = (1 if self.depthwise else c_in) * k * k
        return output.shape[1] * per_out, output[0].numel() * per_out


class ElasticConv1d(_ElasticKernel):
    """A 1-D convolution with elastic output channels and kernel size (input channels follow
    ``x``); see :class:`_ElasticKernel`. ``(n, c_in, L) -> (n, active_out, L / stride)``.

    Args:
        max_in: Largest input channels.
        max_out: Largest output channels.
        kernel_sizes: The allowed odd kernel sizes.
        stride: Stride.
    """

    dims = 1

    def __init__(self, max_in: int, max_out: int, kernel_sizes: Sequence[int] = (3,), *, stride: int = 1) -> None:
        super().__init__(max_in, max_out, kernel_sizes, max_in, stride)

    def active_weight(self, in_channels: int) -> torch.Tensor:
        """The ``(out, in, k)`` weight of the active configuration."""
        return self._kernel(self.weight[: self.active_out, :in_channels])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.active_weight(x.shape[1])
        return F.conv1d(x, w, None, self.stride, w.shape[-1] // 2)

    def count(self, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> tuple[int, int]:
        per_out = inputs[0].shape[1] * self.active_kernel
        return output.shape[1] * per_out, output[0].numel() * per_out


class _ElasticNorm:
    """Batch normalisation over the first ``C`` channels of the largest statistics and affine weights."""

    num_features: int

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        if c == self.num_features:
            return super().forward(x)  # type: ignore[misc]
        bn: nn.modules.batchnorm._BatchNorm = self  # type: ignore[assignment]
        factor = 0.0
        if bn.training and bn.track_running_stats:
            bn.num_batches_tracked.add_(1)
            factor = 1.0 / float(bn.num_batches_tracked) if bn.momentum is None else bn.momentum
        use_batch = bn.training or not bn.track_running_stats
        return F.batch_norm(x, bn.running_mean[:c], bn.running_var[:c], bn.weight[:c], bn.bias[:c],
                            use_batch, factor, bn.eps)


class ElasticBatchNorm2d(_ElasticNorm, nn.BatchNorm2d):
    """Batch normalisation of ``(n, c, h, w)`` over the first ``c`` channels of the largest statistics."""


class ElasticBatchNorm1d(_ElasticNorm, nn.BatchNorm1d):
    """Batch normalisation of ``(n, c, L)`` over the first ``c`` channels of the largest statistics."""


class ElasticLayerNorm(nn.LayerNorm):
    """Layer normalisation over the active (last) width, with the first entries of the weights."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        d = x.shape[-1]
        return F.layer_norm(x, (d,), self.weight[:d], self.bias[:d], self.eps)


class ElasticEmbedding(nn.Embedding):
    """Token embeddings whose width is ``active_dim`` (the first columns of the largest table)."""

    def __init__(self, num_embeddings: int, max_dim: int) -> None:
        super().__init__(num_embeddings, max_dim)
        self.active_dim = max_dim

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return F.embedding(tokens, self.weight[:, : self.active_dim])

    def count(self, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> tuple[int, int]:
        return self.num_embeddings * output.shape[-1], 0


class ElasticAttention(nn.Module):
    """Multi-head self-attention with elastic heads and head dimension (AutoFormer's entanglement).

    Head ``i`` of dimension ``d`` uses rows ``i * max_head_dim + [0, d)`` of the query, key and
    value projections and the matching columns of the output projection, whose width follows the
    input's. Input ``(n, L, hidden)`` -> output ``(n, L, hidden)``.
    """

    def __init__(self, max_hidden: int, max_heads: int, max_head_dim: int) -> None:
        super().__init__()
        self.max_hidden, self.max_heads, self.max_head_dim = max_hidden, max_heads, max_head_dim
        inner = max_heads * max_head_dim
        self.qkv = nn.Parameter(torch.empty(3, inner, max_hidden))
        self.qkv_bias = nn.Parameter(torch.zeros(3, inner))
        self.proj = nn.Parameter(torch.empty(max_hidden, inner))
        self.proj_bias = nn.Parameter(torch.zeros(max_hidden))
        self.active_heads, self.active_head_dim = max_heads, max_head_dim
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for w in (self.qkv, self.proj):
            nn.init.xavier_uniform_(w.view(-1, w.shape[-1]))
        with torch.no_grad():
            self.qkv_bias.zero_()
            self.proj_bias.zero_()

    def _rows(self, w: torch.Tensor) -> torch.Tensor:
        """Selects the active heads/head dims along a dimension of size ``max_heads * max_head_dim``."""
        h, d = self.active_heads, self.active_head_dim
        return w.unflatten(-1, (self.max_heads, self.max_head_dim))[..., :h, :d].flatten(-2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, length, hidden = x.shape
        h, d = self.active_heads, self.active_head_dim
        w = self._rows(self.qkv[..., :hidden].transpose(1, 2)).transpose(1, 2)  # (3, h*d, hidden)
        b = self._rows(self.qkv_bias)  # (3, h*d)
        q, k, v = (F.linear(x, w[i], b[i]).view(n, length, h, d).transpose(1, 2) for i in range(3))
        y = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(n, length, h * d)
        return F.linear(y, self._rows(self.proj[:hidden]), self.proj_bias[:hidden])

    def count(self, inputs: tuple[torch.Tensor, ...], output: torch.Tensor) -> tuple[int, int]:
        _, length, hidden = inputs[0].shape
        inner = self.active_heads * self.active_head_dim
        params = 3 * inner * hidden + 3 * inner + hidden * inner + hidden
        macs = 4 * length * hidden * inner + 2 * length * length * inner
        return params, macs
