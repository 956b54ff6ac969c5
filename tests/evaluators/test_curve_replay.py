"""Replaying a multi-fidelity table: its rows are the space, epochs cost their measured seconds,
and a study with ASHA spends less simulated time than one that trains everything."""

import csv

import numpy as np
import pytest

import predictnas as pn
from predictnas.evaluators import CurveReplayEvaluator, CurveTable
from predictnas.exceptions import InvalidSpecError

EPOCHS = 9


def _table(folder, n=30):
    space = pn.load_space("mnist1d_cnn")
    archs = space.sample(n, rng=np.random.default_rng(0), unique=True)
    with open(folder / "subnets.csv", "w", newline="") as f:
        w = csv.DictWriter(f, [*space.param_names, "subnet", "macs_m"])
        w.writeheader()
        for i, a in enumerate(archs):
            w.writerow({**{p: a.get(p, "") for p in space.param_names}, "subnet": i, "macs_m": 0.01 * (i + 1)})
    with open(folder / "curves.csv", "w", newline="") as f:
        w = csv.DictWriter(f, ["subnet", "seed", "epoch", "val_acc", "val_loss", "seconds"])
        w.writeheader()
        for i in range(n):
            final = 40 + 50 * ((i * 7) % n) / n
            for seed in (0, 1):
                for e in range(1, EPOCHS + 1):
                    w.writerow({"subnet": i, "seed": seed, "epoch": e, "val_acc": final * (1 - 0.6 * np.exp(-e / 3)) + seed,
                                "val_loss": 1.0, "seconds": 0.1 * (i + 1)})
    return archs


def test_the_table_is_the_space_and_epochs_cost_their_seconds(tmp_path):
    archs = _table(tmp_path)
    table = CurveTable.from_dir(tmp_path)
    assert len(table.space.members) == 30 and table.epochs == EPOCHS
    evaluator = CurveReplayEvaluator(table, static={"macs": "macs_m"}, cheap=["macs_m"])
    result = evaluator.evaluate(archs[2])
    acc, seconds = table.curve(archs[2])
    assert result.values == {"acc": pytest.approx(acc[-1]), "macs": pytest.approx(0.03)} and acc[-1] == pytest.approx(
        np.mean([table.curve(archs[2], s)[0][-1] for s in (0, 1)]))
    assert evaluator.spent_s == pytest.approx(EPOCHS * 0.3) and evaluator.cheap_statistics(archs[2]) == {"macs_m": pytest.approx(0.03)}
    with pytest.raises(InvalidSpecError, match="not a curve table"):
        CurveTable.from_dir(tmp_path / "nowhere")
    (tmp_path / "curves.csv").write_text("subnet,seed,epoch\n0,0,1\n")
    with pytest.raises(InvalidSpecError, match="not a curve table of 'mnist1d_cnn'.*val_acc"):
        CurveTable.from_dir(tmp_path)


def test_asha_on_the_replayed_table_spends_less_simulated_time(tmp_path):
    _table(tmp_path)
    table = CurveTable.from_dir(tmp_path)
    spent = {}
    for stopper in (None, "asha"):
        study = pn.create_study(space=table.space, objectives={"acc": "maximize", "macs": "minimize"}, seed=1,
                                proposer="random", stopper=stopper, stopper_options={"max_step": EPOCHS} if stopper else None)
        evaluator = CurveReplayEvaluator(table, static={"macs": "macs_m"})
        study.optimize(evaluator, 20)
        spent[stopper] = (evaluator.spent_s, sum(t.state.value == "stopped" for t in study.trials))
    assert spent[None][1] == 0 and spent["asha"][1] > 0 and spent["asha"][0] < 0.8 * spent[None][0]


def test_the_committed_mnist1d_table_replays():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "mnist1d_cnn"
    table = CurveTable.from_dir(folder)
    assert len(table.space.members) == 300 and table.epochs == 30
    largest = table.space.members.archs[0]
    acc, seconds = table.curve(largest)
    assert acc[-1] > 90 and (seconds > 0).all()
