"""DeviceMeasure: the subnet is exported as TorchScript that computes what the supernet computes,
the hook's times are reduced to their median, and a broken hook is a clear evaluation error."""

import subprocess
import sys

import pytest
import torch

from predictnas.exceptions import EvaluationError, InvalidSpecError
from predictnas.latency import DeviceMeasure, export, load_torchscript, time_torchscript
from predictnas.supernets import Mnist1dSupernet


@pytest.fixture(scope="module")
def net():
    return Mnist1dSupernet().eval()


def test_the_exported_subnet_computes_what_the_supernet_computes(net, tmp_path):
    arch = net.space.sample(1, rng=5)[0]
    x = torch.randn(1, 1, 40)
    from predictnas.latency._measure import _Frozen

    export(_Frozen(net, arch), x, tmp_path / "s.pt")
    with net.activate(arch), torch.no_grad():
        expected = net(x)
    loaded, example = load_torchscript(tmp_path / "s.pt")
    assert example.shape == x.shape and torch.allclose(loaded(x), expected, atol=1e-6)
    times = time_torchscript(tmp_path / "s.pt", warmup=1, repeats=4)
    assert len(times) == 4 and all(t > 0 for t in times)


def test_the_median_of_the_hook_and_the_default_command_here(net):
    arch = net.space.sample(1, rng=6)[0]
    seen = []

    def hook(path, warmup, repeats):
        seen.append((path.suffix, warmup, repeats))
        return [3.0, 1.0, 2.0]

    assert DeviceMeasure(net, torch.randn(1, 1, 40), function=hook, warmup=2, repeats=3)(arch) == 2.0
    assert seen == [(".pt", 2, 3)]
    ms = DeviceMeasure(net, torch.randn(1, 1, 40), repeats=5)(arch)  # `predictnas latency run` in a fresh process
    assert 0 < ms < 1000


def test_a_broken_hook_is_an_evaluation_error_that_says_what_to_print(net):
    arch = net.space.sample(1, rng=7)[0]
    silent = DeviceMeasure(net, torch.randn(1, 1, 40), command=[sys.executable, "-c", "print('done')", "{model}"])
    with pytest.raises(EvaluationError, match="it must print the times in ms"):
        silent(arch)
    with pytest.raises(EvaluationError, match="returned 'x'; expected one or more times in ms"):
        DeviceMeasure(net, torch.randn(1, 1, 40), function=lambda *a: "x")(arch)
    with pytest.raises(InvalidSpecError, match="has no {model} placeholder"):
        DeviceMeasure(net, torch.randn(1, 1, 40), command="ssh pi run")
    with pytest.raises(InvalidSpecError, match="a command or a function, not both"):
        DeviceMeasure(net, torch.randn(1, 1, 40), command="x {model}", function=print)


def test_latency_run_refuses_a_file_that_is_not_torchscript(tmp_path):
    bad = tmp_path / "x.pt"
    bad.write_text("not a model")
    res = subprocess.run([sys.executable, "-m", "predictnas", "latency", "run", str(bad)], capture_output=True, text=True)
    assert res.returncode == 2 and "not a TorchScript file" in res.stderr and "Traceback" not in res.stderr
