"""LatencyTransfer: pretrained on known devices, it predicts a new device from a few measurements
it chose itself, with an interval that covers, and it refuses bad input clearly."""

import numpy as np
import pytest
from scipy.stats import spearmanr

from predictnas.exceptions import InvalidSpecError, InvalidValuesError
from predictnas.latency import LatencyTransfer


def _devices(n_archs=400, n_devices=9, seed=0):
    """Log latencies of a family of devices: two per-architecture costs (compute, memory) that each
    device weighs differently, plus 3 % measurement noise."""
    rng = np.random.default_rng(seed)
    compute, memory = rng.lognormal(0, 0.6, n_archs), rng.lognormal(0, 0.4, n_archs)
    weights = rng.uniform(0.2, 3.0, (2, n_devices))
    L = compute[:, None] * weights[0] + memory[:, None] * weights[1]
    return L * rng.lognormal(0, 0.03, L.shape)


def test_a_new_device_is_predicted_from_ten_measurements_it_chose():
    L = _devices()
    known, new = L[:, :8], L[:, 8]
    model = LatencyTransfer().fit(known)
    rows = model.reference(10)
    assert len(set(rows.tolist())) == 10
    before = spearmanr(model.predict()[0], new)[0]
    model.adapt(rows, new[rows])
    median, log_std = model.predict()
    assert spearmanr(median, new)[0] > 0.95 and np.mean(np.abs(median - new) <= 0.1 * new) > 0.8
    assert spearmanr(median, new)[0] >= before  # the measurements help
    lo, hi = model.interval(level=0.9)
    assert (lo < median).all() and (median < hi).all() and np.mean((new >= lo) & (new <= hi)) > 0.8
    assert model.predict(rows[:3])[0].shape == (3,) and log_std.shape == (len(L),)
    # three measurements are enough to rank
    few = model.reference(3)
    model.adapt(few, new[few])
    assert spearmanr(model.predict()[0], new)[0] > 0.9


def test_reference_cells_are_deterministic_and_respect_exclusions():
    model = LatencyTransfer(rank=2).fit(_devices())
    assert model.rank_ == 2
    first = model.reference(5)
    assert (first == LatencyTransfer(rank=2).fit(_devices()).reference(5)).all()
    assert not set(model.reference(5, exclude=first.tolist())) & set(first.tolist())


def test_bad_input_is_refused_with_what_to_fix():
    with pytest.raises(InvalidSpecError, match="rank must be an integer >= 1 or 'auto'; got 0"):
        LatencyTransfer(rank=0)
    with pytest.raises(InvalidValuesError, match=r">= 3 devices; got shape \(400, 2\)"):
        LatencyTransfer().fit(_devices()[:, :2])
    L = _devices()
    L[7, 1] = -1.0
    with pytest.raises(InvalidValuesError, match=r"latency \[7, 1\] is -1.0"):
        LatencyTransfer().fit(L)
    model = LatencyTransfer(rank=2).fit(_devices())
    with pytest.raises(InvalidValuesError, match="two equal, non-empty lists; got 2 and 1"):
        model.adapt([0, 1], [3.0])
    with pytest.raises(InvalidValuesError, match="must be in 0..399"):
        model.adapt([400], [3.0])
    with pytest.raises(InvalidValuesError, match="finite milliseconds > 0"):
        model.adapt([1], [0.0])
    with pytest.raises(InvalidValuesError, match="k must be an integer"):
        model.reference(0)


def test_on_the_nb201_table_an_unseen_fpga_is_ranked_from_ten_cells(data_dir):
    import csv

    path = data_dir / "nb201_core.csv"
    if not path.is_file():
        pytest.skip(f"{path} not found (set PREDICTNAS_DATA_DIR)")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = [c for c in rows[0] if c.endswith("_latency")]
    L = np.array([[float(r[c]) for c in columns] for r in rows])
    held = columns.index("cifar10_fpga_latency")
    model = LatencyTransfer().fit(np.delete(L, held, axis=1))
    cells = model.reference(10)
    median, _ = model.adapt(cells, L[cells, held]).predict()
    true = L[:, held]
    assert spearmanr(median, true)[0] > 0.95  # measured: 0.991
    assert np.mean(np.abs(median - true) <= 0.1 * true) > 0.9  # measured: 0.944
