"""Supernets: weight entanglement, profiling, training/resume, evaluation, proxies, study integration."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from predictnas.examples.digits import build_network, count_macs
from predictnas.exceptions import InvalidArchitectureError, InvalidSpecError
from predictnas.supernets import (
    PROXIES,
    DigitsSupernet,
    ElasticConv2d,
    ElasticLinear,
    SequenceTransformerSupernet,
    SupernetEvaluator,
    Task,
    TrainingConfig,
    digits_task,
    profile,
    recurrence_task,
    train_supernet,
    weights_hash,
)


def small(task: Task, n_train: int = 192, n_val: int = 128) -> Task:
    return Task(task.name, task.X_train[:n_train], task.y_train[:n_train], task.X_val[:n_val], task.y_val[:n_val],
                task.n_classes)


@pytest.fixture(scope="module")
def trained_digits() -> tuple[DigitsSupernet, Task]:
    net, task = DigitsSupernet(), small(digits_task(), 640, 300)
    train_supernet(net, task, TrainingConfig(epochs=6, lr=3e-3))
    return net, task


def test_elastic_linear_uses_the_leading_slice() -> None:
    layer = ElasticLinear(8, 6)
    layer.active_out = 4
    x = torch.randn(3, 5)
    assert torch.allclose(layer(x), F.linear(x, layer.weight[:4, :5], layer.bias[:4]))


def test_elastic_kernel_is_the_transformed_centre() -> None:
    conv = ElasticConv2d(2, 3, (3, 5))
    conv.active_kernel = 3
    x = torch.randn(1, 2, 6, 6)
    centre = conv.weight[:, :, 1:4, 1:4]
    assert torch.allclose(conv(x), F.conv2d(x, centre, padding=1), atol=1e-6)  # transform starts at identity
    with torch.no_grad():
        conv.kernel_transforms[0].mul_(2.0)
    assert torch.allclose(conv(x), 2 * F.conv2d(x, centre, padding=1), atol=1e-5)
    conv.active_kernel = 7
    with pytest.raises(ValueError, match="kernel size 7"):
        conv(x)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_digits_subnet_counts_match_the_standalone_network(seed: int) -> None:
    net = DigitsSupernet()
    archs = [net.largest_arch(), net.smallest_arch(), *net.space.sample(3, rng=np.random.default_rng(seed))]
    for arch in archs:
        standalone = build_network(arch)
        with net.activate(arch):
            params, macs = profile(net, torch.zeros(1, 1, 8, 8))
        assert params == sum(p.numel() for p in standalone.parameters())
        assert macs == count_macs(standalone)


def _copy_subnet_weights(net: DigitsSupernet, arch, standalone: torch.nn.Sequential) -> None:
    """Loads the active slices of the supernet into the standalone network of the same architecture."""
    elastic = [net.stem[0], net.stem[1]]
    for s, blocks in enumerate(net.stages, start=1):
        for block in blocks[: arch[f"s{s}_depth"]]:
            elastic += [block.expand_conv, block.expand_bn, block.depthwise, block.depthwise_bn, block.project,
                        block.project_bn]
    plain = [m for m in standalone.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.BatchNorm2d))]
    assert len(plain) == len(elastic)
    with torch.no_grad():
        for e, p in zip(elastic, plain):
            if isinstance(p, torch.nn.Conv2d):
                p.weight.copy_(e.active_weight(p.in_channels))
            else:
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(p, name).copy_(getattr(e, name)[: p.num_features])
        head = standalone[-1]
        head.weight.copy_(net.classifier.weight[:, : head.in_features])
        head.bias.copy_(net.classifier.bias)


@pytest.mark.parametrize("seed", [0, 1])
def test_digits_subnet_is_the_standalone_network_with_sliced_weights(seed: int) -> None:
    torch.manual_seed(seed)
    net = DigitsSupernet().eval()
    with torch.no_grad():
        for e in net.modules():
            if hasattr(e, "kernel_transforms"):
                for t in e.kernel_transforms:
                    t.add_(torch.randn_like(t) * 0.1)  # a learned (non-identity) kernel transform
            if isinstance(e, torch.nn.BatchNorm2d):
                e.running_mean.normal_()
                e.running_var.uniform_(0.5, 2)
    x = torch.rand(5, 1, 8, 8)
    for arch in net.space.sample(4, rng=np.random.default_rng(seed)):
        standalone = build_network(arch).eval()
        with net.activate(arch):
            expected = net(x)  # (also sets the expand widths that follow the input)
            _copy_subnet_weights(net, arch, standalone)
        assert torch.allclose(standalone(x), expected, atol=1e-5)


def test_transformer_weights_outside_the_active_slice_do_not_matter() -> None:
    torch.manual_seed(0)
    net = SequenceTransformerSupernet().eval()
    example = torch.randint(1, 16, (4, 24))
    arch = net.space.sample(1, rng=np.random.default_rng(3))[0]
    with net.activate(arch):
        before = net(example)
        # a copy whose weights differ only where the subnet must not look
        touched = {}
        net.zero_grad()
        (net(example) * torch.randn_like(before)).sum().backward()  # eval mode: statistics untouched
        for name, p in net.named_parameters():
            touched[name] = p.grad is not None and p.grad.abs().sum() > 0
        with torch.no_grad():
            for name, p in net.named_parameters():
                if p.grad is not None:
                    p.add_(torch.where(p.grad == 0, torch.randn_like(p) * 10, torch.zeros_like(p)))
                else:
                    p.add_(torch.randn_like(p) * 10)
        after = net(example)
    assert any(touched.values())
    assert torch.allclose(before, after, atol=1e-5)


def test_activate_restores_and_validates() -> None:
    net = SequenceTransformerSupernet()
    largest = net.largest_arch()
    small_arch = net.smallest_arch()
    with net.activate(small_arch):
        assert net.n_layers == 1 and net.active_arch == small_arch
    assert net.active_arch == largest and net.n_layers == 4
    with pytest.raises(InvalidArchitectureError, match="n_layers"):
        with net.activate({**largest, "n_layers": 9}):
            pass
    assert net.active_arch == largest


def test_training_resumes_exactly_after_an_interruption(tmp_path) -> None:
    task = small(digits_task(), 128, 64)
    config = TrainingConfig(epochs=3, batch_size=32)
    reference = train_supernet(DigitsSupernet(), task, config)

    class Interrupted(Task):
        calls = 0

        def train_batches(self, batch_size, generator):
            Interrupted.calls += 1
            if Interrupted.calls == 3:
                raise KeyboardInterrupt
            return super().train_batches(batch_size, generator)

    flaky = Interrupted(*(getattr(task, f) for f in ("name", "X_train", "y_train", "X_val", "y_val", "n_classes")))
    path = tmp_path / "ck.pt"
    with pytest.raises(KeyboardInterrupt):
        train_supernet(DigitsSupernet(), flaky, config, checkpoint=path)
    resumed = train_supernet(DigitsSupernet(), task, config, checkpoint=path)
    assert resumed.epochs_run == 1
    assert resumed.weights_hash == reference.weights_hash
    again = train_supernet(DigitsSupernet(), task, config, checkpoint=path)  # finished: loaded, not retrained
    assert again.epochs_run == 0 and again.weights_hash == reference.weights_hash


def test_checkpoint_mismatches_are_refused(tmp_path) -> None:
    task = small(digits_task(), 64, 32)
    path = tmp_path / "ck.pt"
    train_supernet(DigitsSupernet(), task, TrainingConfig(epochs=1), checkpoint=path)
    with pytest.raises(InvalidSpecError, match=r"other settings \(\['epochs'\]\)"):
        train_supernet(DigitsSupernet(), task, TrainingConfig(epochs=2), checkpoint=path)
    with pytest.raises(InvalidSpecError, match="not DigitsSupernet|belongs to"):
        train_supernet(SequenceTransformerSupernet(), small(recurrence_task(), 64, 32), TrainingConfig(epochs=1),
                       checkpoint=path)
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    with pytest.raises(InvalidSpecError, match="cannot be read"):
        train_supernet(DigitsSupernet(), task, TrainingConfig(epochs=1), checkpoint=junk)
    assert junk.read_bytes() == b"not a checkpoint"


def test_evaluator_recalibrates_without_leaking_state(trained_digits) -> None:
    net, task = trained_digits
    before = weights_hash(net)
    evaluator = SupernetEvaluator(net, task, proxies=())
    plain = SupernetEvaluator(net, task, recalibration_batches=0, proxies=())
    archs = [net.smallest_arch(), *net.space.sample(5, rng=np.random.default_rng(0))]
    recal = [evaluator.evaluate(a) for a in archs]
    assert weights_hash(net) == before  # BN statistics restored, weights untouched
    assert [r.values for r in recal] == [evaluator.evaluate(a).values for a in archs]  # deterministic
    no_recal = [plain.evaluate(a).values["acc"] for a in archs]
    assert np.mean([r.values["acc"] for r in recal]) > np.mean(no_recal) + 5
    result = recal[0]
    assert set(result.values) == {"acc", "loss", "params", "macs"}
    assert result.user_attrs == {"supernet_checkpoint": before}
    assert 0 <= result.values["acc"] <= 100 and result.values["loss"] > 0


def test_proxies_are_finite_scale_with_size_and_leave_the_model_alone() -> None:
    net = DigitsSupernet()
    task = small(digits_task(), 64, 32)
    evaluator = SupernetEvaluator(net, task, proxies=tuple(PROXIES))
    init = evaluator.supernet.reinitialised(0)
    before = weights_hash(init)
    big = evaluator.cheap_statistics(net.largest_arch())
    tiny = evaluator.cheap_statistics(net.smallest_arch())
    assert set(big) == {"params", "macs", *PROXIES}
    assert all(np.isfinite(v) for v in [*big.values(), *tiny.values()])
    for name in ("synflow", "grad_norm", "snip", "nwot", "params", "macs"):
        assert big[name] > tiny[name], name
    assert weights_hash(evaluator._init_net) == before  # proxies leave weights and statistics as found
    assert all(p.grad is None for p in evaluator._init_net.parameters())


def test_latency_is_measured() -> None:
    net = SequenceTransformerSupernet()
    evaluator = SupernetEvaluator(net, small(recurrence_task(), 32, 16), latency=True, latency_repeats=5, proxies=())
    values = evaluator.evaluate(net.smallest_arch()).values
    assert values["latency_ms"] > 0


def test_unknown_proxy_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="Unknown zero-cost proxy"):
        SupernetEvaluator(DigitsSupernet(), small(digits_task(), 32, 16), proxies=("synflw",))


def _plain_mnist1d(net, arch) -> torch.nn.Sequential:
    """The standalone 1-D CNN of ``arch`` with the supernet's active slices as its weights."""
    layers, c_in = [], 1
    for s, blocks in enumerate(net.stages, start=1):
        for i, block in enumerate(blocks[: arch[f"s{s}_depth"]]):
            width, k = arch[f"s{s}_width"], arch[f"s{s}_l{i}_kernel"]
            conv = torch.nn.Conv1d(c_in, width, k, stride=block.stride, padding=k // 2, bias=False)
            bn = torch.nn.BatchNorm1d(width).eval()
            with torch.no_grad():
                conv.weight.copy_(block.conv.active_weight(c_in))
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(bn, name).copy_(getattr(block.bn, name)[:width])
            layers.append((conv, bn, block.stride == 1 and c_in == width))
            c_in = width
    return layers, c_in


def test_mnist1d_subnet_is_the_standalone_1d_cnn_with_sliced_weights() -> None:
    from predictnas.supernets import Mnist1dSupernet, mnist1d_task

    torch.manual_seed(0)
    net = Mnist1dSupernet().eval()
    with torch.no_grad():
        for m in net.modules():
            for t in getattr(m, "kernel_transforms", []):
                t.add_(torch.randn_like(t) * 0.1)
            if isinstance(m, torch.nn.BatchNorm1d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2)
    x = mnist1d_task(num_samples=20).X_val
    for arch in [net.smallest_arch(), net.largest_arch(), *net.space.sample(4, rng=np.random.default_rng(1))]:
        with net.activate(arch):
            layers, width = _plain_mnist1d(net, arch)
            h, conv_macs = x, 0
            for conv, bn, skip in layers:
                y = torch.relu(bn(conv(h)))
                conv_macs += y.shape[-1] * conv.weight.numel()  # output positions x (c_out * c_in * k)
                h = h + y if skip else y
            head = net.heads[max(s for s in range(3) if arch[f"s{s + 1}_depth"])]  # the exit after the last stage
            expected = F.linear(h.mean(-1), head.weight[:, :width], head.bias)
            assert torch.allclose(net(x), expected, atol=1e-5)
            params, macs = profile(net, x[:1])
        convs = sum(c.weight.numel() + 2 * b.num_features for c, b, _ in layers)
        assert params == convs + 10 * width + 10
        assert macs == conv_macs + 10 * width


def test_the_mnist1d_task_is_the_official_dataset_and_leaves_global_random_state_alone() -> None:
    import random

    import numpy as np

    from predictnas.supernets import mnist1d_task

    np.random.seed(123)
    random.seed(123)
    before = np.random.get_state()[1].copy(), random.getstate()
    a = mnist1d_task()
    assert np.array_equal(np.random.get_state()[1], before[0]) and random.getstate() == before[1]
    assert a.X_train.shape == (4000, 1, 40) and a.X_val.shape == (1000, 1, 40)  # the published 80/20 split of 5,000
    assert set(a.y_train.tolist()) == set(range(10)) and np.bincount(a.y_train.numpy()).min() > 350
    b = mnist1d_task()
    assert torch.equal(a.X_train, b.X_train) and torch.equal(a.y_val, b.y_val)  # the generator's seed 42
    from mnist1d.data import get_dataset_args, make_dataset

    official = make_dataset(get_dataset_args())  # the package itself, default arguments
    assert np.allclose(official["x"], a.X_train[:, 0].numpy(), atol=1e-6) and np.array_equal(official["y_test"], a.y_val.numpy())


def test_a_checkpoint_trained_on_other_data_is_refused_not_reused(tmp_path) -> None:
    import re

    from predictnas.exceptions import InvalidSpecError
    from predictnas.supernets import DigitsSupernet, TrainingConfig, digits_task, train_supernet

    config = TrainingConfig(epochs=1, batch_size=256)
    path = tmp_path / "digits.pt"
    train_supernet(DigitsSupernet(), digits_task(seed=0), config, checkpoint=path)
    train_supernet(DigitsSupernet(), digits_task(seed=0), config, checkpoint=path)  # same data: reused
    with pytest.raises(InvalidSpecError, match=re.escape("on 'digits' data that differs from today's")):
        train_supernet(DigitsSupernet(), digits_task(seed=1), config, checkpoint=path)
    state = torch.load(path, weights_only=True)
    state.pop("task")  # as an older predictnas wrote it
    torch.save(state, path)
    with pytest.raises(InvalidSpecError, match="older predictnas that did not record its training data"):
        train_supernet(DigitsSupernet(), digits_task(seed=0), config, checkpoint=path)
