"""The built-in supernets: a 1-D CNN (``mnist1d_cnn``), a MobileNetV3-like CNN (``digits_cnn``) and a
small transformer (``seq_transformer``)."""

from __future__ import annotations

import torch
import torch.nn as nn

from predictnas.spaces import Arch, SearchSpace, load_space
from predictnas.supernets._base import Supernet
from predictnas.supernets._elastic import (
    ElasticAttention,
    ElasticBatchNorm1d,
    ElasticBatchNorm2d,
    ElasticConv1d,
    ElasticConv2d,
    ElasticEmbedding,
    ElasticLayerNorm,
    ElasticLinear,
)


class InvertedResidual(nn.Module):
    """MobileNetV2/V3 block with elastic expand ratio, kernel size and output width.

    ``(n, c_in, h, w) -> (n, active_out, h/stride, w/stride)``; the skip connection is used when
    the stride is 1 and the widths match.
    """

    def __init__(self, max_in: int, max_out: int, kernel_sizes: tuple[int, ...], max_expand: int, stride: int) -> None:
        super().__init__()
        hidden = max_in * max_expand
        self.expand_conv = ElasticConv2d(max_in, hidden, (1,))
        self.expand_bn = ElasticBatchNorm2d(hidden)
        self.depthwise = ElasticConv2d(hidden, hidden, kernel_sizes, stride=stride, depthwise=True)
        self.depthwise_bn = ElasticBatchNorm2d(hidden)
        self.project = ElasticConv2d(hidden, max_out, (1,))
        self.project_bn = ElasticBatchNorm2d(max_out)
        self.act1, self.act2 = nn.ReLU(), nn.ReLU()
        self.stride, self.expand = stride, max_expand

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.expand_conv.active_out = x.shape[1] * self.expand
        y = self.act1(self.expand_bn(self.expand_conv(x)))
        y = self.act2(self.depthwise_bn(self.depthwise(y)))
        y = self.project_bn(self.project(y))
        return x + y if self.stride == 1 and x.shape[1] == y.shape[1] else y


class DigitsSupernet(Supernet):
    """The ``digits_cnn`` space as one weight-sharing CNN: input ``(n, 1, 8, 8)`` -> ``(n, 10)`` logits.

    Elastic depth (the first ``s{i}_depth`` blocks of each stage), width, kernel (3/5, OFA kernel
    transform) and expand ratio; the same topology as :func:`predictnas.examples.digits.build_network`.
    """

    STEM_WIDTH = 8
    STRIDES = (1, 2, 2)

    def __init__(self, space: SearchSpace | None = None) -> None:
        super().__init__(space or load_space("digits_cnn"))
        self.n_stages = 3
        p = self.space.param
        self.stem = nn.Sequential(ElasticConv2d(1, self.STEM_WIDTH, (3,)), ElasticBatchNorm2d(self.STEM_WIDTH), nn.ReLU())
        kernels = tuple(int(k) for k in p("s1_l0_kernel").choices)
        max_expand = max(int(e) for e in p("s1_l0_expand").choices)
        max_depth = max(int(d) for d in p("s1_depth").choices)
        self.stages = nn.ModuleList()
        c_in = self.STEM_WIDTH
        for s in range(1, self.n_stages + 1):
            width = max(int(w) for w in p(f"s{s}_width").choices)
            blocks = nn.ModuleList(
                InvertedResidual(c_in if i == 0 else width, width, kernels, max_expand, self.STRIDES[s - 1] if i == 0 else 1)
                for i in range(max_depth)
            )
            self.stages.append(blocks)
            c_in = width
        self.classifier = ElasticLinear(c_in, 10)
        self.depths = [max_depth] * self.n_stages
        self._set(self.largest_arch())

    def configure(self, arch: Arch) -> None:
        for s, blocks in enumerate(self.stages, start=1):
            self.depths[s - 1] = int(arch[f"s{s}_depth"])
            for i in range(self.depths[s - 1]):
                block = blocks[i]
                block.project.active_out = int(arch[f"s{s}_width"])
                block.depthwise.active_kernel = int(arch[f"s{s}_l{i}_kernel"])
                block.expand = int(arch[f"s{s}_l{i}_expand"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        for blocks, depth in zip(self.stages, self.depths):
            for block in blocks[:depth]:
                x = block(x)
        return self.classifier(x.mean((2, 3)))


class ConvBlock1d(nn.Module):
    """Conv (elastic width and kernel) -> batch norm -> ReLU, with a skip connection when the
    stride is 1 and the widths match. ``(n, c, L) -> (n, active_out, L / stride)``."""

    def __init__(self, max_in: int, max_out: int, kernel_sizes: tuple[int, ...], stride: int) -> None:
        super().__init__()
        self.conv = ElasticConv1d(max_in, max_out, kernel_sizes, stride=stride)
        self.bn = ElasticBatchNorm1d(max_out)
        self.act = nn.ReLU()
        self.stride = stride

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.act(self.bn(self.conv(x)))
        return x + y if self.stride == 1 and x.shape[1] == y.shape[1] else y


class Mnist1dSupernet(Supernet):
    """The ``mnist1d_cnn`` space as one weight-sharing 1-D CNN: signals ``(n, 1, 40)`` -> ``(n, 10)`` logits.

    Three stages; the first block of each halves the length. Elastic depth (the first
    ``s{i}_depth`` blocks; the later stages may be skipped), per-stage width and per-layer kernel
    (1/3/5/7, OFA kernel transform); global average pooling and a linear classifier per exit: a
    subnet that ends after stage ``i`` uses head ``i``. With one shared head, subnets that skip a
    stage fed it features it was never trained on, and the supernet ranked them far too low.
    """

    def __init__(self, space: SearchSpace | None = None) -> None:
        super().__init__(space or load_space("mnist1d_cnn"))
        p = self.space.param
        kernels = tuple(int(k) for k in p("s1_l0_kernel").choices)
        max_depth = max(int(d) for d in p("s1_depth").choices)
        self.stages = nn.ModuleList()
        c_in = 1
        for s in (1, 2, 3):
            width = max(int(w) for w in p(f"s{s}_width").choices)
            self.stages.append(nn.ModuleList(ConvBlock1d(c_in if i == 0 else width, width, kernels, 2 if i == 0 else 1)
                                             for i in range(max_depth)))
            c_in = width
        widths = [max(int(w) for w in p(f"s{s}_width").choices) for s in (1, 2, 3)]
        self.heads = nn.ModuleList(ElasticLinear(w, 10) for w in widths)
        self.depths = [max_depth] * 3
        self._set(self.largest_arch())

    def configure(self, arch: Arch) -> None:
        for s, blocks in enumerate(self.stages, start=1):
            self.depths[s - 1] = int(arch[f"s{s}_depth"])
            for i, block in enumerate(blocks[: self.depths[s - 1]]):  # a skipped stage has no width
                block.conv.active_out = int(arch[f"s{s}_width"])
                block.conv.active_kernel = int(arch[f"s{s}_l{i}_kernel"])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        exit_stage = 0
        for s, (blocks, depth) in enumerate(zip(self.stages, self.depths)):
            for block in blocks[:depth]:
                x = block(x)
            exit_stage = s if depth else exit_stage
        return self.heads[exit_stage](x.mean(-1))


class TransformerLayer(nn.Module):
    """Pre-norm encoder layer ``(n, L, hidden) -> (n, L, hidden)`` with elastic heads, head dim and FFN width."""

    def __init__(self, max_hidden: int, max_heads: int, max_head_dim: int, max_ffn: int) -> None:
        super().__init__()
        self.norm1 = ElasticLayerNorm(max_hidden)
        self.attention = ElasticAttention(max_hidden, max_heads, max_head_dim)
        self.norm2 = ElasticLayerNorm(max_hidden)
        self.ffn_in = ElasticLinear(max_hidden, max_ffn)
        self.act = nn.GELU()
        self.ffn_out = ElasticLinear(max_ffn, max_hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.ffn_out.active_out = x.shape[-1]
        x = x + self.attention(self.norm1(x))
        return x + self.ffn_out(self.act(self.ffn_in(self.norm2(x))))


class SequenceTransformerSupernet(Supernet):
    """The ``seq_transformer`` space as one weight-sharing encoder: tokens ``(n, L)`` -> ``(n, n_classes)``.

    Elastic number of layers, per-layer heads and FFN width, global hidden size and head
    dimension; mean-pooled output and a linear classifier.
    """

    def __init__(self, space: SearchSpace | None = None, *, vocab: int = 16, max_length: int = 24, n_classes: int = 4) -> None:
        super().__init__(space or load_space("seq_transformer"))
        p = self.space.param
        hidden = max(int(c) for c in p("hidden").choices)
        head_dim = max(int(c) for c in p("head_dim").choices)
        heads = max(int(c) for c in p("l0_heads").choices)
        ffn = max(int(c) for c in p("l0_ffn").choices)
        n_layers = max(int(c) for c in p("n_layers").choices)
        self.embedding = ElasticEmbedding(vocab, hidden)
        self.position = ElasticEmbedding(max_length, hidden)
        self.layers = nn.ModuleList(TransformerLayer(hidden, heads, head_dim, ffn) for _ in range(n_layers))
        self.norm = ElasticLayerNorm(hidden)
        self.classifier = ElasticLinear(hidden, n_classes)
        self.n_layers = n_layers
        self._set(self.largest_arch())

    def configure(self, arch: Arch) -> None:
        self.embedding.active_dim = self.position.active_dim = int(arch["hidden"])
        self.n_layers = int(arch["n_layers"])
        for i in range(self.n_layers):
            layer = self.layers[i]
            layer.attention.active_heads = int(arch[f"l{i}_heads"])
            layer.attention.active_head_dim = int(arch["head_dim"])
            layer.ffn_in.active_out = int(arch[f"l{i}_ffn"])

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        positions = torch.arange(tokens.shape[1], device=tokens.device)
        x = self.embedding(tokens) + self.position(positions)
        for layer in self.layers[: self.n_layers]:
            x = layer(x)
        return self.classifier(self.norm(x[:, 0]))
