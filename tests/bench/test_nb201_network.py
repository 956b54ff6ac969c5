"""The NAS-Bench-201 network builder behind the data-free proxies (benchmarks/nb201_proxies.py)."""

import csv

import numpy as np
import pytest
import torch
from scipy.stats import spearmanr

from predictnas.bench import NB201Network
from predictnas.supernets import PROXIES

EDGES = ("op_0_1", "op_0_2", "op_1_2", "op_0_3", "op_1_3", "op_2_3")


def test_a_cell_that_cuts_input_from_output_gives_the_same_logits_for_every_input():
    torch.manual_seed(0)
    cut = NB201Network({e: ("none" if e in ("op_0_3", "op_1_3", "op_2_3") else "nor_conv_3x3") for e in EDGES}).train()
    full = NB201Network({e: "nor_conv_3x3" for e in EDGES}).train()
    x = torch.randn(2, 3, 32, 32)
    assert full(x).shape == (2, 10) and not torch.allclose(full(x)[0], full(x)[1])
    assert torch.allclose(cut(x)[0], cut(x)[1])
    with pytest.raises(ValueError, match="unknown NAS-Bench-201 op 'conv_5x5'"):
        NB201Network({**{e: "none" for e in EDGES}, "op_0_1": "conv_5x5"})


def test_the_network_has_the_published_parameter_count_and_synflow(data_dir):
    """Parameters equal the table's CIFAR-10 count exactly; synflow ranks cells as NASLib's
    published scores do (Spearman >= 0.95 on 15 cells)."""
    with open(data_dir / "nb201_zc_naslib_subset.csv", newline="") as f:
        published = [r for r in csv.DictReader(f) if r["dataset"] == "cifar10" and r["synflow"]][:15]
    with open(data_dir / "nb201_core.csv", newline="") as f:
        params = {int(r["index"]): float(r["cifar10_params_m"]) for r in csv.DictReader(f)}
    ours, theirs = [], []
    for row in published:
        torch.manual_seed(0)
        net = NB201Network({e: row[e] for e in EDGES})
        assert sum(p.numel() for p in net.parameters()) / 1e6 == pytest.approx(params[int(row["index"])], abs=1e-9)
        ours.append(PROXIES.resolve("synflow")(net, torch.ones(1, 3, 32, 32), torch.zeros(1, dtype=torch.long)))
        theirs.append(float(row["synflow"]))
    assert np.isfinite(ours).all() and spearmanr(ours, theirs)[0] >= 0.95
