"""ASHA decides from what reached a rung before a trial, in the study file's order."""

import pytest

from predictnas.exceptions import InvalidSpecError
from predictnas.stoppers import ASHAStopper, make_stopper
from predictnas.types import Objective

ACC = [Objective("acc", "maximize")]


def test_rungs_are_geometric_and_end_before_the_target():
    assert ASHAStopper(eta=3, min_step=1, max_step=30).rungs(30) == [1, 3, 9, 27]
    assert ASHAStopper(eta=2, min_step=2, max_step=16).rungs(100) == [2, 4, 8]


def test_a_trial_continues_only_in_the_best_share_of_its_rung():
    asha = ASHAStopper(eta=3)
    assert not asha.should_stop(3, {"acc": 10.0}, [], ACC)  # the first at a rung always continues
    peers = [{"acc": v} for v in (50.0, 60.0, 70.0, 80.0, 90.0)]
    assert asha.should_stop(3, {"acc": 55.0}, peers, ACC)
    assert not asha.should_stop(3, {"acc": 85.0}, peers, ACC)
    assert not asha.should_stop(2, {"acc": 1.0}, peers, ACC)  # not a rung: no decision
    error = [Objective("err", "minimize")]
    assert not asha.should_stop(3, {"err": 0.1}, [{"err": v} for v in (0.2, 0.3, 0.4)], error)
    assert asha.should_stop(3, {"err": 0.5}, [{"err": v} for v in (0.2, 0.3, 0.4)], error)


def test_bad_settings_and_a_missing_metric_are_clear_errors():
    with pytest.raises(InvalidSpecError, match="eta must be a number > 1"):
        ASHAStopper(eta=1)
    with pytest.raises(InvalidSpecError, match="max_step must be an integer > min_step"):
        make_stopper("asha", {"min_step": 4, "max_step": 2})
    with pytest.raises(InvalidSpecError, match="stopper_options must be a mapping"):
        make_stopper("asha", [3])
    with pytest.raises(InvalidSpecError, match="Unknown stopper 'hyperband'"):
        make_stopper("hyperband")
    with pytest.raises(InvalidSpecError, match="ASHA compares 'acc'.*holds only \\['loss'\\]"):
        ASHAStopper().should_stop(1, {"loss": 1.0}, [], ACC)


def test_several_objectives_rank_by_pareto_order_not_by_accuracy_alone():
    objectives = [Objective("acc", "maximize"), Objective("macs", "minimize")]
    peers = [{"acc": a, "macs": m} for a, m in ((90.0, 10.0), (80.0, 9.0), (70.0, 8.0), (60.0, 7.0), (50.0, 9.5))]
    small = {"acc": 30.0, "macs": 1.0}  # the worst accuracy, but nothing is smaller: on the front
    assert not ASHAStopper(eta=3).should_stop(3, small, peers, objectives)
    assert ASHAStopper(eta=3, metric="acc").should_stop(3, small, peers, objectives)  # accuracy alone stops it
    dominated = {"acc": 55.0, "macs": 9.8}  # behind the front and the crowd
    assert ASHAStopper(eta=3).should_stop(3, dominated, peers, objectives)
    assert not ASHAStopper(eta=3, metric=["acc", "macs"]).should_stop(3, small, peers, objectives)
    # a report without MACs is compared on what it holds
    assert ASHAStopper(eta=3).should_stop(3, {"acc": 30.0}, [{"acc": p["acc"]} for p in peers], objectives)
    with pytest.raises(InvalidSpecError, match="ASHA compares 'macs'"):
        ASHAStopper(metric=["acc", "macs"]).should_stop(3, {"acc": 1.0}, [], objectives)
    with pytest.raises(InvalidSpecError, match="metric must be a metric name or a list"):
        ASHAStopper(metric=3)
