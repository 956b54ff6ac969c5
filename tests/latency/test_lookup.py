"""BlockLatencyTable: one entry per block configuration, sums along a subnet, a calibration that
maps the sum to end-to-end time, and a table that round-trips as plain data."""

import json

import numpy as np
import pytest
import torch

from predictnas.exceptions import InvalidValuesError
from predictnas.latency import BlockLatencyTable
from predictnas.supernets import Mnist1dSupernet
from predictnas.supernets._evaluator import run_times


@pytest.fixture(scope="module")
def net():
    return Mnist1dSupernet().eval()


def test_blocks_are_the_stage_blocks_and_heads_and_entries_are_per_configuration(net):
    table = BlockLatencyTable(net, torch.randn(1, 1, 40), repeats=3, warmup=1)
    names = [n for n, _ in table.blocks()]
    assert names[:3] == ["stages.0.0", "stages.0.1", "stages.0.2"] and names[-3:] == ["heads.0", "heads.1", "heads.2"]
    small, large = net.smallest_arch(), net.largest_arch()
    table.build([small])
    n_small = len(table.entries)
    depth = sum(int(small[f"s{s}_depth"]) for s in (1, 2, 3))
    assert n_small == depth + 1  # its blocks and one exit head
    table.build([small])
    assert len(table.entries) == n_small  # nothing timed twice
    assert table.raw(large) > table.raw(small) > 0
    assert len(table.entries) > n_small  # the largest subnet's blocks were timed on the way
    widths = {k.split("|")[2] for k in table.entries if k.startswith("stages.0.0|")}
    assert len(widths) == 2  # the same block at two widths/kernels: two entries


def test_the_calibrated_sum_predicts_end_to_end_time(net):
    from scipy.stats import spearmanr

    example = torch.randn(1, 1, 40)
    archs = [net.smallest_arch(), net.largest_arch()] + net.space.sample(14, rng=3, unique=True)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        table = BlockLatencyTable(net, example, repeats=10).build(archs)
        measured = []
        for a in archs:
            with net.activate(a):
                measured.append(min(run_times(net, example, repeats=10)))  # the least disturbed run
    finally:
        torch.set_num_threads(threads)
    table.calibrate(archs[::2], measured[::2])
    predicted = [table.predict(a) for a in archs]
    assert table.slope > 0 and predicted[1] > 2 * predicted[0]  # largest vs smallest
    # timing on a shared CPU is noisy; benchmarks/latency_table.py measures the accuracy on 200 subnets
    assert spearmanr(predicted[1::2], measured[1::2])[0] > 0.7
    copy = BlockLatencyTable(net, example).load_dict(json.loads(json.dumps(table.to_dict())))
    assert copy.predict(archs[0]) == pytest.approx(table.predict(archs[0]))
    with pytest.raises(InvalidValuesError, match="needs >= 2 architectures"):
        table.calibrate(archs[:1], measured[:1])
    with pytest.raises(InvalidValuesError, match="entries"):
        BlockLatencyTable(net, example).load_dict({"entries": {"x": "os.system"}, "intercept": 0, "slope": 1})


def test_an_architecture_s_sum_is_the_same_whether_its_blocks_were_timed_now_or_before(net):
    """The first call times the missing blocks; the timed forward passes must not count as blocks of
    the architecture (they once did: a first sum held each new block 1 + repeats + warmup times)."""
    table = BlockLatencyTable(net, torch.randn(1, 1, 40), repeats=2, warmup=1)
    archs = net.space.sample(4, rng=1, unique=True)
    first = [table.raw(a) for a in archs]
    assert [table.raw(a) for a in reversed(archs)][::-1] == first
    assert all(len(table._keys(a, measure=False)) == len(set(table._keys(a, measure=False))) for a in archs)


def test_the_calibration_subnets_spread_over_the_table_from_smallest_to_largest(net):
    table = BlockLatencyTable(net, torch.randn(1, 1, 40), repeats=2, warmup=0)
    archs = net.space.sample(8, rng=4, unique=True)
    picked = table.spread(archs, 3)
    sums = sorted(table.raw(a) for a in archs)
    assert [table.raw(a) for a in picked] == [sums[0], sums[3], sums[-1]]
    with pytest.raises(InvalidValuesError, match=r"k must be an integer in 2..8"):
        table.spread(archs, 1)
