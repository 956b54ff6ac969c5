"""The model-based rule: this study's own curves predict a trial's final values; it stops a trial
only when even an optimistic prediction cannot enter the front, and it resumes exactly."""

from pathlib import Path

import numpy as np
import pytest

import predictnas as pn
from predictnas.evaluators import CurveReplayEvaluator, CurveTable
from predictnas.exceptions import InvalidSpecError
from predictnas.stoppers import PredictiveStopper, make_stopper
from predictnas.types import Objective

OBJ = [Objective("acc", "maximize"), Objective("macs", "minimize")]
TABLE = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mnist1d_cnn"


def _curves(n=8):
    """Complete trials whose final accuracy is twice their epoch-3 accuracy (plus a little noise)."""
    return [({"acc": 10.0 * i, "macs": 5.0}, {"acc": 20.0 * i + (0.5 if i % 2 else -0.5), "macs": 5.0}) for i in range(1, n + 1)]


def test_it_stops_only_what_cannot_reach_the_front_even_optimistically():
    rule = PredictiveStopper(eta=3, max_step=30)
    curves = _curves()  # front of the finals: acc 159.5 at macs 5
    assert rule.should_stop(3, {"acc": 50.0, "macs": 5.0}, [], OBJ, curves)  # predicted ~100 at the same MACs
    assert not rule.should_stop(3, {"acc": 79.8, "macs": 5.0}, [], OBJ, curves)  # ~159.6 +- 2 std may beat 159.5
    assert not rule.should_stop(3, {"acc": 20.0, "macs": 1.0}, [], OBJ, curves)  # smaller than every complete one
    assert not rule.should_stop(2, {"acc": 1.0, "macs": 5.0}, [], OBJ, curves)  # not a rung
    # too few curves, or MACs not reported: ASHA decides (the first at a rung continues)
    assert not rule.should_stop(3, {"acc": 1.0, "macs": 5.0}, [], OBJ, curves[:4])
    assert not rule.should_stop(3, {"acc": 1.0}, [], OBJ, curves)
    assert make_stopper("predictive", {"beta": 1.0}).beta == 1.0
    with pytest.raises(InvalidSpecError, match="min_curves must be an integer >= 3"):
        PredictiveStopper(min_curves=2)
    with pytest.raises(InvalidSpecError, match="beta must be a number >= 0"):
        make_stopper("predictive", {"beta": -1})


class _Interrupted(CurveReplayEvaluator):
    def __init__(self, table, at_trial):
        super().__init__(table, static={"macs": "macs_m"})
        self.at_trial, self.started = at_trial, 0

    def steps(self, arch):
        self.started += 1
        for step, values in enumerate(super().steps(arch), start=1):
            if self.started == self.at_trial and step == 2:
                raise KeyboardInterrupt
            yield values


@pytest.mark.parametrize("model", ["line", "features"])
def test_a_study_with_the_predictive_rule_resumes_exactly(tmp_path, model):
    table = CurveTable.from_dir(TABLE)

    def study(path):
        return pn.create_study(space=table.space, objectives={"acc": "maximize", "macs": "minimize"}, storage=path, seed=1,
                               proposer="random", stopper="predictive", stopper_options={"eta": 3, "max_step": table.epochs,
                                                                                          "min_curves": 3, "model": model})

    whole = study(tmp_path / "whole.db")
    whole.optimize(CurveReplayEvaluator(table, static={"macs": "macs_m"}), 60)
    assert sum(t.state.value == "stopped" for t in whole.trials) > 0
    cut = study(tmp_path / "cut.db")
    with pytest.raises(KeyboardInterrupt):
        cut.optimize(_Interrupted(table, at_trial=45), 60)
    cut.close()
    resumed = pn.load_study(tmp_path / "cut.db")
    resumed.optimize(CurveReplayEvaluator(table, static={"macs": "macs_m"}), 60 - len(resumed.trials))
    summary = [(t.key, t.state.value, t.fidelity, t.values) for t in resumed.trials]
    assert summary == [(t.key, t.state.value, t.fidelity, t.values) for t in whole.trials]


def _curves_by_feature(n=30):
    """Complete trials that all reported 50 at step 3 and whose final value is 20x their one feature."""
    curves = [({"acc": 50.0 + 0.1 * (i % 3), "macs": 5.0}, {"acc": 20.0 * (i % 6) + 0.1 * (i % 4), "macs": 5.0}) for i in range(n)]
    return curves, np.array([[float(i % 6)] for i in range(n)])


def test_the_features_model_sees_what_the_partial_curve_cannot():
    curves, F = _curves_by_feature()  # front: acc ~100.3 at macs 5
    weak, strong = {"acc": 50.1, "macs": 5.0}, {"acc": 50.1, "macs": 5.0}
    by_features = PredictiveStopper(eta=3, max_step=30, model="features")
    assert by_features.should_stop(3, weak, [], OBJ, curves, np.array([0.0]), F)  # predicted ~0
    assert not by_features.should_stop(3, strong, [], OBJ, curves, np.array([5.0]), F)  # predicted ~100
    by_line = PredictiveStopper(eta=3, max_step=30, model="line")  # the partial value says nothing here
    assert not by_line.should_stop(3, weak, [], OBJ, curves, np.array([0.0]), F)
    auto = PredictiveStopper(eta=3, max_step=30)  # 30 curves >= 2 * 5 + 10: cross-validation picks the features
    assert auto.should_stop(3, weak, [], OBJ, curves, np.array([0.0]), F)
    assert not auto.should_stop(3, weak, [], OBJ, curves[:19], np.array([0.0]), F[:19])  # too few curves: the line
    assert not by_features.should_stop(3, weak, [], OBJ, curves)  # no features given: the line
    with pytest.raises(InvalidSpecError, match="model must be one of 'auto', 'line', 'features'; got 'gp'"):
        make_stopper("predictive", {"model": "gp"})
