"""A constrained front checked on the device: every member is measured before it is reported, a
member that breaks the constraint there leaves the front, and what was measured is in the file."""

import pytest

import predictnas as pn
from predictnas.exceptions import InvalidValuesError


def _metrics(arch):
    conv = sum(v == "nor_conv_3x3" for v in arch.values())
    pool = sum(v == "avg_pool_3x3" for v in arch.values())
    return 80.0 + conv + 0.5 * pool, 1.0 + conv  # accuracy; the latency the model predicts


def _device(arch):
    """The device disagrees with the model: average pooling is slow there."""
    return _metrics(arch)[1] + 2.0 * sum(v == "avg_pool_3x3" for v in arch.values())


def test_the_front_is_measured_until_every_member_meets_the_constraint_on_the_device(tmp_path):
    path = tmp_path / "s.db"
    study = pn.create_study(space="nb201", objectives={"acc": "maximize"}, constraints=["latency <= 4"], storage=path,
                            seed=0, proposer="random")
    study.optimize(lambda arch: {"acc": _metrics(arch)[0], "latency": _metrics(arch)[1]}, 40)
    before = study.pareto_front()
    measured = []
    study.measure_front(lambda arch: measured.append(arch) or _device(arch), max_measurements=1)
    assert len(measured) == 1  # the limit holds
    checked = study.measure_front(_device)
    front = study.pareto_front()
    assert front and all("latency" in t.user_attrs["measured"] for t in front)
    assert all(_device(t.arch) <= 4 for t in front)  # met on the device
    assert any(_device(t.arch) > 4 for t in before)  # the predicted front was not
    record = checked[0].user_attrs["measured"]
    assert record["predicted_latency"] == checked[0].values["latency"] and record["latency"] == _device(checked[0].arch)
    study.close()
    again = pn.load_study(path)
    assert [t.number for t in again.pareto_front()] == [t.number for t in front]  # what was measured is in the file
    assert again.measure_front(_device) == []  # nothing left to measure
    with pytest.raises(InvalidValuesError, match="'lat' is not a metric of this study"):
        again.measure_front(_device, "lat")


def test_status_and_report_say_what_was_measured_on_the_device(tmp_path):
    from predictnas.report import format_status, report_data

    study = pn.create_study(space="nb201", objectives={"acc": "maximize"}, constraints=["latency <= 4"], seed=0,
                            proposer="random", storage=tmp_path / "s.db")
    study.optimize(lambda arch: {"acc": _metrics(arch)[0], "latency": _metrics(arch)[1]}, 30)
    assert "device" not in format_status(study)
    study.measure_front(_device)
    line = next(line for line in format_status(study).splitlines() if line.startswith("device"))
    assert "latency:" in line and "trials measured on the device" in line and "predicted -> measured: trial" in line
    assert "trials measured on the device" in report_data(study).header["on the device"]
